package cifar

import "fmt"

// ToHWC converts one image from the planar byte layout of the files,
// [3, 32, 32], to the channels-last layout the model takes, [32, 32, 3], with
// values scaled from 0-255 to [0, 1]. It writes the ImageBytes values into
// dst, which must have length ImageBytes.
func ToHWC(dst []float32, image []byte) error {
	if len(image) != ImageBytes {
		return fmt.Errorf("cifar: image has %d bytes, want %d (3 planes of 32x32)", len(image), ImageBytes)
	}
	if len(dst) != ImageBytes {
		return fmt.Errorf("cifar: destination has %d values, want %d (32x32x3)", len(dst), ImageBytes)
	}

	const planeSize = ImageSize * ImageSize
	for pixel := range planeSize {
		for c := range Channels {
			dst[pixel*Channels+c] = float32(image[c*planeSize+pixel]) / 255
		}
	}
	return nil
}

// ImageHWC returns image i as float32 values in [0, 1] in the channels-last
// layout [32, 32, 3]. It panics if i is out of range.
func (d *Dataset) ImageHWC(i int) []float32 {
	dst := make([]float32, ImageBytes)
	if err := ToHWC(dst, d.Image(i)); err != nil {
		// d.Image always returns ImageBytes bytes, so this is a bug.
		panic(err)
	}
	return dst
}
