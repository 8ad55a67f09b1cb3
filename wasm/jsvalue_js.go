//go:build js && wasm

package main

import (
	"fmt"

	"github.com/hack-pad/safejs"
)

// typedArrayName returns the constructor name of a typed array, such as
// "Uint8ClampedArray", or "" when v is not an ArrayBuffer view.
func typedArrayName(v safejs.Value) string {
	if v.Type() != safejs.TypeObject {
		return ""
	}
	for _, name := range []string{"Uint8ClampedArray", "Uint8Array", "Float32Array", "ArrayBuffer"} {
		class, err := safejs.Global().Get(name)
		if err != nil {
			continue
		}
		if ok, err := v.InstanceOf(class); err == nil && ok {
			return name
		}
	}
	return ""
}

// bytesOf copies the bytes of an ArrayBuffer or typed array into Go.
func bytesOf(name string, v safejs.Value) ([]byte, error) {
	view := v
	switch typedArrayName(v) {
	case "Uint8ClampedArray", "Uint8Array":
	case "ArrayBuffer", "Float32Array":
		var err error
		view, err = uint8View(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	default:
		return nil, fmt.Errorf("%s is a %s, want an ArrayBuffer, Uint8Array, Uint8ClampedArray or Float32Array", name, describe(v))
	}

	length, err := view.Length()
	if err != nil {
		return nil, fmt.Errorf("%s: reading its length: %w", name, err)
	}
	data := make([]byte, length)
	if _, err := safejs.CopyBytesToGo(data, view); err != nil {
		return nil, fmt.Errorf("%s: copying %d bytes: %w", name, length, err)
	}
	return data, nil
}

// uint8View returns a Uint8Array over the bytes of an ArrayBuffer or of a
// typed array's window into its buffer.
func uint8View(v safejs.Value) (safejs.Value, error) {
	uint8Class, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return safejs.Value{}, err
	}
	if typedArrayName(v) == "ArrayBuffer" {
		return uint8Class.New(v)
	}
	buffer, err := v.Get("buffer")
	if err != nil {
		return safejs.Value{}, err
	}
	offset, err := intProperty(v, "byteOffset")
	if err != nil {
		return safejs.Value{}, err
	}
	length, err := intProperty(v, "byteLength")
	if err != nil {
		return safejs.Value{}, err
	}
	return uint8Class.New(buffer, offset, length)
}

func intProperty(v safejs.Value, name string) (int, error) {
	p, err := v.Get(name)
	if err != nil {
		return 0, err
	}
	return p.Int()
}

// bytesToJS returns a new Uint8ClampedArray holding data, the type that
// ImageData takes.
func bytesToJS(data []byte) (safejs.Value, error) {
	class, err := safejs.Global().Get("Uint8ClampedArray")
	if err != nil {
		return safejs.Value{}, err
	}
	array, err := class.New(len(data))
	if err != nil {
		return safejs.Value{}, err
	}
	if _, err := safejs.CopyBytesToJS(array, data); err != nil {
		return safejs.Value{}, err
	}
	return array, nil
}

// describe names a JavaScript value's type for an error message.
func describe(v safejs.Value) string {
	switch v.Type() {
	case safejs.TypeObject:
		if v.IsNull() {
			return "null"
		}
		constructor, err := v.Get("constructor")
		if err == nil && constructor.Type() == safejs.TypeFunction {
			if name, err := constructor.Get("name"); err == nil {
				if s, err := name.String(); err == nil && s != "" {
					return s
				}
			}
		}
		return "object"
	default:
		return v.Type().String()
	}
}
