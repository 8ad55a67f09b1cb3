// Package imageio turns a user's photo into a model input. It decodes a PNG
// or JPEG file of any size, crops the largest centered square and resizes it
// to 32x32. The result is float32 values in [0, 1] in the channels-last
// layout [32, 32, 3] that the model takes.
//
// The package has no cgo and builds for GOOS=js GOARCH=wasm.
package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"io"
	"io/fs"
	"os"

	"golang.org/x/image/draw"

	"github.com/unmix/unmix/shared/cifar"
)

const (
	// MaxFileBytes is the largest encoded image that Decode and ReadFile
	// accept, 50 MiB.
	MaxFileBytes = 50 << 20
	// MaxPixels is the largest image area, in pixels, that Decode accepts:
	// 8192x8192. It bounds the memory of the decoded image (up to 4 bytes per
	// pixel), which a small, highly compressed file could otherwise inflate.
	MaxPixels = 8192 * 8192
)

// supportedFormats lists the formats that Decode reads, for error messages.
const supportedFormats = "PNG and JPEG"

// Decode decodes a PNG or JPEG image, crops the largest centered square,
// resizes it to 32x32 with a Catmull-Rom filter and returns it as
// [32, 32, 3] float32 values in [0, 1]. Transparent pixels are composited
// over white. The name identifies the file in error messages.
//
// NOTE: Decode ignores the EXIF orientation tag, so a JPEG that a camera
// stored rotated comes out rotated.
func Decode(name string, data []byte) ([]float32, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("imageio: %s: file is empty; choose a %s image", name, supportedFormats)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("imageio: %s: size %d bytes exceeds the limit of %d MiB; resize or compress the image first",
			name, len(data), MaxFileBytes>>20)
	}

	config, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, fmt.Errorf("imageio: %s: not a supported image; the supported formats are %s", name, supportedFormats)
	}
	if err != nil {
		return nil, fmt.Errorf("imageio: %s: invalid %s image: %w", name, format, err)
	}
	if err := checkSize(name, config.Width, config.Height); err != nil {
		return nil, err
	}

	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("imageio: %s: invalid %s image: %w", name, format, err)
	}
	// A decoder may report other bounds than its config, so check again.
	if err := checkSize(name, img.Bounds().Dx(), img.Bounds().Dy()); err != nil {
		return nil, err
	}
	return ToHWC(img), nil
}

func checkSize(name string, width, height int) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("imageio: %s: image size %dx%d has a zero side; choose an image with pixels in it", name, width, height)
	}
	if width > MaxPixels/height {
		return fmt.Errorf("imageio: %s: image size %dx%d exceeds the limit of %d pixels; resize the image first",
			name, width, height, MaxPixels)
	}
	return nil
}

// ReadFile reads the image file at path and decodes it as Decode does. It
// checks the file size before it reads the file.
func ReadFile(path string) ([]float32, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("imageio: image file %s not found: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("imageio: %s is a folder; pass a %s file", path, supportedFormats)
	}
	if info.Size() > MaxFileBytes {
		return nil, fmt.Errorf("imageio: %s: size %d bytes exceeds the limit of %d MiB; resize or compress the image first",
			path, info.Size(), MaxFileBytes>>20)
	}

	// Read one byte past the limit so that Decode rejects a file that grew
	// since Stat.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err)
	}
	return Decode(path, data)
}

// ToHWC crops the largest centered square of img, resizes it to 32x32 with
// a Catmull-Rom filter, composites it over white and returns it as
// [32, 32, 3] float32 values in [0, 1]. It returns white for an empty img.
func ToHWC(img image.Image) []float32 {
	const size = cifar.ImageSize
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, centerSquare(img.Bounds()), draw.Over, nil)

	// dst is opaque after the white fill, so its premultiplied RGBA values
	// are the plain RGB values.
	values := make([]float32, cifar.ImageBytes)
	for y := range size {
		for x := range size {
			pixel := dst.Pix[y*dst.Stride+4*x:]
			for c := range cifar.Channels {
				values[(y*size+x)*cifar.Channels+c] = float32(pixel[c]) / 255
			}
		}
	}
	return values
}

// centerSquare returns the largest square centered in r. When the extra
// width or height is odd, the square sits one pixel closer to the top left.
func centerSquare(r image.Rectangle) image.Rectangle {
	side := min(r.Dx(), r.Dy())
	x0 := r.Min.X + (r.Dx()-side)/2
	y0 := r.Min.Y + (r.Dy()-side)/2
	return image.Rect(x0, y0, x0+side, y0+side)
}

// ToRGBA converts a [32, 32, 3] float32 image with values in [0, 1], as
// Decode and the mixture generator return, back to an RGBA image for display
// or saving. Values outside [0, 1] are clamped.
func ToRGBA(hwc []float32) (*image.RGBA, error) {
	if len(hwc) != cifar.ImageBytes {
		return nil, fmt.Errorf("imageio: image has %d values, want %d (32x32x3)", len(hwc), cifar.ImageBytes)
	}

	const size = cifar.ImageSize
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := range size * size {
		for c := range cifar.Channels {
			v := min(max(hwc[i*cifar.Channels+c], 0), 1)
			img.Pix[4*i+c] = uint8(v*255 + 0.5)
		}
		img.Pix[4*i+3] = 255
	}
	return img, nil
}
