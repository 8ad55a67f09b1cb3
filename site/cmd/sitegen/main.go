// Command sitegen renders the static Unmix site into a publish folder: the
// pages, the widget scripts, the wasm program, wasm_exec.js, the weights and
// plots of every preset under the models folder, and the bundled samples.
//
//	GOOS=js GOARCH=wasm go build -o build/unmix.wasm ./wasm
//	go run ./site/cmd/sitegen -out site/public
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/unmix/unmix/site"
)

const usage = `usage: sitegen [flags]

Renders the Unmix site. Build the wasm program first:

	GOOS=js GOARCH=wasm go build -o build/unmix.wasm ./wasm

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sitegen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("sitegen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", "site/public", "publish folder; emptied first if it holds an earlier build")
	models := flags.String("models", "shared/models", "folder with one subfolder per trained preset")
	wasm := flags.String("wasm", "build/unmix.wasm", "the GOOS=js GOARCH=wasm build of ./wasm")
	trainerWasm := flags.String("trainer-wasm", defaultTrainerWasm, "the GOOS=js GOARCH=wasm build of ./wasm/trainer; empty leaves the trainer out (default: "+defaultTrainerWasm+" when it exists)")
	wasmExec := flags.String("wasm-exec", "", "wasm_exec.js of the Go release that built -wasm (default: $(go env GOROOT)/lib/wasm/wasm_exec.js)")
	siteURL := flags.String("site-url", os.Getenv("URL"), "absolute URL the site is published at, for the embed snippets (default: $URL, which Netlify sets)")
	preset := flags.String("preset", "", `preset the demo loads (default: "slim" if trained, else the smallest)`)
	verbose := flags.Bool("v", false, "log every file written")
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: sitegen takes flags only", flags.Arg(0))
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *trainerWasm == defaultTrainerWasm && !flagSet(flags, "trainer-wasm") {
		if _, err := os.Stat(defaultTrainerWasm); err != nil {
			logger.Warn("leaving the trainer out: build it with GOOS=js GOARCH=wasm go build -o "+defaultTrainerWasm+" ./wasm/trainer", "error", err)
			*trainerWasm = ""
		}
	}
	if *wasmExec == "" {
		goroot, err := goEnv(ctx, "GOROOT")
		if err != nil {
			return err
		}
		*wasmExec = filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	}
	return site.Build(ctx, site.Options{
		OutDir:          *out,
		ModelsDir:       *models,
		WasmPath:        *wasm,
		WasmExecPath:    *wasmExec,
		TrainerWasmPath: *trainerWasm,
		SiteURL:         *siteURL,
		DefaultPreset:   *preset,
		Logger:          logger,
	})
}

// goEnv returns one value of `go env`.
func goEnv(ctx context.Context, name string) (string, error) {
	output, err := exec.CommandContext(ctx, "go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("running go env %s: %w: pass -wasm-exec instead", name, err)
	}
	return strings.TrimSpace(string(output)), nil
}

// defaultTrainerWasm is the path the Makefile builds the trainer program to.
const defaultTrainerWasm = "build/trainer.wasm"

// flagSet reports whether the command line set the flag name.
func flagSet(flags *flag.FlagSet, name string) bool {
	set := false
	flags.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
