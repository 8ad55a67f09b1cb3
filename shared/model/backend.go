package model

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// NewSimpleGoBackend returns GoMLX's pure-Go backend with an unbounded
// worker pool: its default pool can deadlock (always under wasm, where
// GOMAXPROCS is 1, and at times natively on 2 cores).
func NewSimpleGoBackend() (backends.Backend, error) {
	// simplego.New prints "SimpleGo backend: parallelism set to -1" to
	// standard output, which would mix into the output of commands such as
	// `unmix predict`.
	restore := silenceStdout()
	backend, err := simplego.New("parallelism=-1")
	restore()
	if err != nil {
		return nil, fmt.Errorf("model: starting the simplego backend: %w", err)
	}
	return backend, nil
}

// silenceStdout points os.Stdout at the null device until the returned
// function is called. Where the null device cannot be opened (some wasm
// hosts), it changes nothing. It is not safe to call concurrently with
// other writers of os.Stdout.
func silenceStdout() (restore func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	saved := os.Stdout
	os.Stdout = null
	return func() {
		os.Stdout = saved
		null.Close()
	}
}
