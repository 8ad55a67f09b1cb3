package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// execSafely runs exec and turns a panic raised while building or running
// the graph (GoMLX reports shape and variable errors that way) into an error.
func execSafely(exec *context.Exec, args ...any) (outputs []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return exec.Exec(args...)
}

// imagesTensor wraps n images of 32x32x3 float32 as a [n, 32, 32, 3] tensor.
func imagesTensor(images []float32, n int) (*tensors.Tensor, error) {
	if n <= 0 {
		return nil, fmt.Errorf("model: batch size %d: pass at least one image", n)
	}
	if len(images) != n*ImageFloats {
		return nil, fmt.Errorf("model: got %d floats for %d images, want %d (%d per 32x32 RGB image, channels-last)",
			len(images), n, n*ImageFloats, ImageFloats)
	}
	return tensors.FromFlatDataAndDimensions(images, n, ImageSize, ImageSize, ImageChannels), nil
}
