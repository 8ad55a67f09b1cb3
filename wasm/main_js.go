//go:build js && wasm

// Command wasm is the browser build of Unmix. It runs inside a Web Worker
// (see web/unmix-worker.js) and sets the global object unmix with
//
//	load(url | bytes)                -> Promise<{preset, bytes, millis}>
//	predict(imageA, imageB, ratio?)  -> Promise<result>
//	predictMixed(image)              -> Promise<result>
//	info()                           -> Promise<{loaded, preset, source}>
//
// Images are 32x32: ImageData, RGBA or RGB bytes, or a Float32Array of
// [32, 32, 3] values in [0, 1]. Every function returns a promise that rejects
// with an Error on bad input, and a Go panic also ends as a rejection.
//
// Build it with
//
//	GOOS=js GOARCH=wasm go build -o build/unmix.wasm ./wasm
package main

import (
	"fmt"

	"github.com/hack-pad/safejs"
)

// globalName is the property of the worker's global object that holds the API.
const globalName = "unmix"

func main() {
	if err := register(&service{}); err != nil {
		logError(err)
		return
	}
	select {} // serve calls from JavaScript until the worker ends
}

// register sets the global unmix object.
func register(s *service) error {
	api, err := safejs.ValueOf(map[string]any{})
	if err != nil {
		return fmt.Errorf("creating the %s object: %w", globalName, err)
	}
	for name, fn := range map[string]callback{
		"load":         s.load,
		"predict":      s.predict,
		"predictMixed": s.predictMixed,
		"info":         s.info,
	} {
		jsFunc, err := exportAsync(name, fn)
		if err != nil {
			return fmt.Errorf("exporting %s: %w", name, err)
		}
		if err := api.Set(name, jsFunc.Value()); err != nil {
			return fmt.Errorf("setting %s.%s: %w", globalName, name, err)
		}
	}
	if err := safejs.Global().Set(globalName, api); err != nil {
		return fmt.Errorf("setting the global %s: %w", globalName, err)
	}
	return nil
}
