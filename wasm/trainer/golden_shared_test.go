package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// Golden files written by the wasm test with -update: the weights a short
// run of the trainer produces under wasm, and that model's predictions,
// computed under wasm, for fixed mixtures.
var (
	goldenWeights     = filepath.Join("testdata", "wasm-trained.unmixw")
	goldenPredictions = filepath.Join("testdata", "wasm-predictions.json")
)

// goldenTolerance bounds the difference between wasm and native
// predictions: both run simplego in float32, possibly summing in another
// order.
const goldenTolerance = 1e-4

// Golden run: smallConfig on bandData(goldenDataSeed), goldenSteps steps.
const (
	goldenDataSeed    = 5
	goldenSteps       = 3
	goldenMixtures    = 6
	goldenMixtureSeed = 9
)

// predictionsFile is the content of wasm-predictions.json.
type predictionsFile struct {
	Note   string      `json:"note"`
	ProbsA [][]float32 `json:"probsA"`
	ProbsB [][]float32 `json:"probsB"`
}

// goldenInputs returns the fixed mixtures both platforms predict.
func goldenInputs(t *testing.T) []float32 {
	t.Helper()
	data := bandData(goldenDataSeed)
	gen, err := mixture.NewGenerator(data.TestA, data.TestB, goldenMixtureSeed)
	if err != nil {
		t.Fatal(err)
	}
	images, _, _ := gen.Batch(goldenMixtures)
	return images
}

// predictGolden loads weights and predicts the golden inputs.
func predictGolden(t *testing.T, weights []byte) predictionsFile {
	t.Helper()
	predictor, err := model.LoadPredictor(newTestBackend(t), weights)
	if err != nil {
		t.Fatal(err)
	}
	probsA, probsB, err := predictor.Predict(goldenInputs(t), goldenMixtures)
	if err != nil {
		t.Fatal(err)
	}
	p := predictionsFile{Note: "written by GOOS=js GOARCH=wasm go test ./wasm/trainer -run TestGolden -update"}
	for i := range goldenMixtures {
		p.ProbsA = append(p.ProbsA, probsA[i*model.NumClasses:(i+1)*model.NumClasses])
		p.ProbsB = append(p.ProbsB, probsB[i*model.NumClasses:(i+1)*model.NumClasses])
	}
	return p
}

func readGoldenPredictions(t *testing.T) predictionsFile {
	t.Helper()
	data, err := os.ReadFile(goldenPredictions)
	if err != nil {
		t.Fatalf("%v: write it with GOOS=js GOARCH=wasm go test -exec=$(go env GOROOT)/lib/wasm/go_js_wasm_exec ./wasm/trainer -run TestGolden -update", err)
	}
	var p predictionsFile
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("%s: %v", goldenPredictions, err)
	}
	return p
}

// comparePredictions returns the first difference above goldenTolerance, or "".
func comparePredictions(got, want predictionsFile) string {
	if len(got.ProbsA) != len(want.ProbsA) || len(got.ProbsB) != len(want.ProbsB) {
		return fmt.Sprintf("got %d/%d rows, want %d/%d", len(got.ProbsA), len(got.ProbsB), len(want.ProbsA), len(want.ProbsB))
	}
	for head, rows := range map[string][2][][]float32{"A": {got.ProbsA, want.ProbsA}, "B": {got.ProbsB, want.ProbsB}} {
		for i := range rows[0] {
			for j := range rows[0][i] {
				if diff := math.Abs(float64(rows[0][i][j] - rows[1][i][j])); diff > goldenTolerance {
					return fmt.Sprintf("head %s mixture %d class %d: got %.6f, want %.6f (difference %.2g > %g)",
						head, i, j, rows[0][i][j], rows[1][i][j], diff, goldenTolerance)
				}
			}
		}
	}
	return ""
}
