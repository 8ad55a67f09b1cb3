//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hack-pad/safejs"
)

// register sets the global unmixTrainer function, which hands requests to w.
func register(w *worker) error {
	fn, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverQuietly()
		r, err := parseRequest(args)
		if err != nil {
			postToPage(reply{ID: r.ID, Error: err.Error()}, nil)
			return nil
		}
		// The callback runs on the JavaScript thread and must not block:
		// enqueue never waits.
		w.enqueue(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating the %s function: %w", globalName, err)
	}
	if err := safejs.Global().Set(globalName, fn.Value()); err != nil {
		return fmt.Errorf("setting the global %s: %w", globalName, err)
	}
	return nil
}

// parseRequest reads (id, op, argsJSON, buffers) and copies the buffers
// into Go, since JavaScript may reuse them once the callback returns.
func parseRequest(args []safejs.Value) (request, error) {
	var r request
	if len(args) < 2 {
		return r, fmt.Errorf("%s: got %d arguments, want id, op, argsJSON and optional buffers", globalName, len(args))
	}
	var err error
	if r.ID, err = args[0].Int(); err != nil {
		return r, fmt.Errorf("%s: the id is a %s, want a number", globalName, args[0].Type())
	}
	if r.Op, err = args[1].String(); err != nil {
		return r, fmt.Errorf("%s: the operation is a %s, want a string", globalName, args[1].Type())
	}
	if len(args) > 2 && args[2].Type() == safejs.TypeString {
		text, _ := args[2].String()
		r.Args = json.RawMessage(text)
	}
	if len(args) > 3 && !args[3].IsUndefined() && !args[3].IsNull() {
		n, err := args[3].Length()
		if err != nil {
			return r, fmt.Errorf("%s: %s: the buffers are not an array: %w", globalName, r.Op, err)
		}
		for i := range n {
			buffer, err := args[3].Index(i)
			if err != nil {
				return r, err
			}
			if buffer.IsNull() || buffer.IsUndefined() {
				r.Buffers = append(r.Buffers, nil)
				continue
			}
			data, err := bytesOf(buffer)
			if err != nil {
				return r, fmt.Errorf("%s: %s: buffer %d: %w", globalName, r.Op, i, err)
			}
			r.Buffers = append(r.Buffers, data)
		}
	}
	return r, nil
}

// bytesOf copies a Uint8Array or an ArrayBuffer into Go.
func bytesOf(v safejs.Value) ([]byte, error) {
	uint8Class, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return nil, err
	}
	view := v
	if isView, _ := v.InstanceOf(uint8Class); !isView {
		bufferClass, err := safejs.Global().Get("ArrayBuffer")
		if err != nil {
			return nil, err
		}
		if isBuffer, _ := v.InstanceOf(bufferClass); !isBuffer {
			return nil, errors.New("want a Uint8Array or an ArrayBuffer")
		}
		if view, err = uint8Class.New(v); err != nil {
			return nil, err
		}
	}
	n, err := view.Length()
	if err != nil {
		return nil, err
	}
	data := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(data, view); err != nil {
		return nil, err
	}
	return data, nil
}

// postToPage sends message, encoded as JSON and parsed into a JavaScript
// object, to the page. data, when not nil, goes along as a transferred
// Uint8Array in the bytes field.
func postToPage(message any, data []byte) {
	defer recoverQuietly()
	if err := post(message, data); err != nil {
		logError(fmt.Errorf("sending a message to the page: %w", err))
	}
}

func post(message any, data []byte) error {
	text, err := json.Marshal(message)
	if err != nil {
		return err
	}
	jsonObject, err := safejs.Global().Get("JSON")
	if err != nil {
		return err
	}
	value, err := jsonObject.Call("parse", string(text))
	if err != nil {
		return err
	}
	var transfer []any
	if data != nil {
		array, err := bytesToJS(data)
		if err != nil {
			return err
		}
		if err := value.Set("bytes", array); err != nil {
			return err
		}
		buffer, err := array.Get("buffer")
		if err != nil {
			return err
		}
		transfer = append(transfer, buffer)
	}
	postMessage, err := safejs.Global().Get("postMessage")
	if err != nil || postMessage.Type() != safejs.TypeFunction {
		return errors.New("postMessage is missing: the trainer runs in a Web Worker")
	}
	_, err = postMessage.Invoke(value, transfer)
	return err
}

// bytesToJS returns a new Uint8Array holding data.
func bytesToJS(data []byte) (safejs.Value, error) {
	class, err := safejs.Global().Get("Uint8Array")
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

// logError writes to the worker's console, where errors that have no request
// to answer go.
func logError(err error) {
	defer recoverQuietly()
	console, getErr := safejs.Global().Get("console")
	if getErr != nil {
		return
	}
	_, _ = console.Call("error", "unmix trainer: "+err.Error())
}

// recoverQuietly stops a panic at the JavaScript boundary: a panic that
// reached JavaScript would stop the Go program for good.
func recoverQuietly() {
	if r := recover(); r != nil {
		println("unmix trainer: recovered panic:", fmt.Sprint(r))
	}
}
