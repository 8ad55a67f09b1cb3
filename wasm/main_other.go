//go:build !(js && wasm)

// Command wasm is the browser build of Unmix. It only runs as WebAssembly:
//
//	GOOS=js GOARCH=wasm go build -o build/unmix.wasm ./wasm
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "unmix wasm: this program runs in a browser Web Worker; build it with GOOS=js GOARCH=wasm go build ./wasm")
	os.Exit(2)
}
