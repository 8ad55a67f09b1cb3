package site

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/unmix/unmix/shared/model"
	"github.com/unmix/unmix/site/internal/browser"
)

// trainerTimeout bounds each wait of the trainer browser test: starting the
// wasm program, building a model, a few steps, on a slow shared machine.
const trainerTimeout = 3 * time.Minute

// trainerSite is the site with both wasm programs and, as its only shipped
// model, an untrained tiny preset, built once per test binary. Its weights
// let the demo page run and the trainer fine-tune shipped weights without a
// trained model in the repository.
var trainerSite struct {
	once sync.Once
	dir  string
	err  error
}

func buildTrainerSite(t *testing.T, ctx context.Context) string {
	t.Helper()
	trainerSite.once.Do(func() {
		dir, err := os.MkdirTemp("", "unmix-trainer-site-")
		if err != nil {
			trainerSite.err = err
			return
		}
		models := filepath.Join(dir, "models")
		if trainerSite.err = writeInitialWeights(filepath.Join(models, "tiny")); trainerSite.err != nil {
			return
		}
		opts := Options{
			OutDir:          filepath.Join(dir, "public"),
			ModelsDir:       models,
			WasmPath:        filepath.Join(dir, "unmix.wasm"),
			TrainerWasmPath: filepath.Join(dir, "trainer.wasm"),
		}
		if opts.WasmExecPath, trainerSite.err = browser.WasmExecPath(ctx); trainerSite.err != nil {
			return
		}
		if trainerSite.err = browser.BuildWasm(ctx, "..", opts.WasmPath); trainerSite.err != nil {
			return
		}
		if trainerSite.err = browser.BuildTrainerWasm(ctx, "..", opts.TrainerWasmPath); trainerSite.err != nil {
			return
		}
		trainerSite.err = Build(ctx, opts)
		trainerSite.dir = opts.OutDir
	})
	if trainerSite.err != nil {
		t.Fatal(trainerSite.err)
	}
	return trainerSite.dir
}

// writeInitialWeights writes the initial weights of the tiny preset as
// dir/weights.unmixw.
func writeInitialWeights(dir string) error {
	backend, err := model.NewSimpleGoBackend()
	if err != nil {
		return err
	}
	cfg, err := model.Preset("tiny")
	if err != nil {
		return err
	}
	trainer, err := model.NewTrainer(backend, cfg, model.DefaultTrainOptions())
	if err != nil {
		return err
	}
	// Evaluating builds the model, which creates its variables.
	if _, err := trainer.Evaluate(make([]float32, model.ImageFloats), []int32{0}, []int32{0}, 1); err != nil {
		return err
	}
	file, err := trainer.Weights()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return file.WriteFile(filepath.Join(dir, WeightsFile))
}

// startTrainerBrowser serves the real site on 127.0.0.1, starts Chromium with
// downloads going to a temporary folder, and opens the trainer page. It
// skips when Chromium is missing, unless CI=true.
func startTrainerBrowser(t *testing.T) (tab context.Context, trainer browser.Trainer, downloads, serverURL string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	execPath, err := browser.Find(*chromiumPath)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true requires the browser tests to run", err)
		}
		t.Skipf("%v; skipping the browser test", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	out := buildTrainerSite(t, ctx)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(out)) })

	server := httptest.NewServer(WithHeaders(http.FileServer(http.Dir(out))))
	t.Cleanup(server.Close)
	tab, stop, err := browser.Start(ctx, execPath, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	collectConsoleErrors(t, tab)

	downloads = t.TempDir()
	if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(server.URL+"/trainer/")); err != nil {
		t.Fatal(err)
	}
	trainer = browser.Trainer{Tab: tab}
	if err := trainer.WaitReady(trainerTimeout); err != nil {
		t.Fatal(err)
	}
	return tab, trainer, downloads, server.URL
}

// collectConsoleErrors fails the test, at its end, for every console error
// or uncaught exception.
func collectConsoleErrors(t *testing.T, tab context.Context) {
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	})
}

// snapshot returns the trainer's state or fails the test.
func snapshot(t *testing.T, trainer browser.Trainer) browser.TrainerSnapshot {
	t.Helper()
	s, err := trainer.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls the trainer until ok returns true.
func waitFor(t *testing.T, trainer browser.Trainer, what string, ok func(browser.TrainerSnapshot) bool) browser.TrainerSnapshot {
	t.Helper()
	deadline := time.Now().Add(trainerTimeout)
	for {
		s := snapshot(t, trainer)
		if ok(s) {
			return s
		}
		if s.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("waiting for %s: the trainer is %q, error %q", what, s.State, s.Error)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// chooseSource selects where a run starts: "scratch", "shipped" or "file".
func chooseSource(t *testing.T, tab context.Context, source string) {
	t.Helper()
	_, err := chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const select = %s.shadowRoot.querySelector(".source");
		select.value = %q;
		select.dispatchEvent(new Event("change"));
		return select.value === %q;
	})()`, browser.TrainerElementJS, source, source)))
	if err != nil {
		t.Fatalf("choosing source %s: %v", source, err)
	}
}

// chooseWeightsFile selects "start from a weights file" and uploads path.
func chooseWeightsFile(t *testing.T, tab context.Context, path string) {
	t.Helper()
	chooseSource(t, tab, "file")
	input := chromedp.JSPath(browser.TrainerElementJS + `.shadowRoot.querySelector(".weights-file")`)
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(input, []string{path})); err != nil {
		t.Fatalf("choosing %s as the weights file: %v", path, err)
	}
}

func TestBrowserTrainer(t *testing.T) {
	tab, trainer, downloads, _ := startTrainerBrowser(t)
	dir := t.TempDir()

	t.Run("bad weights files show an error", func(t *testing.T) {
		slim, err := model.Preset("slim")
		if err != nil {
			t.Fatal(err)
		}
		other := &model.WeightsFile{Config: slim, Variables: []model.WeightsVariable{{
			Scope: model.ModelScope, Name: "kernel", DType: dtypes.Float32.String(), Shape: []int{2}, Data: make([]byte, 8),
		}}}
		otherPath := filepath.Join(dir, "slim.unmixw")
		if err := other.WriteFile(otherPath); err != nil {
			t.Fatal(err)
		}
		corruptPath := filepath.Join(dir, "corrupt.unmixw")
		if err := os.WriteFile(corruptPath, []byte("UNMIXW\x00\x01 this file was cut short"), 0o644); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			path string
			want []string
		}{
			{otherPath, []string{"slim.unmixw", `preset "slim"`}},
			{corruptPath, []string{"corrupt.unmixw", "truncated or corrupt"}},
		} {
			chooseWeightsFile(t, tab, tc.path)
			if err := trainer.Click(".run"); err != nil {
				t.Fatal(err)
			}
			s := waitFor(t, trainer, "an error", func(s browser.TrainerSnapshot) bool { return s.Error != "" })
			for _, want := range tc.want {
				if !strings.Contains(s.Error, want) {
					t.Errorf("error %q does not contain %q", s.Error, want)
				}
			}
			if s := waitFor(t, trainer, "the ready state", func(s browser.TrainerSnapshot) bool { return s.State != "starting" }); s.State != "ready" {
				t.Errorf("after a bad weights file the trainer is %q, want ready", s.State)
			}
		}
	})

	t.Run("fine-tunes the shipped weights", func(t *testing.T) {
		if err := trainer.Configure("tiny", 8, 0.001); err != nil {
			t.Fatal(err)
		}
		chooseSource(t, tab, "shipped")
		if err := trainer.Click(".run"); err != nil {
			t.Fatal(err)
		}
		s := waitFor(t, trainer, "a fine-tuning step", func(s browser.TrainerSnapshot) bool {
			return s.Error != "" || (s.Progress != nil && s.Progress.Steps >= 1)
		})
		if s.Error != "" {
			t.Fatalf("fine-tuning the shipped weights: %s", s.Error)
		}
		if want := "the shipped tiny weights"; s.Progress.FineTunedFrom != want {
			t.Errorf("the run starts from %q, want %q", s.Progress.FineTunedFrom, want)
		}
		if err := trainer.Call("pause"); err != nil {
			t.Fatal(err)
		}
		if err := trainer.Call("reset"); err != nil {
			t.Fatal(err)
		}
		chooseSource(t, tab, "scratch")
	})

	t.Run("training updates the plots", func(t *testing.T) {
		// The page's default preset, with small batches so that steps
		// come often.
		if err := trainer.Configure(formPreset(t, tab), 8, 0.002); err != nil {
			t.Fatal(err)
		}
		if err := trainer.Click(".run"); err != nil {
			t.Fatal(err)
		}
		first := waitFor(t, trainer, "a plotted training point", func(s browser.TrainerSnapshot) bool {
			return s.Error == "" && len(s.Train) >= 1 && s.LossPoints > 0
		})
		if s := snapshot(t, trainer); s.Error != "" {
			t.Fatalf("training shows an error: %s", s.Error)
		}
		later := waitFor(t, trainer, "a validation point and more training points", func(s browser.TrainerSnapshot) bool {
			return len(s.Val) >= 1 && len(s.Train) > len(first.Train)
		})
		if later.LossPoints <= first.LossPoints || later.AccuracyPoints <= first.AccuracyPoints {
			t.Errorf("plots drew %d and %d points, then %d and %d: want more as training goes on",
				first.LossPoints, first.AccuracyPoints, later.LossPoints, later.AccuracyPoints)
		}
		p := later.Progress
		if p.ImagesPerSecond <= 0 || p.Seconds <= 0 || math.Abs(p.LearningRate-0.002) > 1e-9 || p.Images != p.Steps*8 {
			t.Errorf("progress %+v: want positive images/s and time, learning rate 0.002, 8 images per step", *p)
		}
		for _, stat := range []string{"elapsed", "images", "rate", "lr-now", "train", "val", "acc-a", "acc-b"} {
			value, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(
				`%s.shadowRoot.querySelector('.stat[data-stat=%q] .value').textContent`, browser.TrainerElementJS, stat)))
			if err != nil {
				t.Fatal(err)
			}
			if value == "" || value == "–" {
				t.Errorf("statistic %s shows %q, want a value", stat, value)
			}
		}
	})

	t.Run("pause and resume", func(t *testing.T) {
		if err := trainer.Click(".run"); err != nil { // Pause
			t.Fatal(err)
		}
		paused := waitFor(t, trainer, "the paused state", func(s browser.TrainerSnapshot) bool { return s.State == "paused" })
		time.Sleep(3 * time.Second)
		if s := snapshot(t, trainer); s.Progress.Steps != paused.Progress.Steps || s.Progress.Running {
			t.Errorf("paused at step %d but at step %d (running %v) 3 s later", paused.Progress.Steps, s.Progress.Steps, s.Progress.Running)
		}
		if err := trainer.Click(".run"); err != nil { // Resume
			t.Fatal(err)
		}
		waitFor(t, trainer, "steps after resuming", func(s browser.TrainerSnapshot) bool {
			return s.State == "running" && s.Progress.Steps >= paused.Progress.Steps+2
		})
		if err := trainer.Call("pause"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("keeps training while the page is hidden or busy", func(t *testing.T) {
		if err := trainer.Call("resume"); err != nil {
			t.Fatal(err)
		}
		before := waitFor(t, trainer, "a running step", func(s browser.TrainerSnapshot) bool { return s.State == "running" })
		// Headless Chromium shows every tab, so the page pretends to be
		// hidden. Then it blocks its own thread for 4 s, as the browser may
		// throttle a background tab, and the worker must go on.
		_, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => {
			Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
			document.dispatchEvent(new Event("visibilitychange"));
			const end = performance.now() + 4000;
			while (performance.now() < end) {}
			return true;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		hidden := snapshot(t, trainer)
		if hidden.Progress.Steps <= before.Progress.Steps {
			t.Errorf("no step while the page was hidden and busy: %d steps before, %d after", before.Progress.Steps, hidden.Progress.Steps)
		}
		_, err = chromedp.Run(tab, chromedp.Evaluate[bool](`(() => {
			delete document.visibilityState;
			document.dispatchEvent(new Event("visibilitychange"));
			return true;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, trainer, "the plots to catch up", func(s browser.TrainerSnapshot) bool {
			return s.LossPoints >= 2*len(hidden.Train) && len(hidden.Train) > 0
		})
		if err := trainer.Call("pause"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("download gives a weights file", func(t *testing.T) {
		if err := trainer.Click(".download"); err != nil {
			t.Fatal(err)
		}
		s := snapshot(t, trainer)
		want := fmt.Sprintf("unmix-%s-%d-images.unmixw", s.Progress.Preset, s.Progress.Images)
		path := filepath.Join(downloads, want)
		deadline := time.Now().Add(30 * time.Second)
		var data []byte
		for {
			var err error
			if data, err = os.ReadFile(path); err == nil && len(data) > 0 {
				break
			}
			if time.Now().After(deadline) {
				entries, _ := os.ReadDir(downloads)
				t.Fatalf("no %s in the download folder after 30 s; it holds %v", want, entries)
			}
			time.Sleep(200 * time.Millisecond)
		}
		file, err := model.DecodeWeights(data)
		if err != nil {
			t.Fatalf("the downloaded file does not decode: %v", err)
		}
		if file.Config.Preset != s.Progress.Preset || len(file.State) != 0 {
			t.Errorf("downloaded weights: preset %q with %d bytes of run state, want %q without", file.Config.Preset, len(file.State), s.Progress.Preset)
		}
		if _, err := model.NewPredictor(newBrowserTestBackend(t), file); err != nil {
			t.Errorf("the downloaded weights do not load natively: %v", err)
		}
	})

	t.Run("saved run resumes after a reload", func(t *testing.T) {
		before := snapshot(t, trainer)
		if err := trainer.Call("saveRun"); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		if err := trainer.WaitReady(trainerTimeout); err != nil {
			t.Fatal(err)
		}
		if err := trainer.Click(".resume-saved"); err != nil {
			t.Fatal(err)
		}
		s := waitFor(t, trainer, "the restored run", func(s browser.TrainerSnapshot) bool { return s.State == "paused" || s.Error != "" })
		if s.Error != "" {
			t.Fatalf("resuming the saved run: %s", s.Error)
		}
		if s.Progress.Images != before.Progress.Images || len(s.Val) != len(before.Val) {
			t.Errorf("restored run: %d images and %d validations, want %d and %d",
				s.Progress.Images, len(s.Val), before.Progress.Images, len(before.Val))
		}
		if s.LossPoints == 0 {
			t.Error("the restored run's history is not plotted")
		}
		if err := trainer.Click(".run"); err != nil { // Resume
			t.Fatal(err)
		}
		waitFor(t, trainer, "a step of the restored run", func(s browser.TrainerSnapshot) bool {
			return s.Progress.Steps > before.Progress.Steps
		})
		if err := trainer.Call("pause"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("the demo uses the trained model", func(t *testing.T) {
		if err := trainer.Click(".use"); err != nil {
			t.Fatal(err)
		}
		link := waitForString(t, tab, browser.TrainerElementJS+`.shadowRoot.querySelector(".status a")?.href || ""`)
		if !strings.HasSuffix(link, "/#trained") {
			t.Fatalf("the status links %q, want the demo page with #trained", link)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(link)); err != nil {
			t.Fatal(err)
		}
		got := waitForString(t, tab, `(() => {
			const demo = document.querySelector("unmix-demo");
			if (!demo || !demo.lastResult) { return ""; }
			return demo.shadowRoot.querySelector(".preset").value + " " + demo.lastResult.preset;
		})()`)
		if got != "trained-tiny tiny" {
			t.Errorf("the demo shows model %q, want %q", got, "trained-tiny tiny")
		}
	})
}

// waitForString polls a JavaScript expression until it returns a non-empty
// string.
func waitForString(t *testing.T, tab context.Context, expression string) string {
	t.Helper()
	deadline := time.Now().Add(trainerTimeout)
	for {
		value, err := chromedp.Run(tab, chromedp.Evaluate[string](expression))
		if err != nil {
			t.Fatalf("evaluating %.60q: %v", expression, err)
		}
		if value != "" {
			return value
		}
		if time.Now().After(deadline) {
			t.Fatalf("%.60q stayed empty for %s", expression, trainerTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// formPreset returns the preset chosen in the form.
func formPreset(t *testing.T, tab context.Context) string {
	t.Helper()
	preset, err := chromedp.Run(tab, chromedp.Evaluate[string](browser.TrainerElementJS+`.shadowRoot.querySelector(".preset").value`))
	if err != nil {
		t.Fatal(err)
	}
	return preset
}

func newBrowserTestBackend(t *testing.T) backends.Backend {
	t.Helper()
	backend, err := model.NewSimpleGoBackend()
	if err != nil {
		t.Fatal(err)
	}
	return backend
}
