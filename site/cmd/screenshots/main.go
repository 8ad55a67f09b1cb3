// Command screenshots saves full-page PNG screenshots of the Unmix site as a
// visitor sees it in headless Chromium at a desktop width: the demo after its
// first prediction, the model card, the embed guide after its live widget
// predicted, and the trainer page once it has loaded its training images.
//
//	go run ./site/cmd/screenshots -out docs/screenshots
//
// It builds the wasm programs and the site into a temporary folder, or takes
// a built one with -site, and serves it on 127.0.0.1 on a free port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/unmix/unmix/site"
	"github.com/unmix/unmix/site/internal/browser"
)

const usage = `usage: screenshots [flags]

Builds the wasm programs and the site into a temporary folder (or takes a
built one with -site), serves it on 127.0.0.1 and saves full-page PNG
screenshots of each page in headless Chromium: demo.png, model.png,
embed.png and, when the site has a trainer page, trainer.png.

It fails after saving the screenshots when a page wrote an error to the
browser console.

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	out      string
	siteDir  string
	models   string
	chromium string
	width    int
	height   int
	timeout  time.Duration
	seed     uint32
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	execPath, err := browser.Find(cfg.chromium)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "unmix-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	if cfg.siteDir == "" {
		cfg.siteDir = filepath.Join(work, "public")
		logger.Info("building the wasm programs and the site", "dir", work)
		if err := buildSite(ctx, cfg.models, work, cfg.siteDir); err != nil {
			return err
		}
	} else if _, err := os.Stat(filepath.Join(cfg.siteDir, site.ManifestFile)); err != nil {
		return fmt.Errorf("-site %s: no built site (%w): render one with go run ./site/cmd/sitegen -out %s", cfg.siteDir, err, cfg.siteDir)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}

	siteURL, stopServer, err := serve(cfg.siteDir, logger)
	if err != nil {
		return err
	}
	defer stopServer()

	shooter, err := startShooter(ctx, execPath, filepath.Join(work, "profile"), cfg, logger)
	if err != nil {
		return err
	}
	defer shooter.stop()

	for _, p := range pages {
		if p.optional {
			if _, err := os.Stat(filepath.Join(cfg.siteDir, p.path, "index.html")); err != nil {
				logger.Info("skipping a page the site does not have", "page", p.path, "file", p.file)
				continue
			}
		}
		path := filepath.Join(cfg.out, p.file)
		if err := shooter.shoot(ctx, siteURL, p, path); err != nil {
			return fmt.Errorf("%s: %w", p.file, err)
		}
		fmt.Fprintln(stdout, path)
	}
	return shooter.consoleErrors()
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	flags := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var cfg config
	flags.StringVar(&cfg.out, "out", "docs/screenshots", "folder the PNG files are written to, created if missing")
	flags.StringVar(&cfg.siteDir, "site", "", "folder of a site rendered by sitegen (default: build the wasm programs and the site into a temporary folder)")
	flags.StringVar(&cfg.models, "models", "shared/models", "folder with one subfolder per trained preset, when building the site")
	flags.StringVar(&cfg.chromium, "chromium", browser.DefaultChromium, "Chromium binary")
	flags.IntVar(&cfg.width, "width", 1280, "viewport width in CSS pixels, which is also the width of each PNG")
	flags.IntVar(&cfg.height, "height", 900, "viewport height in CSS pixels; each PNG still covers the whole page")
	flags.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "maximum wait for each page to load and predict")
	seed := flags.Uint("seed", 1, "seed of Math.random in the pages, so the demo shows the same random first pair on every run; 0 leaves Math.random alone")
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}

	if err := flags.Parse(args); err != nil {
		return cfg, err
	}
	if flags.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: screenshots takes flags only", flags.Arg(0))
	}
	if cfg.width < 320 || cfg.height < 200 {
		return cfg, fmt.Errorf("-width %d -height %d: the viewport must be at least 320 by 200 pixels", cfg.width, cfg.height)
	}
	if cfg.timeout <= 0 {
		return cfg, fmt.Errorf("-timeout %s: use a positive duration", cfg.timeout)
	}
	if *seed > math.MaxUint32 {
		return cfg, fmt.Errorf("-seed %d: use a value below 2^32", *seed)
	}
	cfg.seed = uint32(*seed)
	return cfg, nil
}

// buildSite compiles the wasm programs into work and renders the site into
// out. The trainer program is built when ./wasm/trainer exists, as in a
// checkout that has the trainer page.
func buildSite(ctx context.Context, models, work, out string) error {
	opts := site.Options{
		OutDir:    out,
		ModelsDir: models,
		WasmPath:  filepath.Join(work, "unmix.wasm"),
	}
	var err error
	if opts.WasmExecPath, err = browser.WasmExecPath(ctx); err != nil {
		return err
	}
	if err := browser.BuildWasm(ctx, ".", opts.WasmPath); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join("wasm", "trainer")); err == nil {
		opts.TrainerWasmPath = filepath.Join(work, "trainer.wasm")
		if err := browser.BuildTrainerWasm(ctx, ".", opts.TrainerWasmPath); err != nil {
			return err
		}
	}
	return site.Build(ctx, opts)
}

// serve serves dir on a free port of 127.0.0.1 with the site's headers. It
// returns the site's URL, ending in "/", and a function that stops the
// server.
func serve(dir string, logger *slog.Logger) (string, func(), error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	server := &http.Server{
		Handler:           site.WithHeaders(http.FileServer(http.Dir(dir))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serving the site", "error", err)
		}
	}()
	siteURL := "http://" + listener.Addr().String() + "/"
	logger.Info("serving", "dir", dir, "url", siteURL)
	return siteURL, func() { _ = server.Close() }, nil
}
