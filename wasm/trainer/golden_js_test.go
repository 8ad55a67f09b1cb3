//go:build js && wasm

package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestGoldenWasmRun trains a short run under wasm and compares the model's
// predictions with the golden file; with -update it writes the weights and
// predictions that TestGoldenLoadsNatively checks on the native side.
func TestGoldenWasmRun(t *testing.T) {
	session, err := NewSession(newTestBackend(t), bandData(goldenDataSeed), smallConfig(), smallSettings(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	session.Start()
	for step := range goldenSteps {
		if _, err := session.Step(); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
	}
	weights, err := session.Weights()
	if err != nil {
		t.Fatal(err)
	}
	got := predictGolden(t, weights)

	if *update {
		text, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenWeights, weights, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPredictions, append(text, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := comparePredictions(got, readGoldenPredictions(t)); diff != "" {
		t.Errorf("a fresh wasm run predicts differently from %s: %s", goldenPredictions, diff)
	}
}
