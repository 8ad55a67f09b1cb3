// Command measure records the browser figures of the Unmix site in headless
// Chromium. It measures the wasm program raw and gzip, the weights, the time
// from page load to the first prediction on the demo page, and the latency of
// predictions. It prints a Markdown section with the machine and the command.
//
//	go run ./site/cmd/measure -runs 3 -predictions 20
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unmix/unmix/site"
	"github.com/unmix/unmix/site/internal/browser"
)

const usage = `usage: measure [flags]

Builds the wasm program and the site into a temporary folder, serves it on
127.0.0.1 and measures it in headless Chromium. Prints Markdown.

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	models      string
	chromium    string
	runs        int
	predictions int
	presets     []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("measure", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var cfg config
	flags.StringVar(&cfg.models, "models", "shared/models", "folder with one subfolder per trained preset")
	flags.StringVar(&cfg.chromium, "chromium", browser.DefaultChromium, "Chromium binary")
	flags.IntVar(&cfg.runs, "runs", 3, "cold page loads, each in a fresh browser profile")
	flags.IntVar(&cfg.predictions, "predictions", 20, "timed predictions per preset, after one warm-up")
	presets := flags.String("presets", "", "comma-separated presets to time (default: every preset with weights)")
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: measure takes flags only", flags.Arg(0))
	}
	if cfg.runs < 1 || cfg.predictions < 1 {
		return fmt.Errorf("-runs %d and -predictions %d: use at least 1 of each", cfg.runs, cfg.predictions)
	}
	if *presets != "" {
		cfg.presets = strings.Split(*presets, ",")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	execPath, err := browser.Find(cfg.chromium)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "unmix-measure-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	logger.Info("building the wasm program and the site", "dir", dir)
	opts, info, err := buildSite(ctx, cfg.models, dir)
	if err != nil {
		return err
	}
	if len(cfg.presets) == 0 {
		for _, m := range info.models {
			if m.HasWeights() {
				cfg.presets = append(cfg.presets, m.Preset)
			}
		}
	}
	if len(cfg.presets) == 0 {
		return fmt.Errorf("no preset under %s has weights: train one first", cfg.models)
	}

	server := httptest.NewServer(site.WithHeaders(http.FileServer(http.Dir(opts.OutDir))))
	defer server.Close()

	report := &report{info: info, command: "go run ./site/cmd/measure " + strings.Join(args, " ")}
	for i := range cfg.runs {
		logger.Info("cold page load", "run", i+1)
		page, err := measurePageLoad(ctx, execPath, server.URL, filepath.Join(dir, fmt.Sprintf("profile-%d", i)))
		if err != nil {
			return err
		}
		report.userAgent = page.UserAgent
		report.firstResult = append(report.firstResult, page.FirstResultAt)
	}
	for _, preset := range cfg.presets {
		logger.Info("timing predictions", "preset", preset, "count", cfg.predictions)
		timing, err := measurePredictions(ctx, execPath, server.URL, filepath.Join(dir, "profile-"+preset), preset, cfg.predictions)
		if err != nil {
			return err
		}
		report.presets = append(report.presets, timing)
	}

	report.write(stdout)
	return nil
}

// siteInfo is the build output that the report shows.
type siteInfo struct {
	wasmBytes, wasmGzipBytes int64
	models                   []site.Model
	defaultPreset            string
}

func buildSite(ctx context.Context, models, dir string) (site.Options, siteInfo, error) {
	opts := site.Options{
		OutDir:    filepath.Join(dir, "public"),
		ModelsDir: models,
		WasmPath:  filepath.Join(dir, "unmix.wasm"),
	}
	var err error
	if opts.WasmExecPath, err = browser.WasmExecPath(ctx); err != nil {
		return opts, siteInfo{}, err
	}
	if err := browser.BuildWasm(ctx, ".", opts.WasmPath); err != nil {
		return opts, siteInfo{}, err
	}
	if err := site.Build(ctx, opts); err != nil {
		return opts, siteInfo{}, err
	}

	wasm, err := os.ReadFile(opts.WasmPath)
	if err != nil {
		return opts, siteInfo{}, err
	}
	info := siteInfo{wasmBytes: int64(len(wasm)), wasmGzipBytes: gzipSize(wasm)}
	if info.models, err = site.LoadModels(models); err != nil {
		return opts, siteInfo{}, err
	}

	manifestJSON, err := os.ReadFile(filepath.Join(opts.OutDir, site.ManifestFile))
	if err != nil {
		return opts, siteInfo{}, err
	}
	var manifest site.Manifest
	if err := json.Unmarshal(manifestJSON, &manifest); err != nil {
		return opts, siteInfo{}, fmt.Errorf("reading %s: %w", site.ManifestFile, err)
	}
	info.defaultPreset = manifest.DefaultPreset
	return opts, info, nil
}

func gzipSize(data []byte) int64 {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return int64(buf.Len())
}

// pageLoad is one cold load of the demo page.
type pageLoad struct {
	FirstResultAt float64 `json:"firstResultAt"` // ms from navigation start
	UserAgent     string  `json:"userAgent"`
}

// measurePageLoad opens the demo page in a fresh browser and waits for its
// first prediction.
func measurePageLoad(ctx context.Context, execPath, siteURL, profile string) (pageLoad, error) {
	tab, stop, err := browser.Start(ctx, execPath, profile)
	if err != nil {
		return pageLoad{}, err
	}
	defer stop()

	if err := chromedp.Do(tab, chromedp.Navigate(siteURL+"/")); err != nil {
		return pageLoad{}, fmt.Errorf("opening the demo page: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(tab, 5*time.Minute)
	defer cancel()
	return chromedp.Run(waitCtx, chromedp.Evaluate[pageLoad](`new Promise((resolve, reject) => {
		const check = () => {
			const element = document.querySelector("unmix-demo");
			if (element && element.firstResultAt) {
				resolve({firstResultAt: element.firstResultAt, userAgent: navigator.userAgent});
			} else if (element && element.dataset.state === "error") {
				reject(new Error(element.shadowRoot.querySelector(".error").textContent));
			} else {
				setTimeout(check, 50);
			}
		};
		check();
	})`, chromedp.EvalAwaitPromise))
}

// presetTiming is the client-side timing of one preset.
type presetTiming struct {
	Preset       string    `json:"preset"`
	StartMillis  float64   `json:"startMillis"` // worker start and wasm instantiation
	LoadMillis   float64   `json:"loadMillis"`  // weights fetch and model build
	ModelMillis  []float64 `json:"modelMillis"`
	RoundTrip    []float64 `json:"roundTrip"`
	WeightsBytes int64     `json:"weightsBytes"`
}

// measurePredictions starts a client in a fresh browser, loads preset and
// times n predictions of one fixed pair at different ratios.
func measurePredictions(ctx context.Context, execPath, siteURL, profile, preset string, n int) (presetTiming, error) {
	tab, stop, err := browser.Start(ctx, execPath, profile)
	if err != nil {
		return presetTiming{}, err
	}
	defer stop()

	if err := chromedp.Do(tab, chromedp.Navigate(siteURL+"/embed/")); err != nil {
		return presetTiming{}, fmt.Errorf("opening a page: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(tab, 10*time.Minute)
	defer cancel()
	timing, err := chromedp.Run(waitCtx, chromedp.Evaluate[presetTiming](fmt.Sprintf(`(async (preset, n) => {
		const { UnmixClient } = await import("/unmix-client.js");
		const t0 = performance.now();
		const client = await UnmixClient.create("/");
		const t1 = performance.now();
		await client.load(preset);
		const t2 = performance.now();
		const a = new Uint8ClampedArray(4096), b = new Uint8ClampedArray(4096);
		for (let i = 0; i < 4096; i++) { a[i] = (i * 7) %% 256; b[i] = (i * 13) %% 256; }
		await client.predict(a, b, 0.5);
		const modelMillis = [], roundTrip = [];
		for (let i = 0; i < n; i++) {
			const r = await client.predict(a, b, 0.3 + 0.4 * (i %% 5) / 4);
			modelMillis.push(r.millis);
			roundTrip.push(r.roundTripMillis);
		}
		client.terminate();
		return {preset, startMillis: t1 - t0, loadMillis: t2 - t1, modelMillis, roundTrip,
			weightsBytes: client.preset(preset).bytes};
	})(%q, %d)`, preset, n), chromedp.EvalAwaitPromise))
	if err != nil {
		return presetTiming{}, fmt.Errorf("timing preset %s: %w", preset, err)
	}
	return timing, nil
}

// report collects the figures and writes them as Markdown.
type report struct {
	info        siteInfo
	command     string
	userAgent   string
	firstResult []float64
	presets     []presetTiming
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "## Browser (headless Chromium)\n\n")
	fmt.Fprintf(w, "Command: `%s`, %s.\n\n", strings.TrimSpace(r.command), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(w, "Machine: %s, %d logical CPUs as Go sees them; %s; %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), r.userAgent)

	fmt.Fprintf(w, "| file | raw | gzip -9 |\n| --- | --- | --- |\n")
	fmt.Fprintf(w, "| unmix.wasm | %s | %s |\n", mb(r.info.wasmBytes), mb(r.info.wasmGzipBytes))
	for _, m := range r.info.models {
		if m.HasWeights() {
			data, err := os.ReadFile(m.WeightsPath)
			gz := "?"
			if err == nil {
				gz = mb(gzipSize(data))
			}
			fmt.Fprintf(w, "| %s weights | %s | %s |\n", m.Preset, mb(m.WeightsBytes), gz)
		}
	}

	fmt.Fprintf(w, "\nDemo page with the %s preset, cold load in a fresh profile, from navigation start to the first result: median %s over %d runs (%s).\n\n",
		r.info.defaultPreset, seconds(median(r.firstResult)), len(r.firstResult), joinSeconds(r.firstResult))

	fmt.Fprintf(w, "| preset | worker + wasm start | weights load | model time per prediction, median (p90) | round trip, median (p90) | predictions |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- |\n")
	for _, p := range r.presets {
		fmt.Fprintf(w, "| %s | %s | %s | %.1f ms (%.1f) | %.1f ms (%.1f) | %d |\n", p.Preset, seconds(p.StartMillis), seconds(p.LoadMillis),
			median(p.ModelMillis), percentile(p.ModelMillis, 0.9), median(p.RoundTrip), percentile(p.RoundTrip, 0.9), len(p.ModelMillis))
	}
	fmt.Fprintln(w, "\nOne image per prediction, batch 1, in the Web Worker; the machine was shared with other work, so treat the figures as estimates.")
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return runtime.GOARCH
}

func median(values []float64) float64 { return percentile(values, 0.5) }

// percentile returns the nearest-rank percentile of values.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(values))
	rank := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(len(sorted)-1, rank))]
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func seconds(millis float64) string { return fmt.Sprintf("%.2f s", millis/1000) }

func joinSeconds(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = seconds(v)
	}
	return strings.Join(parts, ", ")
}
