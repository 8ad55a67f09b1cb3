//go:build js && wasm

package main

import (
	"fmt"

	"github.com/hack-pad/safejs"
)

// maxWeightsBytes bounds the weights download. The reference preset's
// weights without optimizer state are a few MB; this leaves room for larger
// presets while stopping a wrong URL that serves a huge file.
const maxWeightsBytes = 256 << 20

// fetchBytes downloads url with the global fetch and returns the body. It
// blocks until the download ends, so it must run on its own goroutine.
func fetchBytes(url string) ([]byte, error) {
	fetch, err := safejs.Global().Get("fetch")
	if err != nil || fetch.Type() != safejs.TypeFunction {
		return nil, fmt.Errorf("fetching %s: this JavaScript environment has no fetch function", url)
	}
	response, err := awaitCall(func() (safejs.Value, error) { return fetch.Invoke(url) })
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}

	ok, err := response.Get("ok")
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if isOK, _ := ok.Bool(); !isOK {
		status, _ := intProperty(response, "status")
		return nil, fmt.Errorf("fetching %s: HTTP status %d: check the URL and that the file was deployed", url, status)
	}

	buffer, err := awaitCall(func() (safejs.Value, error) { return response.Call("arrayBuffer") })
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	size, err := intProperty(buffer, "byteLength")
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if size > maxWeightsBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d-byte limit for a weights file: check the URL", url, size, maxWeightsBytes)
	}
	return bytesOf(url, buffer)
}

// awaitCall calls start, which returns a Promise, and waits for it to settle.
// A rejection becomes an error with the rejection's message.
func awaitCall(start func() (safejs.Value, error)) (safejs.Value, error) {
	promise, err := start()
	if err != nil {
		return safejs.Value{}, err
	}

	type outcome struct {
		value safejs.Value
		err   error
	}
	done := make(chan outcome, 1)
	onResolve, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverQuietly()
		done <- outcome{value: firstArg(args)}
		return nil
	})
	if err != nil {
		return safejs.Value{}, err
	}
	defer onResolve.Release()
	onReject, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverQuietly()
		done <- outcome{err: fmt.Errorf("%s", errorText(firstArg(args)))}
		return nil
	})
	if err != nil {
		return safejs.Value{}, err
	}
	defer onReject.Release()

	if _, err := promise.Call("then", onResolve.Value(), onReject.Value()); err != nil {
		return safejs.Value{}, fmt.Errorf("waiting for a promise: %w", err)
	}
	result := <-done
	return result.value, result.err
}

func firstArg(args []safejs.Value) safejs.Value {
	if len(args) == 0 {
		return safejs.Undefined()
	}
	return args[0]
}

// errorText returns the message of a JavaScript Error, or the value as text.
func errorText(v safejs.Value) string {
	if v.Type() == safejs.TypeObject && !v.IsNull() {
		if message, err := v.Get("message"); err == nil && message.Type() == safejs.TypeString {
			if s, err := message.String(); err == nil {
				return s
			}
		}
	}
	if s, err := v.String(); err == nil {
		return s
	}
	return "unknown JavaScript error"
}
