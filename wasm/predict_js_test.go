//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hack-pad/safejs"

	"github.com/unmix/unmix/site/samples"
)

// The round trip reuses the site's golden predictions, which native Go made
// from the same weights and sample images.
const (
	goldenPath = "../site/testdata/predictions.json"
	sampleDir  = "../site/static/samples"
)

var modelsDir = flag.String("models", "../shared/models", "folder of trained presets")

type goldenCase struct {
	A      string    `json:"a"`
	B      string    `json:"b"`
	Ratio  float64   `json:"ratio"`
	ProbsA []float64 `json:"probsA"`
	ProbsB []float64 `json:"probsB"`
}

type golden struct {
	Preset string       `json:"preset"`
	Cases  []goldenCase `json:"cases"`
}

// readFileOrSkip reads a file, skipping the test when it does not exist yet.
func readFileOrSkip(t *testing.T, path, hint string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s does not exist: %s", path, hint)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tileRGBA returns a "class:tile" sample image as a JavaScript
// Uint8ClampedArray of 32x32 RGBA bytes, as the widget sends it.
func tileRGBA(t *testing.T, sample *samples.Sample, name string) safejs.Value {
	t.Helper()
	class, tileText, _ := strings.Cut(name, ":")
	label := slices.Index(sample.Index.ClassNames, class)
	tile, err := strconv.Atoi(tileText)
	if label < 0 || err != nil {
		t.Fatalf("invalid tile name %q", name)
	}
	pixels, err := sample.HWC(label, tile)
	if err != nil {
		t.Fatal(err)
	}
	array, err := bytesToJS(rgbaFromPixels(pixels))
	if err != nil {
		t.Fatal(err)
	}
	return array
}

func floatsOf(t *testing.T, result safejs.Value, name string) []float64 {
	t.Helper()
	array, err := result.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	length, err := array.Length()
	if err != nil {
		t.Fatalf("result.%s has no length: %v", name, err)
	}
	out := make([]float64, length)
	for i := range out {
		v, err := array.Index(i)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = v.Float(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestBridgePredictRoundTrip(t *testing.T) {
	var want golden
	goldenData := readFileOrSkip(t, goldenPath, "run go test ./site -run TestGoldenPredictions -update once a preset is trained")
	if err := json.Unmarshal(goldenData, &want); err != nil {
		t.Fatal(err)
	}
	weights := readFileOrSkip(t, filepath.Join(*modelsDir, want.Preset, "weights.unmixw"), "train and export the preset")
	sample, err := samples.Decode(
		readFileOrSkip(t, filepath.Join(sampleDir, samples.SpriteFile), "run samplegen"),
		readFileOrSkip(t, filepath.Join(sampleDir, samples.IndexFile), "run samplegen"))
	if err != nil {
		t.Fatal(err)
	}

	weightsJS, err := bytesToJS(weights)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := call(t, "load", weightsJS)
	if err != nil {
		t.Fatalf("load(%s weights): %v", want.Preset, err)
	}
	if preset, _ := loaded.Get("preset"); func() string { s, _ := preset.String(); return s }() != want.Preset {
		t.Errorf("load returned preset %s, want %s", describe(preset), want.Preset)
	}

	for _, c := range want.Cases {
		result, err := call(t, "predict", tileRGBA(t, sample, c.A), tileRGBA(t, sample, c.B), c.Ratio)
		if err != nil {
			t.Fatalf("predict(%s, %s, %g): %v", c.A, c.B, c.Ratio, err)
		}
		for _, head := range []struct {
			name string
			want []float64
		}{{"probsA", c.ProbsA}, {"probsB", c.ProbsB}} {
			got := floatsOf(t, result, head.name)
			if len(got) != len(head.want) {
				t.Fatalf("%s + %s: %s has %d values, want %d", c.A, c.B, head.name, len(got), len(head.want))
			}
			for i := range got {
				if math.Abs(got[i]-head.want[i]) > 1e-4 {
					t.Errorf("%s + %s at ratio %g: %s[%d] = %.6f, want %.6f", c.A, c.B, c.Ratio, head.name, i, got[i], head.want[i])
				}
			}
		}
		millis, _ := result.Get("millis")
		if ms, err := millis.Float(); err != nil || ms <= 0 {
			t.Errorf("%s + %s: millis = %v, want a positive time", c.A, c.B, describe(millis))
		}
	}

	info, err := call(t, "info")
	if err != nil {
		t.Fatal(err)
	}
	if loadedFlag, _ := info.Get("loaded"); !func() bool { b, _ := loadedFlag.Bool(); return b }() {
		t.Error("info().loaded is false after load")
	}
}
