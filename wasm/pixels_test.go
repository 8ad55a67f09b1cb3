package main

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestPixelsFromBytes(t *testing.T) {
	rgba := make([]byte, rgbaBytes)
	rgb := make([]byte, rgbBytes)
	for p := range pixelCount {
		rgba[p*4], rgba[p*4+1], rgba[p*4+2], rgba[p*4+3] = 255, 51, 0, 7
		rgb[p*3], rgb[p*3+1], rgb[p*3+2] = 255, 51, 0
	}

	for _, tc := range []struct {
		name string
		data []byte
	}{{"rgba", rgba}, {"rgb", rgb}} {
		got, err := pixelsFromBytes(tc.name, tc.data)
		if err != nil {
			t.Fatalf("pixelsFromBytes(%s): %v", tc.name, err)
		}
		if len(got) != rgbBytes {
			t.Fatalf("pixelsFromBytes(%s) returned %d values, want %d", tc.name, len(got), rgbBytes)
		}
		last := got[len(got)-3:]
		if last[0] != 1 || last[1] != 0.2 || last[2] != 0 {
			t.Errorf("pixelsFromBytes(%s) last pixel = %v, want [1 0.2 0]", tc.name, last)
		}
	}
}

func TestPixelsFromBytesWrongSize(t *testing.T) {
	_, err := pixelsFromBytes("imageA", make([]byte, 100))
	if err == nil {
		t.Fatal("pixelsFromBytes accepted 100 bytes")
	}
	for _, want := range []string{"imageA", "100 bytes", "4096", "3072", "32x32"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestPixelsFromFloat32(t *testing.T) {
	data := make([]byte, rgbBytes*float32Size)
	binary.LittleEndian.PutUint32(data[4:], math.Float32bits(0.25))
	got, err := pixelsFromFloat32("image", data)
	if err != nil {
		t.Fatalf("pixelsFromFloat32: %v", err)
	}
	if got[1] != 0.25 {
		t.Errorf("value 1 = %g, want 0.25", got[1])
	}

	for _, bad := range []float32{-0.1, 1.5, float32(math.NaN())} {
		binary.LittleEndian.PutUint32(data[8:], math.Float32bits(bad))
		if _, err := pixelsFromFloat32("image", data); err == nil {
			t.Errorf("pixelsFromFloat32 accepted value %g", bad)
		}
	}
	if _, err := pixelsFromFloat32("image", data[:16]); err == nil {
		t.Error("pixelsFromFloat32 accepted 4 values")
	}
}

func TestRGBAFromPixels(t *testing.T) {
	pixels := make([]float32, rgbBytes)
	pixels[0], pixels[1], pixels[2] = 0.5, 1, 0.2
	got := rgbaFromPixels(pixels)
	if want := []byte{128, 255, 51, 255}; string(got[:4]) != string(want) {
		t.Errorf("first pixel = %v, want %v", got[:4], want)
	}
}
