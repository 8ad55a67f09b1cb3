package app_test

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/unmix/unmix/native/internal/app"
	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/models"
)

// Tolerances between a fresh evaluation of shipped weights and their eval.json.
// Round 1 uses the same mixtures, so only backend arithmetic differs. The
// recorded mean also averages rounds 2-10, which this test does not run.
const (
	roundOneTolerance = 0.005
	meanTolerance     = 0.01
)

// TestShippedWeightsMatchRecordedEval re-runs round 1 of the evaluation
// protocol on the real CIFAR-10 test set for each shipped preset and
// compares it with the preset's eval.json. It needs UNMIX_DATA_DIR and the
// XLA CPU plugin; without the plugin it skips, except under CI=true.
func TestShippedWeightsMatchRecordedEval(t *testing.T) {
	presets := models.Presets()
	if len(presets) == 0 {
		t.Skip("no preset ships weights in shared/models")
	}
	if testing.Short() {
		t.Skip("evaluates 10000 real test mixtures per preset; skipped in -short mode")
	}
	dataDir := os.Getenv("UNMIX_DATA_DIR")
	if dataDir == "" {
		t.Skip("UNMIX_DATA_DIR is not set: point it at the CIFAR-10 folder (make data)")
	}
	if _, err := os.Stat(filepath.Join(dataDir, cifar.TestFile)); err != nil {
		t.Skipf("UNMIX_DATA_DIR has no CIFAR-10 test set: %v", err)
	}
	requireXLACPU(t)

	for _, preset := range presets {
		t.Run(preset, func(t *testing.T) {
			recorded := readShippedReport(t, preset)
			if len(recorded.Result.RoundAccuracy) == 0 || recorded.Result.PerRound <= 0 {
				t.Fatalf("shipped %s eval.json has %d rounds of %d mixtures, want at least one round",
					preset, len(recorded.Result.RoundAccuracy), recorded.Result.PerRound)
			}

			outDir := t.TempDir()
			_, stderr, err := runApp(t, "eval", "--preset", preset, "--data-dir", dataDir, "--backend", "xla:cpu",
				"--rounds", "1", "--mixtures", strconv.Itoa(recorded.Result.PerRound),
				"--seed", strconv.FormatInt(recorded.Result.Seed, 10), "--out", outDir)
			if err != nil {
				t.Fatalf("eval --preset %s: %v\nstderr:\n%s", preset, err, stderr)
			}
			fresh := readReport(t, filepath.Join(outDir, "eval.json"))

			if fresh.WeightsSHA256 != recorded.WeightsSHA256 {
				t.Errorf("shipped weights have SHA-256 %s, but eval.json records %s: re-run eval on the shipped weights",
					fresh.WeightsSHA256, recorded.WeightsSHA256)
			}
			got := fresh.Result.RoundAccuracy[0]
			if want := recorded.Result.RoundAccuracy[0]; math.Abs(got-want) > roundOneTolerance {
				t.Errorf("round 1 accuracy = %.4f, want the recorded %.4f within %g", got, want, roundOneTolerance)
			}
			if want := recorded.Result.Mean; math.Abs(got-want) > meanTolerance {
				t.Errorf("round 1 accuracy = %.4f, want the recorded %d-round mean %.4f within %g",
					got, recorded.Result.Rounds, want, meanTolerance)
			}
		})
	}
}

// requireXLACPU skips the test when the XLA CPU plugin does not load, or
// fails it when CI=true, where the plugin is installed by `make xla-plugin`.
func requireXLACPU(t *testing.T) {
	t.Helper()
	backend, err := backends.NewWithConfig("xla:cpu")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("XLA CPU backend: %v: CI must run `make xla-plugin` and export PJRT_PLUGIN_LIBRARY_PATH", err)
		}
		t.Skipf("XLA CPU backend unavailable (run `make xla-plugin` and set PJRT_PLUGIN_LIBRARY_PATH): %v", err)
	}
	backend.Finalize()
}

func readShippedReport(t *testing.T, preset string) app.EvalReport {
	t.Helper()
	data, err := fs.ReadFile(models.FS(), path.Join(preset, "eval.json"))
	if err != nil {
		t.Fatalf("shipped %s weights have no eval.json: %v", preset, err)
	}
	return decodeReport(t, preset+"/eval.json", data)
}

func readReport(t *testing.T, path string) app.EvalReport {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeReport(t, path, data)
}

func decodeReport(t *testing.T, name string, data []byte) app.EvalReport {
	t.Helper()
	var report app.EvalReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return report
}
