//go:build !(js && wasm)

package main

import (
	"os"
	"testing"

	"github.com/unmix/unmix/shared/model"
)

// TestGoldenLoadsNatively loads the weights the trainer wrote under wasm
// and checks that the native build predicts what the wasm build did.
func TestGoldenLoadsNatively(t *testing.T) {
	weights, err := os.ReadFile(goldenWeights)
	if err != nil {
		t.Fatalf("%v: write it with GOOS=js GOARCH=wasm go test -exec=$(go env GOROOT)/lib/wasm/go_js_wasm_exec ./wasm/trainer -run TestGolden -update", err)
	}
	file, err := model.DecodeWeights(weights)
	if err != nil {
		t.Fatal(err)
	}
	if file.Config.Preset != smallConfig().Preset || len(file.State) != 0 {
		t.Errorf("golden weights hold preset %q and %d bytes of run state, want %q and none", file.Config.Preset, len(file.State), smallConfig().Preset)
	}
	if diff := comparePredictions(predictGolden(t, weights), readGoldenPredictions(t)); diff != "" {
		t.Errorf("native predictions differ from the wasm ones in %s: %s", goldenPredictions, diff)
	}
}
