package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/unmix/unmix/site/internal/browser"
)

// page is one screenshot of the site.
type page struct {
	file string // PNG name in the output folder
	path string // URL path under the site root, "" for the demo
	// ready waits until the page shows what a visitor comes for, such as a
	// prediction. Nil waits only for the images and fonts.
	ready    func(tab context.Context, timeout time.Duration) error
	optional bool // skipped when the site has no such page
}

var pages = []page{
	{file: "demo.png", path: "", ready: waitForPrediction},
	{file: "model.png", path: "model/"},
	{file: "embed.png", path: "embed/", ready: waitForPrediction},
	{file: "trainer.png", path: "trainer/", ready: waitForTrainer, optional: true},
}

// shooter is one Chromium tab with a fixed viewport and the console
// messages of every page it opened.
type shooter struct {
	tab     context.Context
	stop    context.CancelFunc
	cfg     config
	logger  *slog.Logger
	mu      sync.Mutex
	current string   // file of the page open now
	errors  []string // console errors, each prefixed by its page's file
}

func startShooter(ctx context.Context, execPath, profile string, cfg config, logger *slog.Logger) (*shooter, error) {
	tab, stop, err := browser.Start(ctx, execPath, profile)
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(cfg.width), int64(cfg.height))); err != nil {
		stop()
		return nil, fmt.Errorf("setting the viewport to %dx%d: %w", cfg.width, cfg.height, err)
	}
	if cfg.seed != 0 {
		if _, err := chromedp.Call(tab, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: fmt.Sprintf(seedRandomJS, cfg.seed),
		}); err != nil {
			stop()
			return nil, fmt.Errorf("seeding Math.random: %w", err)
		}
	}
	s := &shooter{tab: tab, stop: stop, cfg: cfg, logger: logger}
	go s.collectConsole()
	return s, nil
}

// seedRandomJS replaces the page's Math.random with mulberry32, a small
// seeded generator, before the page's own scripts run. Web Workers keep the
// browser's generator. The format verb is the seed.
const seedRandomJS = `(() => {
	let state = %d >>> 0;
	Math.random = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
})();`

// collectConsole logs console errors and warnings and keeps the errors
// until the tab closes.
func (s *shooter) collectConsole() {
	for m, err := range chromedp.Console(s.tab) {
		if err != nil {
			return
		}
		s.mu.Lock()
		file := s.current
		if m.Type == chromedp.ConsoleError || m.IsException() {
			s.errors = append(s.errors, fmt.Sprintf("%s: %s (%s:%d)", file, m.Text, m.URL, m.Line))
			s.logger.Error("browser console", "page", file, "text", m.Text, "url", m.URL, "line", m.Line)
		} else if m.Type == chromedp.ConsoleWarning {
			s.logger.Warn("browser console", "page", file, "text", m.Text, "url", m.URL, "line", m.Line)
		}
		s.mu.Unlock()
	}
}

// consoleErrors returns an error listing every console error seen so far, or
// nil.
func (s *shooter) consoleErrors() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errors) == 0 {
		return nil
	}
	return fmt.Errorf("the browser console logged %d errors, so the saved screenshots may show a broken page:\n%s",
		len(s.errors), strings.Join(s.errors, "\n"))
}

// shoot opens p, waits until it is ready and writes its screenshot to path.
func (s *shooter) shoot(ctx context.Context, siteURL string, p page, path string) error {
	s.mu.Lock()
	s.current = p.file
	s.mu.Unlock()

	start := time.Now()
	s.logger.Info("opening", "page", siteURL+p.path)
	if err := chromedp.Do(s.tab, chromedp.Navigate(siteURL+p.path)); err != nil {
		return fmt.Errorf("opening %s: %w", siteURL+p.path, err)
	}
	if p.ready != nil {
		if err := p.ready(s.tab, s.cfg.timeout); err != nil {
			return err
		}
	}
	if err := s.settle(); err != nil {
		return err
	}

	png, err := s.capture()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	s.logger.Info("saved", "file", path, "bytes", len(png), "after", time.Since(start).Round(time.Millisecond))
	return nil
}

// settleJS loads the lazy images, which a full-page capture would otherwise
// show empty, waits for every image and web font, and returns the URLs of
// the images that failed to load.
const settleJS = `(async () => {
	const images = [...document.images];
	for (const image of images) { image.loading = "eager"; }
	await Promise.all(images.map((image) => image.decode().catch(() => {})));
	await document.fonts.ready;
	await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
	return images.filter((image) => !image.complete || image.naturalWidth === 0).map((image) => image.currentSrc || image.src);
})()`

// settle waits for images and fonts, and fails when an image is broken.
func (s *shooter) settle() error {
	ctx, cancel := context.WithTimeout(s.tab, s.cfg.timeout)
	defer cancel()
	broken, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](settleJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("waiting for images and fonts: %w", err)
	}
	if len(broken) > 0 {
		return fmt.Errorf("broken images: %s", strings.Join(broken, ", "))
	}
	return nil
}

// capture returns a PNG of the whole page at the viewport width. A page
// wider than the viewport, which a visitor would scroll sideways, is logged
// and cut at the viewport width.
func (s *shooter) capture() ([]byte, error) {
	metrics, err := chromedp.Call(s.tab, cdppage.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("reading the page size: %w", err)
	}
	size := metrics.CSSContentSize
	if size.Width > float64(s.cfg.width)+0.5 {
		s.logger.Warn("the page is wider than the viewport", "page", s.current, "width", size.Width, "viewport", s.cfg.width)
	}
	shot, err := chromedp.Call(s.tab, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format: cdppage.CaptureScreenshotFormatPng,
		Clip: &cdppage.Viewport{
			Width:  float64(s.cfg.width),
			Height: math.Ceil(max(size.Height, float64(s.cfg.height))),
			Scale:  1,
		},
		CaptureBeyondViewport: new(true),
		FromSurface:           new(true),
	})
	if err != nil {
		return nil, fmt.Errorf("capturing the page: %w", err)
	}
	return shot.Data, nil
}

// waitForPredictionJS is a JavaScript function of a timeout in milliseconds.
// It resolves once the page's first <unmix-demo> shows a prediction and is
// idle, and rejects with the element's state and error text when the element
// fails or the timeout passes first.
const waitForPredictionJS = `(timeout) => new Promise((resolve, reject) => {
	const start = performance.now();
	const check = () => {
		const element = document.querySelector("unmix-demo");
		const root = element && element.shadowRoot;
		const error = root && root.querySelector(".error");
		const errorText = error && !error.hidden ? error.textContent : "";
		if (element && element.lastResult && element.dataset.state === "ready" && !errorText) {
			resolve(true);
			return;
		}
		if ((element && element.dataset.state === "error") || errorText || performance.now() - start > timeout) {
			const status = root && root.querySelector(".status");
			reject(new Error("no prediction shown after " + Math.round(performance.now() - start) + " ms; state " +
				(element ? element.dataset.state : "no <unmix-demo> element") + "; status: " +
				(status ? status.textContent : "") + "; error: " + errorText));
			return;
		}
		setTimeout(check, 100);
	};
	check();
})`

// waitForPrediction waits for the first prediction of the page's widget.
func waitForPrediction(tab context.Context, timeout time.Duration) error {
	_, err := chromedp.Run(tab, chromedp.Evaluate[bool](
		fmt.Sprintf("(%s)(%d)", waitForPredictionJS, timeout.Milliseconds()), chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("waiting for the widget's first prediction: %w", err)
	}
	return nil
}

// waitForTrainer waits until the trainer has loaded its training images and
// offers to start. A site built without the trainer program has no
// <unmix-trainer> element, only a notice, so there is nothing to wait for.
func waitForTrainer(tab context.Context, timeout time.Duration) error {
	present, err := chromedp.Run(tab, chromedp.Evaluate[bool](browser.TrainerElementJS+` !== null`))
	if err != nil {
		return fmt.Errorf("looking for the trainer element: %w", err)
	}
	if !present {
		return nil
	}
	return browser.Trainer{Tab: tab}.WaitReady(timeout)
}
