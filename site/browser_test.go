package site

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unmix/unmix/site/internal/browser"
	"github.com/unmix/unmix/site/samples"
)

var chromiumPath = flag.String("chromium", browser.DefaultChromium, "Chromium binary for the browser tests")

// browserTolerance bounds the difference between predictions in Chromium and
// the native golden file: both run simplego in float32, but the wasm build
// may sum in another order.
const browserTolerance = 1e-4

// resultTimeout bounds the wait for one prediction, model loading included,
// on a slow shared machine.
const resultTimeout = 3 * time.Minute

// browserSession is the built site, its server and one Chromium tab.
type browserSession struct {
	server *httptest.Server
	tab    context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// startBrowser builds the real site, serves it on 127.0.0.1 and starts
// Chromium. It skips the test when Chromium or trained weights are missing,
// unless CI=true, where a missing Chromium fails it.
func startBrowser(t *testing.T) (*browserSession, goldenPredictions) {
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
	golden := readGoldenPredictions(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	out := buildRealSite(t, ctx)

	server := httptest.NewServer(WithHeaders(http.FileServer(http.Dir(out))))
	t.Cleanup(server.Close)

	tab, stop, err := browser.Start(ctx, execPath, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	session := &browserSession{server: server, tab: tab}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			session.mu.Lock()
			session.console = append(session.console, m)
			session.mu.Unlock()
		}
	}()
	t.Cleanup(func() { session.checkConsole(t) })
	return session, golden
}

// buildRealSite builds the wasm program and renders the site with the
// trained models, once per test binary.
func buildRealSite(t *testing.T, ctx context.Context) string {
	t.Helper()
	realSite.once.Do(func() {
		dir, err := os.MkdirTemp("", "unmix-site-")
		if err != nil {
			realSite.err = err
			return
		}
		opts := Options{
			OutDir:    filepath.Join(dir, "public"),
			ModelsDir: *modelsDir,
			WasmPath:  filepath.Join(dir, "unmix.wasm"),
		}
		if opts.WasmExecPath, realSite.err = browser.WasmExecPath(ctx); realSite.err != nil {
			return
		}
		if realSite.err = browser.BuildWasm(ctx, "..", opts.WasmPath); realSite.err != nil {
			return
		}
		realSite.err = Build(ctx, opts)
		realSite.dir = opts.OutDir
	})
	if realSite.err != nil {
		t.Fatal(realSite.err)
	}
	return realSite.dir
}

var realSite struct {
	once sync.Once
	dir  string
	err  error
}

// checkConsole fails the test for every console error or uncaught exception.
func (s *browserSession) checkConsole(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("browser console: %s (%s:%d)", m.Text, m.URL, m.Line)
		}
	}
}

// eval runs a JavaScript expression, awaiting it if it is a promise.
func eval[T any](t *testing.T, s *browserSession, expression string) T {
	t.Helper()
	value, err := chromedp.Run(s.tab, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", expression, err)
	}
	return value
}

// browserResult is what WaitForResultJS returns.
type browserResult struct {
	ProbsA                []float64 `json:"probsA"`
	ProbsB                []float64 `json:"probsB"`
	ClassesA              []string  `json:"classesA"`
	Millis                float64   `json:"millis"`
	RoundTripMillis       float64   `json:"roundTripMillis"`
	FirstPredictionMillis float64   `json:"firstPredictionMillis"`
	Preset                string    `json:"preset"`
}

// waitForResult waits for the first <unmix-demo>'s result for images named
// a and b at ratio.
func (s *browserSession) waitForResult(t *testing.T, a, b string, ratio float64) browserResult {
	t.Helper()
	return eval[browserResult](t, s, fmt.Sprintf(`(%s)(document.querySelector("unmix-demo"), %q, %q, %g, %d)`,
		browser.WaitForResultJS, a, b, ratio, resultTimeout.Milliseconds()))
}

// checkCase compares a browser result with a golden case.
func checkCase(t *testing.T, got browserResult, want predictionCase) {
	t.Helper()
	diff := comparePredictions(predictionCase{ProbsA: got.ProbsA, ProbsB: got.ProbsB}, want, browserTolerance)
	if diff != "" {
		t.Errorf("%s + %s at ratio %g in Chromium: %s", want.A, want.B, want.Ratio, diff)
	}
	if got.Millis <= 0 {
		t.Errorf("%s + %s: prediction time %g ms, want a positive time", want.A, want.B, got.Millis)
	}
}

// shadow returns a JavaScript expression for an element inside the first
// <unmix-demo>'s shadow root.
func shadow(selector string) string {
	return fmt.Sprintf(`document.querySelector("unmix-demo").shadowRoot.querySelector(%q)`, selector)
}

// pickSample clicks the class tab and the thumbnail of a "class:tile" name on
// the demo page.
func (s *browserSession) pickSample(t *testing.T, name string) {
	t.Helper()
	class, tile, _ := strings.Cut(name, ":")
	eval[bool](t, s, fmt.Sprintf(`(() => {
		const root = document.querySelector("unmix-demo").shadowRoot;
		const tab = [...root.querySelectorAll(".picker .tabs button")].find((b) => b.textContent === %q);
		const picker = tab.closest(".picker");
		tab.click();
		const label = picker.querySelector(".thumb").dataset.label;
		picker.querySelector('.thumb[data-label="' + label + '"][data-tile="' + %q + '"]').click();
		return true;
	})()`, class, tile))
}

// waitReady waits until the first <unmix-demo> has loaded its model and shown
// a result.
func (s *browserSession) waitReady(t *testing.T) {
	t.Helper()
	eval[bool](t, s, fmt.Sprintf(`customElements.whenDefined("unmix-demo").then(() => new Promise((resolve, reject) => {
		const element = document.querySelector("unmix-demo");
		const start = performance.now();
		const check = () => {
			if (element.dataset.state === "ready" && element.lastResult) {
				resolve(true);
			} else if (element.dataset.state === "error" || performance.now() - start > %d) {
				reject(new Error("the demo did not become ready: state " + element.dataset.state + ", error: " +
					element.shadowRoot.querySelector(".error").textContent));
			} else {
				setTimeout(check, 100);
			}
		};
		check();
	}))`, resultTimeout.Milliseconds()))
}

// errorText returns the widget's visible error message, or "".
func (s *browserSession) errorText(t *testing.T) string {
	t.Helper()
	return eval[string](t, s, fmt.Sprintf(`(() => { const e = %s; return e.hidden ? "" : e.textContent; })()`, shadow(".error")))
}

// waitForError polls until the widget shows an error that contains want.
func (s *browserSession) waitForError(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if text := s.errorText(t); strings.Contains(text, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the widget shows error %q, want one containing %q", s.errorText(t), want)
}

func (s *browserSession) upload(t *testing.T, group, path string) {
	t.Helper()
	selector := chromedp.JSPath(shadow(fmt.Sprintf(`input[type=file][data-group=%q]`, group)))
	if err := chromedp.Do(s.tab, chromedp.SetUploadFiles(selector, []string{path})); err != nil {
		t.Fatalf("uploading %s as image %s: %v", path, group, err)
	}
}

func TestBrowserDemoPage(t *testing.T) {
	s, golden := startBrowser(t)
	if err := chromedp.Do(s.tab, chromedp.Navigate(s.server.URL+"/")); err != nil {
		t.Fatal(err)
	}
	s.waitReady(t)

	t.Run("fixed pair matches golden", func(t *testing.T) {
		want := golden.Cases[0]
		s.pickSample(t, want.A)
		s.pickSample(t, want.B)
		got := s.waitForResult(t, widgetName(want.A), widgetName(want.B), want.Ratio)
		checkCase(t, got, want)
		if got.Preset != golden.Preset {
			t.Errorf("the demo ran preset %q, want %q", got.Preset, golden.Preset)
		}
	})

	t.Run("ratio slider", func(t *testing.T) {
		want := golden.Cases[1]
		eval[bool](t, s, fmt.Sprintf(`(() => { const r = %s; r.value = "%g"; r.dispatchEvent(new Event("input")); return true; })()`,
			shadow(".ratio"), want.Ratio))
		checkCase(t, s.waitForResult(t, widgetName(want.A), widgetName(want.B), want.Ratio), want)
		eval[bool](t, s, fmt.Sprintf(`(() => { const r = %s; r.value = "0.5"; r.dispatchEvent(new Event("input")); return true; })()`, shadow(".ratio")))
	})

	t.Run("right and wrong marks", func(t *testing.T) {
		marks := eval[int](t, s, fmt.Sprintf(`document.querySelector("unmix-demo").shadowRoot.querySelectorAll(".mark.right, .mark.wrong").length`))
		if marks != 2 {
			t.Errorf("got %d right/wrong marks for two sample images, want 2", marks)
		}
	})

	dir := t.TempDir()
	t.Run("upload", func(t *testing.T) {
		// A 32x32 PNG of a sample tile must give exactly that tile's result.
		want := golden.Cases[2]
		sample := loadSample(t)
		pathA := writeTilePNG(t, sample, want.A, filepath.Join(dir, "car.png"))
		pathB := writeTilePNG(t, sample, want.B, filepath.Join(dir, "horse.png"))
		s.upload(t, "a", pathA)
		s.upload(t, "b", pathB)
		checkCase(t, s.waitForResult(t, "car.png", "horse.png", want.Ratio), want)

		marks := eval[int](t, s, `document.querySelector("unmix-demo").shadowRoot.querySelectorAll(".mark.right, .mark.wrong").length`)
		if marks != 0 {
			t.Errorf("got %d right/wrong marks for uploads, whose class is unknown, want 0", marks)
		}

		// A large photo is cropped and scaled in the page.
		photo := writePhotoJPEG(t, filepath.Join(dir, "photo.jpg"), 1600, 900)
		s.upload(t, "a", photo)
		got := s.waitForResult(t, "photo.jpg", "horse.png", 0.5)
		if len(got.ProbsA) != 5 {
			t.Errorf("photo upload gave %d probabilities for head A, want 5", len(got.ProbsA))
		}
	})

	t.Run("upload errors keep the page working", func(t *testing.T) {
		notImage := filepath.Join(dir, "notes.png")
		if err := os.WriteFile(notImage, []byte("these are notes, not a PNG"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.upload(t, "a", notImage)
		s.waitForError(t, "notes.png is not an image")

		huge := filepath.Join(dir, "huge.jpg")
		if err := makeSparseFile(huge, 50_000_000); err != nil {
			t.Fatal(err)
		}
		s.upload(t, "b", huge)
		s.waitForError(t, "huge.jpg is 50.0 MB; the limit is 20.0 MB")

		want := golden.Cases[0]
		s.pickSample(t, want.A)
		s.pickSample(t, want.B)
		checkCase(t, s.waitForResult(t, widgetName(want.A), widgetName(want.B), want.Ratio), want)
		if text := s.errorText(t); text != "" {
			t.Errorf("the error %q is still shown after a good prediction", text)
		}
	})
}

func TestBrowserPresetMenu(t *testing.T) {
	s, golden := startBrowser(t)
	if err := chromedp.Do(s.tab, chromedp.Navigate(s.server.URL+"/")); err != nil {
		t.Fatal(err)
	}
	s.waitReady(t)

	presets := eval[[]string](t, s, fmt.Sprintf(`[...%s.options].map((o) => o.value)`, shadow(".preset")))
	other := ""
	for _, p := range presets {
		if p != golden.Preset {
			other = p
		}
	}
	if other == "" {
		t.Skipf("the site has only the %v preset; the menu needs two", presets)
	}

	got := eval[string](t, s, fmt.Sprintf(`new Promise((resolve, reject) => {
		const element = document.querySelector("unmix-demo");
		const select = %s;
		select.value = %q;
		select.dispatchEvent(new Event("change"));
		const start = performance.now();
		const check = () => {
			if (element.lastResult && element.lastResult.preset === %q) {
				resolve(element.lastResult.preset);
			} else if (performance.now() - start > %d) {
				reject(new Error("no result from the %s preset; state " + element.dataset.state));
			} else {
				setTimeout(check, 100);
			}
		};
		check();
	})`, shadow(".preset"), other, other, resultTimeout.Milliseconds(), other))
	if got != other {
		t.Errorf("after choosing %s in the menu the result came from %s", other, got)
	}
}

func TestBrowserWidgetOnBarePage(t *testing.T) {
	s, golden := startBrowser(t)
	want := golden.Cases[0]

	// The bare page lives on another origin, as on a third-party site.
	page := fmt.Sprintf(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bare</title><link rel="icon" href="data:,"></head>
<body><h1>A page that embeds Unmix</h1>
<script type="module" src="%s/unmix-widget.js"></script>
<unmix-demo pair="%s,%s"></unmix-demo>
</body></html>`, s.server.URL, want.A, want.B)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer bare.Close()

	if err := chromedp.Do(s.tab, chromedp.Navigate(bare.URL+"/")); err != nil {
		t.Fatal(err)
	}
	checkCase(t, s.waitForResult(t, widgetName(want.A), widgetName(want.B), want.Ratio), want)

	width := eval[float64](t, s, `document.querySelector("unmix-demo").getBoundingClientRect().width`)
	if width > 440 {
		t.Errorf("the compact widget is %g px wide, want at most 440", width)
	}
}

// writeTilePNG writes a sample tile as a 32x32 PNG.
func writeTilePNG(t *testing.T, sample *samples.Sample, name, path string) string {
	t.Helper()
	pixels := tilePixels(t, sample, name)
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for p := range 32 * 32 {
		img.SetNRGBA(p%32, p/32, color.NRGBA{
			R: uint8(pixels[p*3]*255 + 0.5), G: uint8(pixels[p*3+1]*255 + 0.5), B: uint8(pixels[p*3+2]*255 + 0.5), A: 255,
		})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writePhotoJPEG writes a smooth gradient image of the given size.
func writePhotoJPEG(t *testing.T, path string, width, height int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.SetRGBA(x, y, color.RGBA{R: uint8(255 * x / width), G: uint8(255 * y / height), B: 128, A: 255})
		}
	}
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := jpeg.Encode(file, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return path
}

// makeSparseFile creates a file of size bytes without writing them.
func makeSparseFile(path string, size int64) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(file.Truncate(size), file.Close())
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realSite.dir != "" {
		os.RemoveAll(filepath.Dir(realSite.dir))
	}
	os.Exit(code)
}
