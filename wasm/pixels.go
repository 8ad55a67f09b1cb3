package main

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Image geometry of the model input: [32, 32, 3] float32, channels-last,
// values in [0, 1].
const (
	imageSize   = 32
	pixelCount  = imageSize * imageSize
	rgbBytes    = pixelCount * 3 // 3072
	rgbaBytes   = pixelCount * 4 // 4096, the layout of canvas ImageData
	float32Size = 4
)

// pixelsFromBytes converts a 32x32 image given as RGBA bytes (the layout of
// canvas ImageData) or RGB bytes to [32, 32, 3] floats in [0, 1]. Alpha is
// ignored, so a translucent pixel counts as opaque.
func pixelsFromBytes(name string, data []byte) ([]float32, error) {
	var stride int
	switch len(data) {
	case rgbaBytes:
		stride = 4
	case rgbBytes:
		stride = 3
	default:
		return nil, fmt.Errorf("%s has %d bytes, want %d (32x32 RGBA, as from getImageData) or %d (32x32 RGB): scale the image to 32x32 first",
			name, len(data), rgbaBytes, rgbBytes)
	}

	out := make([]float32, rgbBytes)
	for p := range pixelCount {
		for c := range 3 {
			out[p*3+c] = float32(data[p*stride+c]) / 255
		}
	}
	return out, nil
}

// pixelsFromFloat32 reads a little-endian Float32Array's bytes holding
// [32, 32, 3] values in [0, 1].
func pixelsFromFloat32(name string, data []byte) ([]float32, error) {
	if len(data) != rgbBytes*float32Size {
		return nil, fmt.Errorf("%s has %d float32 values, want %d (32x32x3, channels-last): scale the image to 32x32 first",
			name, len(data)/float32Size, rgbBytes)
	}

	out := make([]float32, rgbBytes)
	for i := range out {
		v := math.Float32frombits(binary.LittleEndian.Uint32(data[i*float32Size:]))
		if !(v >= 0 && v <= 1) { // also rejects NaN
			return nil, fmt.Errorf("%s value %d is %g, want a number in [0, 1]: divide bytes by 255", name, i, v)
		}
		out[i] = v
	}
	return out, nil
}

// rgbaFromPixels converts [32, 32, 3] floats in [0, 1] to opaque RGBA bytes,
// rounding to the nearest byte, so the page can draw what the model saw.
func rgbaFromPixels(pixels []float32) []byte {
	out := make([]byte, rgbaBytes)
	for p := range pixelCount {
		for c := range 3 {
			v := math.Round(float64(pixels[p*3+c]) * 255)
			out[p*4+c] = byte(max(0, min(255, v)))
		}
		out[p*4+3] = 255
	}
	return out
}
