package model

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// NewSimpleGoBackend returns GoMLX's pure-Go backend with an unbounded
// worker pool: its default pool can deadlock (always under wasm, where
// GOMAXPROCS is 1, and at times natively on 2 cores).
func NewSimpleGoBackend() (backends.Backend, error) {
	backend, err := simplego.New("parallelism=-1")
	if err != nil {
		return nil, fmt.Errorf("model: starting the simplego backend: %w", err)
	}
	return backend, nil
}
