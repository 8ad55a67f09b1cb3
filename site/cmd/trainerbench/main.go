// Command trainerbench measures the in-browser trainer in headless Chromium:
// the training images per second of each preset, and the validation and
// test accuracy a run reaches after given training times. It builds both
// wasm programs and the site into a temporary folder, serves it on
// 127.0.0.1, drives the trainer page as a visitor would, and prints a
// Markdown section with the machine and the command.
//
//	go run ./site/cmd/trainerbench -presets tiny,slim -speed-time 90s -preset tiny -checkpoints 1m,5m,15m
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/unmix/unmix/site"
	"github.com/unmix/unmix/site/internal/browser"
)

const usage = `usage: trainerbench [flags]

Measures the in-browser trainer in headless Chromium and prints Markdown:
images per second for each of -presets over -speed-time of training each,
then one run of -preset with its validation accuracy and evaluation
protocol result at each of -checkpoints (training time, pauses excluded).

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trainerbench:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	models       string
	chromium     string
	speedPresets []string
	speedTime    time.Duration
	preset       string
	checkpoints  []time.Duration
	batch        int
	learningRate float64
	evaluate     bool
	screenshot   string
	weightsOut   string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	dir, err := os.MkdirTemp("", "unmix-trainerbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logger.Info("building the wasm programs and the site", "dir", dir)
	siteDir, err := buildSite(ctx, cfg.models, dir)
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := &http.Server{Handler: site.WithHeaders(http.FileServer(http.Dir(siteDir))), ReadHeaderTimeout: 10 * time.Second}
	go server.Serve(listener)
	defer server.Close()
	pageURL := "http://" + listener.Addr().String() + "/trainer/"

	execPath, err := browser.Find(cfg.chromium)
	if err != nil {
		return err
	}
	r := &report{cfg: cfg}
	for _, preset := range cfg.speedPresets {
		logger.Info("measuring speed", "preset", preset, "time", cfg.speedTime)
		speed, err := measureSpeed(ctx, execPath, filepath.Join(dir, "profile-"+preset), pageURL, preset, cfg, logger)
		if err != nil {
			return fmt.Errorf("preset %s: %w", preset, err)
		}
		r.speeds = append(r.speeds, speed)
	}
	if len(cfg.checkpoints) > 0 {
		logger.Info("measuring accuracy over time", "preset", cfg.preset, "checkpoints", cfg.checkpoints)
		if r.checkpoints, r.userAgent, err = measureAccuracy(ctx, execPath, filepath.Join(dir, "profile-accuracy"), pageURL, cfg, logger); err != nil {
			return fmt.Errorf("preset %s: %w", cfg.preset, err)
		}
	}
	r.write(stdout)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	flags := flag.NewFlagSet("trainerbench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var cfg config
	flags.StringVar(&cfg.models, "models", "shared/models", "folder with one subfolder per trained preset")
	flags.StringVar(&cfg.chromium, "chromium", browser.DefaultChromium, "Chromium binary")
	speedPresets := flags.String("presets", "tiny,slim", "comma-separated presets to measure images per second of; empty skips")
	flags.DurationVar(&cfg.speedTime, "speed-time", 90*time.Second, "training time of each speed measurement")
	flags.StringVar(&cfg.preset, "preset", "tiny", "preset of the accuracy run")
	checkpoints := flags.String("checkpoints", "1m,5m,15m", "comma-separated training times at which the accuracy run is scored; empty skips it")
	flags.IntVar(&cfg.batch, "batch", 32, "batch size")
	flags.Float64Var(&cfg.learningRate, "lr", 0.002, "learning rate")
	flags.BoolVar(&cfg.evaluate, "evaluate", true, "also run the evaluation protocol on the test sample at each checkpoint")
	flags.StringVar(&cfg.screenshot, "screenshot", "", "PNG file for a screenshot of the trainer at the end of the accuracy run")
	flags.StringVar(&cfg.weightsOut, "weights-out", "", ".unmixw file for the weights at the end of the accuracy run, for unmix eval --weights")
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return cfg, err
	}
	if flags.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: trainerbench takes flags only", flags.Arg(0))
	}
	if *speedPresets != "" {
		cfg.speedPresets = strings.Split(*speedPresets, ",")
	}
	if *checkpoints != "" {
		var last time.Duration
		for _, text := range strings.Split(*checkpoints, ",") {
			d, err := time.ParseDuration(text)
			if err != nil || d <= last {
				return cfg, fmt.Errorf("-checkpoints %q: give increasing durations such as 1m,5m,15m", *checkpoints)
			}
			cfg.checkpoints = append(cfg.checkpoints, d)
			last = d
		}
	}
	if cfg.speedTime <= 0 || cfg.batch < 1 || cfg.learningRate <= 0 {
		return cfg, fmt.Errorf("-speed-time %s, -batch %d, -lr %g: use positive values", cfg.speedTime, cfg.batch, cfg.learningRate)
	}
	return cfg, nil
}

// buildSite builds both wasm programs and renders the site into dir/public.
func buildSite(ctx context.Context, models, dir string) (string, error) {
	opts := site.Options{
		OutDir:          filepath.Join(dir, "public"),
		ModelsDir:       models,
		WasmPath:        filepath.Join(dir, "unmix.wasm"),
		TrainerWasmPath: filepath.Join(dir, "trainer.wasm"),
	}
	var err error
	if opts.WasmExecPath, err = browser.WasmExecPath(ctx); err != nil {
		return "", err
	}
	if err := browser.BuildWasm(ctx, ".", opts.WasmPath); err != nil {
		return "", err
	}
	if err := browser.BuildTrainerWasm(ctx, ".", opts.TrainerWasmPath); err != nil {
		return "", err
	}
	if err := site.Build(ctx, opts); err != nil {
		return "", err
	}
	return opts.OutDir, nil
}

// openTrainer starts Chromium with a fresh profile, opens the trainer page,
// sets the form and presses Start.
func openTrainer(ctx context.Context, execPath, profile, pageURL, preset string, cfg config) (browser.Trainer, context.CancelFunc, error) {
	tab, stop, err := browser.Start(ctx, execPath, profile)
	if err != nil {
		return browser.Trainer{}, nil, err
	}
	trainer := browser.Trainer{Tab: tab}
	err = chromedp.Do(tab, chromedp.Navigate(pageURL))
	if err == nil {
		err = trainer.WaitReady(3 * time.Minute)
	}
	if err == nil {
		err = trainer.Configure(preset, cfg.batch, cfg.learningRate)
	}
	if err == nil {
		err = trainer.Click(".run")
	}
	if err == nil {
		err = trainer.WaitState(time.Minute, "running")
	}
	if err != nil {
		stop()
		return browser.Trainer{}, nil, err
	}
	return trainer, stop, nil
}

// speed is one preset's throughput.
type speed struct {
	preset string
	// warmImagesPerSecond counts training steps only, after the first two
	// steps, which build the model.
	warmImagesPerSecond float64
	// overallImagesPerSecond divides every image by the whole training
	// time, model building and validation included.
	overallImagesPerSecond float64
	images                 int64
	seconds                float64
	firstValAccuracy       float64 // mean of both heads, at the last validation
}

// waitTraining polls until the run has trained for at least d, and returns
// the first snapshot after two steps and the last one.
func waitTraining(trainer browser.Trainer, d time.Duration, logger *slog.Logger) (warm, last browser.TrainerSnapshot, err error) {
	lastLog := time.Now()
	for {
		s, err := trainer.Snapshot()
		if err != nil {
			return warm, last, err
		}
		if s.State == "failed" || s.Error != "" {
			return warm, last, fmt.Errorf("the trainer shows an error: %s", s.Error)
		}
		if s.Progress != nil {
			if warm.Progress == nil && s.Progress.Steps >= 2 {
				warm = s
			}
			if time.Since(lastLog) > 30*time.Second {
				logger.Info("training", "preset", s.Progress.Preset, "seconds", round(s.Progress.Seconds), "images", s.Progress.Images,
					"images_per_s", round(s.Progress.ImagesPerSecond))
				lastLog = time.Now()
			}
			if s.Progress.Seconds >= d.Seconds() {
				return warm, s, nil
			}
		}
		time.Sleep(time.Second)
	}
}

func measureSpeed(ctx context.Context, execPath, profile, pageURL, preset string, cfg config, logger *slog.Logger) (speed, error) {
	trainer, stop, err := openTrainer(ctx, execPath, profile, pageURL, preset, cfg)
	if err != nil {
		return speed{}, err
	}
	defer stop()
	warm, last, err := waitTraining(trainer, cfg.speedTime, logger)
	if err != nil {
		return speed{}, err
	}
	if err := trainer.Call("pause"); err != nil {
		return speed{}, err
	}
	p, w := last.Progress, warm.Progress
	if w == nil || p.Steps <= w.Steps {
		return speed{}, fmt.Errorf("only %d steps in %s: measure for longer with -speed-time", p.Steps, cfg.speedTime)
	}
	s := speed{
		preset:                 preset,
		warmImagesPerSecond:    float64(p.Images-w.Images) / (p.StepSeconds - w.StepSeconds),
		overallImagesPerSecond: float64(p.Images) / p.Seconds,
		images:                 p.Images,
		seconds:                p.Seconds,
	}
	if n := len(last.Val); n > 0 {
		s.firstValAccuracy = (last.Val[n-1].AccuracyA + last.Val[n-1].AccuracyB) / 2
	}
	return s, nil
}

// checkpoint is the accuracy run's state at one training time.
type checkpoint struct {
	target     time.Duration
	progress   browser.TrainerProgress
	val        browser.TrainerPoint
	evaluation *browser.Evaluation
}

func measureAccuracy(ctx context.Context, execPath, profile, pageURL string, cfg config, logger *slog.Logger) ([]checkpoint, string, error) {
	trainer, stop, err := openTrainer(ctx, execPath, profile, pageURL, cfg.preset, cfg)
	if err != nil {
		return nil, "", err
	}
	defer stop()
	userAgent, err := chromedp.Run(trainer.Tab, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		return nil, "", err
	}

	var results []checkpoint
	for i, target := range cfg.checkpoints {
		if _, _, err := waitTraining(trainer, target, logger); err != nil {
			return nil, "", err
		}
		if err := trainer.Call("pause"); err != nil {
			return nil, "", err
		}
		if err := trainer.Call("validate"); err != nil {
			return nil, "", err
		}
		s, err := trainer.Snapshot()
		if err != nil {
			return nil, "", err
		}
		c := checkpoint{target: target, progress: *s.Progress, val: s.Val[len(s.Val)-1]}
		if cfg.evaluate {
			e, err := trainer.Evaluate()
			if err != nil {
				return nil, "", err
			}
			c.evaluation = &e
		}
		logger.Info("checkpoint", "time", target, "images", c.progress.Images,
			"val_accuracy", round((c.val.AccuracyA+c.val.AccuracyB)/2))
		results = append(results, c)
		if i == len(cfg.checkpoints)-1 {
			break
		}
		if err := trainer.Call("resume"); err != nil {
			return nil, "", err
		}
	}

	if cfg.screenshot != "" {
		if err := screenshot(trainer.Tab, cfg.screenshot); err != nil {
			return nil, "", err
		}
		logger.Info("wrote", "path", cfg.screenshot)
	}
	if cfg.weightsOut != "" {
		weights, err := trainer.Weights()
		if err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(cfg.weightsOut, weights, 0o644); err != nil {
			return nil, "", err
		}
		logger.Info("wrote", "path", cfg.weightsOut, "bytes", len(weights))
	}
	return results, userAgent, nil
}

// screenshot saves the part of the page from its top to the end of the
// trainer element as a PNG. It clips by hand: chromedp.Screenshot of the
// element waited forever in Chromium 156.
func screenshot(tab context.Context, path string) error {
	bottom, err := chromedp.Run(tab, chromedp.Evaluate[float64](
		`document.querySelector("unmix-trainer").getBoundingClientRect().bottom + window.scrollY + 16`))
	if err != nil {
		return fmt.Errorf("taking the screenshot: %w", err)
	}
	width, err := chromedp.Run(tab, chromedp.Evaluate[float64](`document.documentElement.clientWidth`))
	if err != nil {
		return fmt.Errorf("taking the screenshot: %w", err)
	}
	png, err := chromedp.Call(tab, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &[]bool{true}[0], FromSurface: &[]bool{true}[0],
		Clip: &page.Viewport{X: 0, Y: 0, Width: width, Height: bottom, Scale: 1},
	})
	if err != nil {
		return fmt.Errorf("taking the screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png.Data, 0o644)
}

// report prints the measurements as Markdown.
type report struct {
	cfg         config
	speeds      []speed
	checkpoints []checkpoint
	userAgent   string
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "Machine: %s, %d logical CPUs as Go sees them; %s; %s.\n", cpuModel(), runtime.NumCPU(), runtime.Version(), r.userAgent)
	fmt.Fprintf(w, "Command: `go run ./site/cmd/trainerbench %s`. Batch %d, learning rate %g, AdamW.\n\n",
		strings.Join(os.Args[1:], " "), r.cfg.batch, r.cfg.learningRate)
	if len(r.speeds) > 0 {
		fmt.Fprintln(w, "| preset | training images/s (steps only) | images/s of elapsed time | images in the run | elapsed |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
		for _, s := range r.speeds {
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %d | %.0f s |\n", s.preset, s.warmImagesPerSecond, s.overallImagesPerSecond, s.images, s.seconds)
		}
		fmt.Fprintln(w, "\nSteps only: images over the time spent in training steps after the first two, which build the model. Elapsed time includes building the model and validating.")
	}
	if len(r.checkpoints) > 0 {
		fmt.Fprintf(w, "\nPreset %s from random weights:\n\n", r.cfg.preset)
		fmt.Fprintln(w, "| training time | images | validation accuracy A / B / mean | validation loss | test protocol, mean ± std |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
		for _, c := range r.checkpoints {
			protocol := "not run"
			if e := c.evaluation; e != nil {
				protocol = fmt.Sprintf("%.1f%% ± %.1f (%d × %d mixtures)", 100*e.Result.Mean, 100*e.Result.Std, e.Result.Rounds, e.Result.PerRound)
			}
			fmt.Fprintf(w, "| %s | %d | %.1f%% / %.1f%% / %.1f%% | %.3f | %s |\n", c.target, c.progress.Images,
				100*c.val.AccuracyA, 100*c.val.AccuracyB, 50*(c.val.AccuracyA+c.val.AccuracyB), c.val.Loss, protocol)
		}
		fmt.Fprintln(w, "\nValidation: 256 fixed mixtures of held-out training-sample images. Test protocol: random mixtures of the demo's CIFAR-10 test sample. Chance is 20%.")
	}
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOARCH
}

func round(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }
