//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hack-pad/safejs"
)

// callback is the Go side of one exported JavaScript function. It runs on its
// own goroutine, so it may block on JavaScript promises.
type callback func(args []safejs.Value) (any, error)

// exportAsync wraps fn as a JavaScript function that returns a Promise. The
// promise resolves with fn's result, or rejects with an Error whose message is
// fn's error or the text of a recovered panic.
func exportAsync(name string, fn callback) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = rejectedPromise(fmt.Errorf("%s: internal error: %v", name, r))
			}
		}()
		return newPromise(name, func() (any, error) { return fn(args) })
	})
}

// newPromise returns a Promise settled by work, which runs on a new
// goroutine: the executor must return before work may wait on JavaScript.
func newPromise(name string, work func() (any, error)) any {
	promiseClass, err := safejs.Global().Get("Promise")
	if err != nil {
		return jsError(fmt.Errorf("%s: Promise is missing: %w", name, err))
	}

	var executor safejs.Func
	executor, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverQuietly()
		if len(args) < 2 {
			return nil
		}
		resolve, reject := args[0], args[1]
		go func() {
			defer executor.Release()
			settle(name, resolve, reject, work)
		}()
		return nil
	})
	if err != nil {
		return jsError(fmt.Errorf("%s: creating the promise executor: %w", name, err))
	}

	promise, err := promiseClass.New(executor.Value())
	if err != nil {
		executor.Release()
		return jsError(fmt.Errorf("%s: creating the promise: %w", name, err))
	}
	return promise
}

// settle runs work and calls resolve or reject. A panic in work rejects the
// promise with the panic text and a stack trace in the console.
func settle(name string, resolve, reject safejs.Value, work func() (any, error)) {
	defer recoverQuietly()
	result, err := callRecovered(name, work)
	if err == nil {
		if _, invokeErr := resolve.Invoke(result); invokeErr == nil {
			return
		} else {
			err = fmt.Errorf("%s: returning the result to JavaScript: %w", name, invokeErr)
		}
	}
	if _, rejectErr := reject.Invoke(jsError(err)); rejectErr != nil {
		logError(fmt.Errorf("%s: rejecting the promise: %w (original error: %v)", name, rejectErr, err))
	}
}

// callRecovered runs work and turns a panic into an error.
func callRecovered(name string, work func() (any, error)) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			logError(fmt.Errorf("%s: panic: %v\n%s", name, r, debug.Stack()))
			err = fmt.Errorf("%s: internal error: %v", name, r)
		}
	}()
	return work()
}

// rejectedPromise returns Promise.reject(new Error(err)), or the Error itself
// if Promise is unusable.
func rejectedPromise(err error) any {
	defer recoverQuietly()
	promiseClass, getErr := safejs.Global().Get("Promise")
	if getErr != nil {
		return jsError(err)
	}
	promise, callErr := promiseClass.Call("reject", jsError(err))
	if callErr != nil {
		return jsError(err)
	}
	return promise
}

// jsError returns a JavaScript Error with err's text as its message. When
// even that fails it returns the text as a string, which JavaScript can
// still show.
func jsError(err error) any {
	if err == nil {
		err = errors.New("unknown error")
	}
	errorClass, getErr := safejs.Global().Get("Error")
	if getErr != nil {
		return err.Error()
	}
	value, newErr := errorClass.New(err.Error())
	if newErr != nil {
		return err.Error()
	}
	return value
}

// logError writes to the JavaScript console, the only place a worker can
// report an error that has no promise to reject.
func logError(err error) {
	defer recoverQuietly()
	console, getErr := safejs.Global().Get("console")
	if getErr != nil {
		return
	}
	_, _ = console.Call("error", "unmix: "+err.Error())
}

// recoverQuietly stops a panic at a JavaScript boundary when there is no
// promise left to reject. A panic that reached JavaScript would stop the Go
// program for good.
func recoverQuietly() {
	if r := recover(); r != nil {
		println("unmix: recovered panic:", fmt.Sprint(r))
	}
}
