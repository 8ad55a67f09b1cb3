package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/unmix/unmix/native/internal/app"
	"github.com/unmix/unmix/native/internal/plot"
	"github.com/unmix/unmix/shared/model"
)

// Files a training run writes into its --out folder.
const (
	checkpointName = "checkpoint.unmixw"
	bestName       = "best.unmixw"
	weightsName    = "weights.unmixw"
	historyJSON    = "history.json"
	historyPNG     = "history.png"
	summaryName    = "train.json"
)

// trainArgs returns a `train` command line for the tiny preset on the pure-Go
// backend, sized to run in seconds: 2 steps of 8 mixtures per epoch, and
// batch-norm averages recomputed over 16 mixtures before each validation.
func trainArgs(dataDir, outDir string, epochs string, extra ...string) []string {
	args := []string{"train", "--backend", "go", "--preset", "tiny", "--data-dir", dataDir, "--out", outDir,
		"--steps-per-epoch", "2", "--epochs", epochs, "--batch", "8", "--val-mixtures", "16", "--bn-calibration", "16",
		"--no-progress"}
	return append(args, extra...)
}

var trained struct {
	once   sync.Once
	dir    string
	stdout string
	err    error
}

// trainedRun returns the folder of a 2-epoch tiny run on the generated data,
// training it on first use. Tests that change the run work on a copy.
func trainedRun(t *testing.T) string {
	t.Helper()
	dataDir := tinyDataDir(t)
	trained.once.Do(func() {
		trained.dir = filepath.Join(testRoot, "run")
		trained.stdout, _, trained.err = runApp(t, trainArgs(dataDir, trained.dir, "2")...)
	})
	if trained.err != nil {
		t.Fatalf("training the shared tiny run: %v", trained.err)
	}
	return trained.dir
}

// copyRun copies the files of a run folder into a new temporary folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func readHistory(t *testing.T, runDir string) plot.History {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, historyJSON))
	if err != nil {
		t.Fatal(err)
	}
	var history plot.History
	if err := json.Unmarshal(data, &history); err != nil {
		t.Fatalf("%s: %v", historyJSON, err)
	}
	return history
}

func epochNumbers(h plot.History) []int {
	var epochs []int
	for _, e := range h.Epochs {
		epochs = append(epochs, e.Epoch)
	}
	return epochs
}

func TestTrainWritesRunFiles(t *testing.T) {
	dir := trainedRun(t)

	for _, name := range []string{checkpointName, bestName, weightsName, historyJSON, historyPNG, summaryName} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("train did not write %s: %v", name, err)
			continue
		}
		if info.Size() == 0 {
			t.Errorf("%s is empty", name)
		}
	}

	for _, name := range []string{checkpointName, bestName, weightsName} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue // reported above
		}
		file, err := model.DecodeWeights(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got, want := file.Config.Preset, "tiny"; got != want {
			t.Errorf("%s preset = %q, want %q", name, got, want)
		}
	}

	history := readHistory(t, dir)
	if got, want := epochNumbers(history), []int{1, 2}; !slices.Equal(got, want) {
		t.Errorf("history epochs = %v, want %v", got, want)
	}
	for _, e := range history.Epochs {
		if e.TrainLoss <= 0 || e.ValLoss <= 0 {
			t.Errorf("epoch %d: train loss %g, validation loss %g, want both positive", e.Epoch, e.TrainLoss, e.ValLoss)
		}
		// The trainer stores the learning rate as a float32.
		if float32(e.LearningRate) != float32(model.DefaultLearningRate) {
			t.Errorf("epoch %d: learning rate %g, want %g", e.Epoch, e.LearningRate, model.DefaultLearningRate)
		}
	}

	if data, err := os.ReadFile(filepath.Join(dir, summaryName)); err == nil {
		var summary app.TrainSummary
		if err := json.Unmarshal(data, &summary); err != nil {
			t.Errorf("%s: %v", summaryName, err)
		}
		if summary.Preset != "tiny" || summary.EpochsDone != 2 || summary.Images != 32 {
			t.Errorf("%s: preset %q, %d epochs, %d mixtures, want tiny, 2 and 32", summaryName, summary.Preset, summary.EpochsDone, summary.Images)
		}
	}

	if f, err := os.Open(filepath.Join(dir, historyPNG)); err == nil {
		defer f.Close()
		if _, err := png.DecodeConfig(f); err != nil {
			t.Errorf("%s is not a PNG: %v", historyPNG, err)
		}
	}
	if !strings.Contains(trained.stdout, "trained tiny: 2 epochs, 32 mixtures") {
		t.Errorf("train stdout = %q, want the summary of 2 epochs of 2 steps of 8 mixtures", trained.stdout)
	}
}

func TestTrainExistingRunNeedsResume(t *testing.T) {
	dir := trainedRun(t)
	before, err := os.ReadFile(filepath.Join(dir, checkpointName))
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = runApp(t, trainArgs(tinyDataDir(t), dir, "2")...)
	if err == nil {
		t.Fatal("train into a folder containing a run succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "--resume") {
		t.Errorf("train error = %q, want it to mention --resume", err)
	}

	after, err := os.ReadFile(filepath.Join(dir, checkpointName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("train without --resume rewrote %s", checkpointName)
	}
}

func TestTrainResumeContinuesAtNextEpoch(t *testing.T) {
	dir := copyRun(t, trainedRun(t))

	stdout, stderr, err := runApp(t, trainArgs(tinyDataDir(t), dir, "3", "--resume")...)
	if err != nil {
		t.Fatalf("train --resume: %v\nstderr:\n%s", err, stderr)
	}

	if !strings.Contains(stderr, "start_epoch=3") {
		t.Errorf("train --resume log does not contain start_epoch=3:\n%s", stderr)
	}
	if got, want := epochNumbers(readHistory(t, dir)), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("history epochs after resuming = %v, want %v", got, want)
	}
	if !strings.Contains(stdout, "trained tiny: 3 epochs, 48 mixtures") {
		t.Errorf("train --resume stdout = %q, want the summary of 3 epochs and 48 mixtures", stdout)
	}
}

func TestTrainResumeRejectsTruncatedCheckpoint(t *testing.T) {
	dir := copyRun(t, trainedRun(t))
	path := filepath.Join(dir, checkpointName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	truncated := data[:len(data)/2]
	if err := os.WriteFile(path, truncated, 0o644); err != nil {
		t.Fatal(err)
	}

	_, _, err = runApp(t, trainArgs(tinyDataDir(t), dir, "3", "--resume")...)
	if err == nil {
		t.Fatal("train --resume from a truncated checkpoint succeeded, want an error")
	}
	for _, want := range []string{path, "truncated or corrupt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("train --resume error = %q, want it to contain %q", err, want)
		}
	}

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, truncated) {
		t.Errorf("train --resume overwrote the truncated checkpoint: got %d bytes, want the %d bytes left in place", len(after), len(truncated))
	}
}

func TestTrainResumeWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runApp(t, trainArgs(tinyDataDir(t), dir, "1", "--resume")...)
	if err == nil {
		t.Fatal("train --resume in an empty folder succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "without --resume") {
		t.Errorf("train --resume error = %q, want it to suggest a run without --resume", err)
	}
}

func TestTrainResumeRejectsOtherPreset(t *testing.T) {
	dir := trainedRun(t)
	args := trainArgs(tinyDataDir(t), dir, "3", "--resume")
	for i, arg := range args {
		if arg == "tiny" {
			args[i] = "slim"
		}
	}
	_, _, err := runApp(t, args...)
	if err == nil {
		t.Fatal("train --resume --preset slim on a tiny run succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "--preset tiny") {
		t.Errorf("train --resume error = %q, want it to suggest --preset tiny", err)
	}
}

// TestTrainInterrupted runs train with a context canceled before the first
// step, as Ctrl-C does, so no epoch ends.
func TestTrainInterrupted(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		dir        string
		extra      []string
		wantResume bool // whether the error suggests --resume
	}{
		{"new run", t.TempDir(), nil, false},
		{"resumed run", copyRun(t, trainedRun(t)), []string{"--resume"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(filepath.Join(tt.dir, checkpointName))

			var stdout, stderr bytes.Buffer
			err := app.Run(canceled, trainArgs(tinyDataDir(t), tt.dir, "3", tt.extra...), &stdout, &stderr)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("train with a canceled context: error = %v, want context.Canceled", err)
			}
			if got := strings.Contains(err.Error(), "--resume"); got != tt.wantResume {
				t.Errorf("train error = %q: mentions --resume %v, want %v", err, got, tt.wantResume)
			}

			after, _ := os.ReadFile(filepath.Join(tt.dir, checkpointName))
			if !bytes.Equal(before, after) {
				t.Errorf("interrupted train changed %s: got %d bytes, want the %d before", checkpointName, len(after), len(before))
			}
		})
	}
}
