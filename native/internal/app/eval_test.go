package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unmix/unmix/native/internal/app"
	"github.com/unmix/unmix/shared/cifar"
)

func TestEvalWritesReport(t *testing.T) {
	weights := exportedWeights(t)
	outDir := filepath.Join(t.TempDir(), "eval")
	args := []string{"eval", "--backend", "go", "--weights", weights, "--data-dir", tinyDataDir(t),
		"--rounds", "2", "--mixtures", "32", "--batch", "16", "--seed", "5", "--out", outDir}

	stdout, stderr, err := runApp(t, args...)
	if err != nil {
		t.Fatalf("Run(%q): %v\nstderr:\n%s", args, err, stderr)
	}
	if !strings.Contains(stdout, "2 rounds of 32 test mixtures") || !strings.Contains(stdout, "mean ± std") {
		t.Errorf("eval stdout = %q, want the table of 2 rounds of 32 mixtures", stdout)
	}

	data, err := os.ReadFile(filepath.Join(outDir, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkReportFields(t, data)

	var report app.EvalReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("eval.json: %v", err)
	}
	weightsData, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(weightsData)
	checks := []struct {
		field     string
		got, want any
	}{
		{"preset", report.Preset, "tiny"},
		{"weights", report.Weights, weights},
		{"weights_sha256", report.WeightsSHA256, hex.EncodeToString(sum[:])},
		{"weights_bytes", report.WeightsBytes, len(weightsData)},
		{"command", report.Command, "unmix eval " + strings.Join(args[1:], " ")},
		{"result.rounds", report.Result.Rounds, 2},
		{"result.per_round", report.Result.PerRound, 32},
		{"result.seed", report.Result.Seed, int64(5)},
		{"len(result.round_accuracy)", len(report.Result.RoundAccuracy), 2},
		{"len(result.round_accuracy_a)", len(report.Result.RoundAccuracyA), 2},
		{"len(result.round_accuracy_b)", len(report.Result.RoundAccuracyB), 2},
		{"len(result.confusion_a)", len(report.Result.ConfusionA), cifar.GroupSize},
		{"len(result.confusion_b)", len(report.Result.ConfusionB), cifar.GroupSize},
		{"result.confusion_a total", matrixTotal(report.Result.ConfusionA), 64},
		{"result.confusion_b total", matrixTotal(report.Result.ConfusionB), 64},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("eval.json %s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if report.Parameters <= 0 || report.ForwardGFLOPs <= 0 {
		t.Errorf("eval.json parameters = %d, forward_gflops = %g, want both positive", report.Parameters, report.ForwardGFLOPs)
	}
	if report.Backend == "" || report.Machine == "" || report.Date == "" {
		t.Errorf("eval.json backend = %q, machine = %q, date = %q, want all set", report.Backend, report.Machine, report.Date)
	}
	if report.Seconds <= 0 || report.ImagesPerSecond <= 0 {
		t.Errorf("eval.json seconds = %g, images_per_second = %g, want both positive", report.Seconds, report.ImagesPerSecond)
	}
	if got, want := report.Result.Mean, mean(report.Result.RoundAccuracy); math.Abs(got-want) > 1e-12 {
		t.Errorf("eval.json result.mean = %g, want the mean of round_accuracy %g", got, want)
	}
	for i, acc := range report.Result.RoundAccuracy {
		if want := (report.Result.RoundAccuracyA[i] + report.Result.RoundAccuracyB[i]) / 2; math.Abs(acc-want) > 1e-12 {
			t.Errorf("eval.json round %d accuracy = %g, want the mean of both heads %g", i+1, acc, want)
		}
	}

	for _, name := range []string{"confusion_a.png", "confusion_b.png"} {
		f, err := os.Open(filepath.Join(outDir, name))
		if err != nil {
			t.Errorf("eval did not write %s: %v", name, err)
			continue
		}
		_, err = png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Errorf("%s is not a PNG: %v", name, err)
		}
	}
}

// checkReportFields checks the JSON field names of eval.json, which the site
// and the shipped models read.
func checkReportFields(t *testing.T, data []byte) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("eval.json: %v", err)
	}
	var result map[string]json.RawMessage
	if err := json.Unmarshal(fields["result"], &result); err != nil {
		t.Fatalf("eval.json result: %v", err)
	}
	want := []string{"preset", "weights", "weights_sha256", "weights_bytes", "parameters", "forward_gflops",
		"backend", "device", "machine", "command", "seconds", "images_per_second", "date", "result"}
	wantResult := []string{"rounds", "per_round", "seed", "round_accuracy", "round_accuracy_a", "round_accuracy_b",
		"mean", "std", "mean_a", "std_a", "mean_b", "std_b", "confusion_a", "confusion_b"}
	for _, key := range want {
		if _, ok := fields[key]; !ok {
			t.Errorf("eval.json has no field %q", key)
		}
	}
	for _, key := range wantResult {
		if _, ok := result[key]; !ok {
			t.Errorf("eval.json result has no field %q", key)
		}
	}
}

func TestEvalWithoutOutWritesNoFiles(t *testing.T) {
	weights := exportedWeights(t)
	dir := t.TempDir()
	t.Chdir(dir)

	_, _, err := runApp(t, "eval", "--backend", "go", "--weights", weights, "--data-dir", tinyDataDir(t), "--rounds", "1", "--mixtures", "8")
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("eval without --out wrote %d files into the working folder, want none", len(entries))
	}
}

func TestEvalRejectsTruncatedWeights(t *testing.T) {
	data, err := os.ReadFile(exportedWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.unmixw")
	if err := os.WriteFile(truncated, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}

	_, _, err = runApp(t, "eval", "--backend", "go", "--weights", truncated, "--data-dir", tinyDataDir(t), "--rounds", "1", "--mixtures", "8")
	if err == nil {
		t.Fatal("eval of truncated weights succeeded, want an error")
	}
	for _, want := range []string{truncated, "truncated or corrupt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("eval error = %q, want it to contain %q", err, want)
		}
	}
}

func matrixTotal(m [][]int) int {
	total := 0
	for _, row := range m {
		for _, v := range row {
			total += v
		}
	}
	return total
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
