//go:build !(js && wasm)

// Command trainer is the in-browser trainer of Unmix. It only runs as
// WebAssembly, in a Web Worker:
//
//	GOOS=js GOARCH=wasm go build -o build/trainer.wasm ./wasm/trainer
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "unmix trainer: this program runs in a browser Web Worker; build it with GOOS=js GOARCH=wasm go build -o build/trainer.wasm ./wasm/trainer")
	os.Exit(2)
}
