// Command samplegen writes the demo's bundled sample of CIFAR-10 test images:
// a PNG sprite with the first images of each class in test_batch.bin and a
// JSON index of their record numbers.
//
//	go run ./site/cmd/samplegen -data /path/to/cifar-10-batches-bin -out site/static/samples
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/site/samples"
)

const usage = `usage: samplegen [flags]

Writes %s and %s from the CIFAR-10 test batch.

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "samplegen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("samplegen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dataDir := flags.String("data", "../shared/data/cifar-10-batches-bin", "folder that contains "+cifar.TestFile)
	outDir := flags.String("out", "site/static/samples", "folder to write the sprite and index into")
	perClass := flags.Int("per-class", 100, "number of images of each class")
	flags.Usage = func() {
		fmt.Fprintf(stderr, usage, samples.SpriteFile, samples.IndexFile)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: samplegen takes flags only", flags.Arg(0))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	test, err := cifar.LoadTest(*dataDir)
	if err != nil {
		return err
	}
	sample, err := samples.Build(test, cifar.TestFile, *perClass)
	if err != nil {
		return err
	}
	spritePNG, indexJSON, err := sample.Encode()
	if err != nil {
		return err
	}

	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("creating the output folder: %w", err)
	}
	for name, data := range map[string][]byte{samples.SpriteFile: spritePNG, samples.IndexFile: indexJSON} {
		path := filepath.Join(*outDir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		logger.InfoContext(ctx, "wrote", "path", path, "bytes", len(data))
	}
	return nil
}
