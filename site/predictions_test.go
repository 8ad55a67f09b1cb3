package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
	"github.com/unmix/unmix/site/samples"
)

var modelsDir = flag.String("models", "../shared/models", "folder of trained presets for the prediction and browser tests")

const predictionsGolden = "testdata/predictions.json"

// goldenPredictions are the native Go predictions for fixed pairs of the
// bundled sample. The browser must reproduce them within browserTolerance.
type goldenPredictions struct {
	Preset        string           `json:"preset"`
	WeightsSHA256 string           `json:"weightsSHA256"`
	Cases         []predictionCase `json:"cases"`
}

// predictionCase is one pair. A and B name sample tiles as "class:tile".
type predictionCase struct {
	A      string    `json:"a"`
	B      string    `json:"b"`
	Ratio  float64   `json:"ratio"`
	ProbsA []float64 `json:"probsA"`
	ProbsB []float64 `json:"probsB"`
}

// widgetName returns how the widget names a tile: "cat:3" is "cat #3".
func widgetName(tile string) string {
	return strings.Replace(tile, ":", " #", 1)
}

// predictionCases are the pairs of the golden file.
var predictionCases = []predictionCase{
	{A: "cat:3", B: "ship:7", Ratio: 0.5},
	{A: "cat:3", B: "ship:7", Ratio: 0.3},
	{A: "automobile:5", B: "horse:2", Ratio: 0.5},
}

func loadSample(t *testing.T) *samples.Sample {
	t.Helper()
	sprite, err := static.ReadFile("static/samples/" + samples.SpriteFile)
	if err != nil {
		t.Fatal(err)
	}
	index, err := static.ReadFile("static/samples/" + samples.IndexFile)
	if err != nil {
		t.Fatal(err)
	}
	sample, err := samples.Decode(sprite, index)
	if err != nil {
		t.Fatal(err)
	}
	return sample
}

// tilePixels returns the [32, 32, 3] pixels of a "class:tile" name.
func tilePixels(t *testing.T, sample *samples.Sample, name string) []float32 {
	t.Helper()
	class, tileText, _ := strings.Cut(name, ":")
	label := slices.Index(sample.Index.ClassNames, class)
	tile, err := strconv.Atoi(tileText)
	if label < 0 || err != nil {
		t.Fatalf("invalid tile name %q: want class:index", name)
	}
	pixels, err := sample.HWC(label, tile)
	if err != nil {
		t.Fatal(err)
	}
	return pixels
}

// readWeights returns the weights file of preset and its SHA-256, or skips
// the test when the preset has not been trained.
func readWeights(t *testing.T, preset string) ([]byte, string) {
	t.Helper()
	path := filepath.Join(*modelsDir, preset, WeightsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no trained weights at %s: train and export the %s preset, or pass -models", path, preset)
	}
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// nativePredictions runs the golden pairs through the model natively.
func nativePredictions(t *testing.T, preset string) goldenPredictions {
	t.Helper()
	weights, sum := readWeights(t, preset)
	backend, err := model.NewSimpleGoBackend()
	if err != nil {
		t.Fatal(err)
	}
	predictor, err := model.LoadPredictor(backend, weights)
	if err != nil {
		t.Fatal(err)
	}

	sample := loadSample(t)
	golden := goldenPredictions{Preset: preset, WeightsSHA256: sum}
	for _, c := range predictionCases {
		mixed, err := mixture.Mix(tilePixels(t, sample, c.A), tilePixels(t, sample, c.B), float32(c.Ratio))
		if err != nil {
			t.Fatal(err)
		}
		probsA, probsB, err := predictor.Predict(mixed, 1)
		if err != nil {
			t.Fatalf("predicting %s + %s: %v", c.A, c.B, err)
		}
		c.ProbsA, c.ProbsB = float64s(probsA), float64s(probsB)
		golden.Cases = append(golden.Cases, c)
	}
	return golden
}

func float64s(values []float32) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = float64(v)
	}
	return out
}

// readGoldenPredictions reads the golden file and checks that it was made
// with the weights under modelsDir.
func readGoldenPredictions(t *testing.T) goldenPredictions {
	t.Helper()
	data, err := os.ReadFile(predictionsGolden)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no %s yet: once a preset is trained, run go test ./site -run TestGoldenPredictions -update", predictionsGolden)
	}
	if err != nil {
		t.Fatal(err)
	}
	var golden goldenPredictions
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("%s: %v", predictionsGolden, err)
	}
	if _, sum := readWeights(t, golden.Preset); sum != golden.WeightsSHA256 {
		t.Fatalf("%s was made with %s weights %s, but %s has %s: run go test ./site -run TestGoldenPredictions -update",
			predictionsGolden, golden.Preset, golden.WeightsSHA256[:12], *modelsDir, sum[:12])
	}
	return golden
}

// comparePredictions returns a description of the first probability that
// differs by more than tolerance, or "".
func comparePredictions(got, want predictionCase, tolerance float64) string {
	for _, head := range []struct {
		name      string
		got, want []float64
	}{{"A", got.ProbsA, want.ProbsA}, {"B", got.ProbsB, want.ProbsB}} {
		if len(head.got) != len(head.want) {
			return fmt.Sprintf("head %s has %d probabilities, want %d", head.name, len(head.got), len(head.want))
		}
		for i := range head.got {
			if math.Abs(head.got[i]-head.want[i]) > tolerance {
				return fmt.Sprintf("head %s class %d: got %.6f, want %.6f (tolerance %g)", head.name, i, head.got[i], head.want[i], tolerance)
			}
		}
	}
	return ""
}

func TestGoldenPredictionsMatchNative(t *testing.T) {
	if *update {
		models, err := LoadModels(*modelsDir)
		if err != nil {
			t.Fatal(err)
		}
		preset, err := defaultPreset(models, "")
		if err != nil || preset == "" {
			t.Skipf("no trained preset under %s to make %s from (%v)", *modelsDir, predictionsGolden, err)
		}
		data, err := json.MarshalIndent(nativePredictions(t, preset), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(predictionsGolden, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	golden := readGoldenPredictions(t)
	native := nativePredictions(t, golden.Preset)
	if len(native.Cases) != len(golden.Cases) {
		t.Fatalf("golden file has %d cases, want %d: run with -update", len(golden.Cases), len(native.Cases))
	}
	for i, want := range golden.Cases {
		if diff := comparePredictions(native.Cases[i], want, 1e-6); diff != "" {
			t.Errorf("%s + %s at ratio %g: %s", want.A, want.B, want.Ratio, diff)
		}
	}
}
