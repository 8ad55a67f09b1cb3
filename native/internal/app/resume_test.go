package app_test

import (
	"strings"
	"testing"
)

// TestTrainResumeRestoresRecipe resumes with only --resume, --out, the data
// and --epochs: batch, steps and the rest must come from the checkpoint, not
// from the flag defaults (batch 256, 1300 steps, preset reference).
func TestTrainResumeRestoresRecipe(t *testing.T) {
	dir := copyRun(t, trainedRun(t))

	stdout, stderr, err := runApp(t, "train", "--backend", "go", "--data-dir", tinyDataDir(t), "--out", dir,
		"--epochs", "3", "--resume", "--no-progress")
	if err != nil {
		t.Fatalf("train --resume: %v\nstderr:\n%s", err, stderr)
	}
	for _, want := range []string{"preset=tiny", "batch=8", "steps_per_epoch=2", "start_epoch=3"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("train --resume log lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "trained tiny: 3 epochs, 48 mixtures") {
		t.Errorf("train --resume stdout = %q, want the summary of 3 epochs and 48 mixtures", stdout)
	}
}
