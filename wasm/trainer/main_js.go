//go:build js && wasm

// Command trainer is the in-browser trainer of Unmix. It runs inside a Web
// Worker (see web/unmix-trainer-worker.js), trains a shared/model preset on
// the bundled CIFAR-10 training sample with the simplego backend, and sets
// the global function
//
//	unmixTrainer(id, op, argsJSON, buffers?)
//
// which queues a request and returns at once. The program answers every
// request with a message {id, ok, result | error}, adding a bytes field
// (Uint8Array) for weights and checkpoints, and sends events {type:
// "progress" | "evaluation" | "stopped", ...} while it works. The page talks
// to the worker with postMessage; see web/unmix-trainer.js.
//
// Build it with
//
//	GOOS=js GOARCH=wasm go build -o build/trainer.wasm ./wasm/trainer
package main

import (
	"context"

	"github.com/unmix/unmix/shared/model"
)

// globalName is the worker's global function that takes requests.
const globalName = "unmixTrainer"

func main() {
	backend, err := model.NewSimpleGoBackend()
	if err != nil {
		logError(err)
		return
	}
	w := newWorker(backend, postToPage)
	if err := register(w); err != nil {
		logError(err)
		return
	}
	w.loop(context.Background())
}
