//go:build js && wasm

package main

import (
	"strings"
	"sync"
	"testing"

	"github.com/hack-pad/safejs"
)

var registerOnce sync.Once

// api registers the global unmix object once and returns it.
func api(t *testing.T) safejs.Value {
	t.Helper()
	var err error
	registerOnce.Do(func() { err = register(&service{}) })
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	value, err := safejs.Global().Get(globalName)
	if err != nil || value.Type() != safejs.TypeObject {
		t.Fatalf("global %s is missing after register: %v", globalName, err)
	}
	return value
}

// call calls unmix[name](args...) as JavaScript would and waits for the
// promise it returns.
func call(t *testing.T, name string, args ...any) (safejs.Value, error) {
	t.Helper()
	promise, err := api(t).Call(name, args...)
	if err != nil {
		t.Fatalf("calling %s threw: %v", name, err)
	}
	if then, _ := promise.Get("then"); then.Type() != safejs.TypeFunction {
		t.Fatalf("%s returned a %s, want a Promise", name, describe(promise))
	}
	return awaitCall(func() (safejs.Value, error) { return promise, nil })
}

func newTypedArray(t *testing.T, class string, length int) safejs.Value {
	t.Helper()
	constructor, err := safejs.Global().Get(class)
	if err != nil {
		t.Fatal(err)
	}
	array, err := constructor.New(length)
	if err != nil {
		t.Fatal(err)
	}
	return array
}

func TestBridgeRejectsBadArguments(t *testing.T) {
	rgba := newTypedArray(t, "Uint8ClampedArray", rgbaBytes)
	short := newTypedArray(t, "Uint8Array", 100)
	floats := newTypedArray(t, "Float32Array", rgbBytes)
	if _, err := floats.Call("fill", 2); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		op   string
		args []any
		want []string
	}{
		{"predict without arguments", "predict", nil, []string{"predict:", "got 0 arguments"}},
		{"predict with a string image", "predict", []any{"cat.png", rgba}, []string{"imageA is a string", "Uint8ClampedArray"}},
		{"predict with a short image", "predict", []any{rgba, short}, []string{"imageB has 100 bytes", "4096"}},
		{"predict with ratio 2", "predict", []any{rgba, rgba, 2}, []string{"ratio is 2", "[0, 1]"}},
		{"predict with a text ratio", "predict", []any{rgba, rgba, "half"}, []string{"ratio is a string"}},
		{"predict with floats out of range", "predict", []any{floats, rgba}, []string{"imageA value 0 is 2"}},
		{"predict before load", "predict", []any{rgba, rgba, 0.5}, []string{"no model is loaded", "call load"}},
		{"predictMixed before load", "predictMixed", []any{rgba}, []string{"predictMixed:", "no model is loaded"}},
		{"predictMixed with null", "predictMixed", []any{nil}, []string{"image is a null"}},
		{"load without arguments", "load", nil, []string{"load: got 0 arguments"}},
		{"load truncated weights", "load", []any{short}, []string{"load:", "weights"}},
		{"load a missing URL", "load", []any{"http://127.0.0.1:1/missing.unmixw"}, []string{"load: fetching http://127.0.0.1:1/missing.unmixw"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, tc.op, tc.args...)
			if err == nil {
				t.Fatalf("%s(%v) resolved, want a rejection", tc.op, tc.args)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("rejection %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestBridgeImageDataSize(t *testing.T) {
	imageData, err := safejs.ValueOf(map[string]any{"width": 64, "height": 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := imageData.Set("data", newTypedArray(t, "Uint8ClampedArray", 64*64*4)); err != nil {
		t.Fatal(err)
	}
	_, err = call(t, "predictMixed", imageData)
	if err == nil || !strings.Contains(err.Error(), "image is 64x64, want 32x32") {
		t.Errorf("predictMixed(64x64 ImageData) error = %v, want it to name the size", err)
	}
}

func TestBridgeRecoversPanics(t *testing.T) {
	fn, err := exportAsync("boom", func([]safejs.Value) (any, error) {
		var m map[string]int
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Release()

	promise, err := fn.Value().Invoke()
	if err != nil {
		t.Fatalf("a panicking callback threw into JavaScript: %v", err)
	}
	_, err = awaitCall(func() (safejs.Value, error) { return promise, nil })
	if err == nil || !strings.Contains(err.Error(), "boom: internal error") {
		t.Errorf("rejection = %v, want boom: internal error", err)
	}

	// The program still serves calls after the panic.
	info, err := call(t, "info")
	if err != nil {
		t.Fatalf("info after a panic: %v", err)
	}
	if loaded, _ := info.Get("loaded"); loaded.Type() != safejs.TypeBoolean {
		t.Errorf("info().loaded is a %s, want a boolean", describe(loaded))
	}
}
