package imageio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
)

// stripes returns a width x height image cut into three equal stripes of
// red, green and blue: side by side when vertical, else stacked.
func stripes(width, height int, vertical bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	colors := []color.RGBA{red, green, blue}
	for y := range height {
		for x := range width {
			stripe := 3 * y / height
			if vertical {
				stripe = 3 * x / width
			}
			img.SetRGBA(x, y, colors[stripe])
		}
	}
	return img
}

func solid(width, height int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.Set(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkColor fails unless every pixel of hwc is within tolerance of c.
func checkColor(t *testing.T, hwc []float32, c color.RGBA, tolerance float64) {
	t.Helper()
	want := [3]float32{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255}
	for i, v := range hwc {
		if math.Abs(float64(v-want[i%3])) > tolerance {
			pixel := i / 3
			t.Fatalf("pixel (%d, %d) channel %d = %v, want %v ± %v", pixel/cifar.ImageSize, pixel%cifar.ImageSize, i%3, v, want[i%3], tolerance)
		}
	}
}

func TestDecodeSizes(t *testing.T) {
	orange := color.RGBA{255, 128, 0, 255}
	tests := []struct {
		name          string
		width, height int
		encode        func(*testing.T, image.Image) []byte
		tolerance     float64
	}{
		{"png 1x1", 1, 1, encodePNG, 0},
		{"png 33x17", 33, 17, encodePNG, 0},
		{"png 17x33", 17, 33, encodePNG, 0},
		{"png 32x32", 32, 32, encodePNG, 0},
		{"png 641x479", 641, 479, encodePNG, 0},
		{"jpeg 1x1", 1, 1, encodeJPEG, 0.03},
		{"jpeg 45x31", 45, 31, encodeJPEG, 0.03},
		{"jpeg 7x100", 7, 100, encodeJPEG, 0.03},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.encode(t, solid(tt.width, tt.height, orange))
			got, err := Decode("photo", data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != cifar.ImageBytes {
				t.Fatalf("len = %d, want %d", len(got), cifar.ImageBytes)
			}
			checkColor(t, got, orange, tt.tolerance)
		})
	}
}

func TestDecodeCropsCenter(t *testing.T) {
	tests := []struct {
		name      string
		img       image.Image
		encode    func(*testing.T, image.Image) []byte
		tolerance float64
	}{
		{"wide png", stripes(96, 32, true), encodePNG, 0},
		{"tall png", stripes(30, 90, false), encodePNG, 0},
		{"wide odd png", stripes(303, 101, true), encodePNG, 0},
		{"wide jpeg", stripes(480, 160, true), encodeJPEG, 0.06},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode("stripes", tt.encode(t, tt.img))
			if err != nil {
				t.Fatal(err)
			}
			// The centered square is the green stripe.
			checkColor(t, got, green, tt.tolerance)
		})
	}
}

func TestDecodeKeepsLayout(t *testing.T) {
	// A 64x64 image whose left half is red and right half blue.
	img := solid(64, 64, red)
	for y := range 64 {
		for x := 32; x < 64; x++ {
			img.SetRGBA(x, y, blue)
		}
	}
	got, err := Decode("halves.png", encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		row, column int
		want        [3]float32
	}{
		{0, 0, [3]float32{1, 0, 0}},
		{31, 5, [3]float32{1, 0, 0}},
		{0, 31, [3]float32{0, 0, 1}},
		{20, 26, [3]float32{0, 0, 1}},
	}
	for _, tt := range tests {
		offset := (tt.row*cifar.ImageSize + tt.column) * cifar.Channels
		if pixel := [3]float32(got[offset : offset+3]); pixel != tt.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", tt.row, tt.column, pixel, tt.want)
		}
	}
}

func TestDecodeTransparentIsWhite(t *testing.T) {
	got, err := Decode("clear.png", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 40, 40))))
	if err != nil {
		t.Fatal(err)
	}
	checkColor(t, got, color.RGBA{255, 255, 255, 255}, 0)
}

func TestDecodeGray(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 50, 50))
	for i := range img.Pix {
		img.Pix[i] = 51
	}
	got, err := Decode("gray.png", encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	checkColor(t, got, color.RGBA{51, 51, 51, 255}, 0)
}

// pngWithSize returns a valid 1x1 PNG whose header claims width x height.
// image.DecodeConfig reads only the header, so it reports that size.
func pngWithSize(t *testing.T, width, height uint32) []byte {
	data := encodePNG(t, solid(1, 1, red))
	// After the 8-byte signature: chunk length (4), "IHDR" (4), width (4),
	// height (4), 5 more header bytes, then the CRC of type and data.
	binary.BigEndian.PutUint32(data[16:], width)
	binary.BigEndian.PutUint32(data[20:], height)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// jpegWithZeroHeight returns an 8x8 JPEG whose frame header claims height 0,
// which Go's JPEG decoder accepts.
func jpegWithZeroHeight(t *testing.T) []byte {
	data := encodeJPEG(t, solid(8, 8, red))
	for i := 0; i+6 < len(data); i++ {
		// Start of frame: FF C0, length (2), precision (1), height (2).
		if data[i] == 0xFF && data[i+1] == 0xC0 {
			data[i+5], data[i+6] = 0, 0
			return data
		}
	}
	t.Fatal("JPEG encoder wrote no start-of-frame marker")
	return nil
}

func TestDecodeErrors(t *testing.T) {
	pngData := encodePNG(t, solid(20, 20, red))

	tests := []struct {
		name     string
		data     []byte
		wantText []string
	}{
		{"text file", []byte("hello, this is not an image\n"), []string{"notes.txt: not a supported image", "PNG and JPEG"}},
		{"empty", nil, []string{"notes.txt: file is empty"}},
		{"truncated png", pngData[:len(pngData)/2], []string{"notes.txt: invalid png image"}},
		{"over 50 MiB", make([]byte, MaxFileBytes+1), []string{"size 52428801 bytes exceeds the limit of 50 MiB"}},
		{"png zero width", pngWithSize(t, 0, 10), []string{"notes.txt: invalid png image"}},
		{"jpeg zero height", jpegWithZeroHeight(t), []string{"image size 8x0 has a zero side"}},
		{"png too many pixels", pngWithSize(t, 20000, 20000), []string{"image size 20000x20000 exceeds the limit of 67108864 pixels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("notes.txt", tt.data)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantText)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	imagePath := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(imagePath, encodeJPEG(t, solid(64, 48, blue)), 0o644); err != nil {
		t.Fatal(err)
	}
	textPath := filepath.Join(dir, "readme.txt")
	if err := os.WriteFile(textPath, []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	bigPath := filepath.Join(dir, "big.png")
	if err := os.WriteFile(bigPath, make([]byte, MaxFileBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := ReadFile(imagePath)
	if err != nil {
		t.Fatal(err)
	}
	checkColor(t, got, blue, 0.03)

	errorTests := []struct {
		path     string
		wantText string
	}{
		{textPath, textPath + ": not a supported image"},
		{filepath.Join(dir, "missing.png"), "image file " + filepath.Join(dir, "missing.png") + " not found"},
		{dir, dir + " is a folder"},
		{bigPath, bigPath + ": size 52428810 bytes exceeds the limit"},
	}
	for _, tt := range errorTests {
		_, err := ReadFile(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("ReadFile(%s): error = %v, want it to contain %q", tt.path, err, tt.wantText)
		}
	}
}

func TestToRGBARoundTrip(t *testing.T) {
	img := stripes(32, 32, false)
	got, err := ToRGBA(ToHWC(img))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, img.Pix) {
		t.Error("ToRGBA(ToHWC(img)) differs from a 32x32 img, want the same pixels")
	}

	if _, err := ToRGBA(make([]float32, 10)); err == nil || !strings.Contains(err.Error(), "image has 10 values, want 3072") {
		t.Errorf("ToRGBA of 10 values: error = %v, want image has 10 values, want 3072", err)
	}
}
