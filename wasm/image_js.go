//go:build js && wasm

package main

import (
	"fmt"

	"github.com/hack-pad/safejs"
)

// imageArg reads a 32x32 image argument as [32, 32, 3] floats in [0, 1]. It
// takes an ImageData (or any object with data, width and height), RGBA or RGB
// bytes in a Uint8ClampedArray or Uint8Array, or a Float32Array of
// channels-last values in [0, 1].
func imageArg(name string, v safejs.Value) ([]float32, error) {
	if v.Type() == safejs.TypeObject && !v.IsNull() && typedArrayName(v) == "" {
		data, err := v.Get("data")
		if err != nil || data.IsUndefined() {
			return nil, fmt.Errorf("%s is a %s, want ImageData or a typed array of 32x32 pixels", name, describe(v))
		}
		width, errW := intProperty(v, "width")
		height, errH := intProperty(v, "height")
		if errW != nil || errH != nil {
			return nil, fmt.Errorf("%s has no numeric width and height: pass an ImageData", name)
		}
		if width != imageSize || height != imageSize {
			return nil, fmt.Errorf("%s is %dx%d, want 32x32: draw it onto a 32x32 canvas first", name, width, height)
		}
		v = data
	}

	data, err := bytesOf(name, v)
	if err != nil {
		return nil, err
	}
	if typedArrayName(v) == "Float32Array" {
		return pixelsFromFloat32(name, data)
	}
	return pixelsFromBytes(name, data)
}

// ratioArg reads the mixing ratio, the weight of imageA. A missing or
// undefined ratio means 0.5, the plain average the model was trained on.
func ratioArg(v safejs.Value) (float64, error) {
	if v.IsUndefined() || v.IsNull() {
		return 0.5, nil
	}
	if v.Type() != safejs.TypeNumber {
		return 0, fmt.Errorf("ratio is a %s, want a number in [0, 1]", describe(v))
	}
	ratio, err := v.Float()
	if err != nil {
		return 0, fmt.Errorf("reading ratio: %w", err)
	}
	if !(ratio >= 0 && ratio <= 1) {
		return 0, fmt.Errorf("ratio is %g, want a number in [0, 1] (0.5 mixes both images equally)", ratio)
	}
	return ratio, nil
}
