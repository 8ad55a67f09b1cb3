package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unmix/unmix/native/internal/plot"
	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// EvalReport is the content of eval.json that `unmix eval` writes: the
// protocol result and the backend, machine and command that produced it.
type EvalReport struct {
	Preset          string         `json:"preset"`
	Weights         string         `json:"weights"`
	WeightsSHA256   string         `json:"weights_sha256"`
	WeightsBytes    int            `json:"weights_bytes"`
	Parameters      int64          `json:"parameters"`
	ForwardGFLOPs   float64        `json:"forward_gflops"`
	Backend         string         `json:"backend"`
	Device          string         `json:"device"`
	Machine         string         `json:"machine"`
	Command         string         `json:"command"`
	Seconds         float64        `json:"seconds"`
	ImagesPerSecond float64        `json:"images_per_second"`
	Date            string         `json:"date"`
	Result          mixture.Result `json:"result"`
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "eval [flags]", stderr)
	weightsPath := fs.String("weights", "", `weights file to evaluate (default: the shipped weights of --preset)`)
	preset := fs.String("preset", "slim", "preset of the shipped weights to evaluate when --weights is not set")
	dataDir := fs.String("data-dir", defaultDataDir(), "folder with the CIFAR-10 binary files (test_batch.bin)")
	rounds := fs.Int("rounds", mixture.DefaultRounds, "evaluation rounds")
	perRound := fs.Int("mixtures", mixture.DefaultPerRound, "random test mixtures per round")
	batch := fs.Int("batch", 256, "mixtures per backend call")
	seed := fs.Int64("seed", 1, "seed of the test mixtures")
	outDir := fs.String("out", "", "folder for eval.json and the confusion matrix images (default: none written)")
	backendSpec := fs.String("backend", "auto", backendHelp)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *rounds <= 0 || *perRound <= 0 || *batch <= 0 {
		return fmt.Errorf("eval: --rounds %d, --mixtures %d and --batch %d must be positive", *rounds, *perRound, *batch)
	}
	logger := newLogger(stderr)

	weights, source, err := readWeights(*weightsPath, *preset)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	test, err := cifar.LoadTest(*dataDir)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	backend, err := openBackend(*backendSpec, logger)
	if err != nil {
		return err
	}
	predictor, err := model.LoadPredictor(backend, weights)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", source, err)
	}
	a, b := cifar.SplitGroups(test)

	start := time.Now()
	result, err := mixture.Evaluate(ctx, predictor.PredictLabels, a, b, *rounds, *perRound, *batch, *seed)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	seconds := time.Since(start).Seconds()
	sum := sha256.Sum256(weights)
	report := EvalReport{
		Preset: predictor.Preset(), Weights: source, WeightsSHA256: hex.EncodeToString(sum[:]), WeightsBytes: len(weights),
		Parameters: parameterCount(weights), ForwardGFLOPs: float64(predictor.Config().ForwardFLOPs()) / 1e9,
		Backend: backend.Name(), Device: backend.Description(), Machine: machineDescription(),
		Command: "unmix eval " + strings.Join(args, " "), Seconds: seconds,
		ImagesPerSecond: float64(*rounds**perRound) / seconds, Date: time.Now().UTC().Format(time.RFC3339), Result: result,
	}
	printEvalTable(stdout, report)
	if *outDir == "" {
		return nil
	}
	return writeEvalFiles(*outDir, report)
}

// readWeights reads --weights, or the shipped weights of preset.
func readWeights(path, preset string) (data []byte, source string, err error) {
	if path == "" {
		return shippedWeights(preset)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading weights: %w", err)
	}
	return data, path, nil
}

func parameterCount(weights []byte) int64 {
	file, err := model.DecodeWeights(weights)
	if err != nil {
		return 0
	}
	var count int64
	for _, v := range file.Variables {
		n := int64(1)
		for _, d := range v.Shape {
			n *= int64(d)
		}
		// Batch-norm moving statistics are state, not trained parameters.
		if v.Name == "mean" || v.Name == "variance" || v.Name == "avg_weight" {
			continue
		}
		count += n
	}
	return count
}

func printEvalTable(w io.Writer, r EvalReport) {
	res := r.Result
	fmt.Fprintf(w, "preset %s, %d rounds of %d test mixtures, backend %s (%.0f mixtures/s)\n\n", r.Preset, res.Rounds, res.PerRound, r.Backend, r.ImagesPerSecond)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\thead A (classes 0-4)\thead B (classes 5-9)\tmean\t")
	for i := range res.RoundAccuracy {
		fmt.Fprintf(tw, "%d\t%.4f\t%.4f\t%.4f\t\n", i+1, res.RoundAccuracyA[i], res.RoundAccuracyB[i], res.RoundAccuracy[i])
	}
	fmt.Fprintf(tw, "mean ± std\t%.4f ± %.4f\t%.4f ± %.4f\t%.4f ± %.4f\t\n", res.MeanA, res.StdA, res.MeanB, res.StdB, res.Mean, res.Std)
	tw.Flush()
}

func writeEvalFiles(outDir string, report EvalReport) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("eval: encoding report: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(outDir, "eval.json"), append(data, '\n')); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	groups := []struct {
		file, title string
		names       []string
		matrix      [][]int
	}{
		{"confusion_a.png", "Head A (classes 0-4)", cifar.ClassNames[:cifar.GroupSize], report.Result.ConfusionA},
		{"confusion_b.png", "Head B (classes 5-9)", cifar.ClassNames[cifar.GroupSize:], report.Result.ConfusionB},
	}
	for _, g := range groups {
		if err := plot.WriteConfusionPNG(filepath.Join(outDir, g.file), g.title, g.names, g.matrix); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	return nil
}

func machineDescription() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, name, ok := strings.Cut(line, ":"); ok {
					cpu = strings.TrimSpace(name)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}
