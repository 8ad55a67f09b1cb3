// Command trainsamplegen writes the in-browser trainer's sample of CIFAR-10
// training images: a PNG sprite with images of each class, evenly spaced
// over data_batch_1.bin to data_batch_5.bin, and a JSON index of their
// record numbers.
//
//	go run ./site/cmd/trainsamplegen -data /path/to/cifar-10-batches-bin -out site/static/trainsample
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/site/trainsample"
)

const usage = `usage: trainsamplegen [flags]

Writes %s and %s from the CIFAR-10 training batches.

Flags:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trainsamplegen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("trainsamplegen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dataDir := flags.String("data", "../shared/data/cifar-10-batches-bin", "folder that contains data_batch_1.bin to data_batch_5.bin")
	outDir := flags.String("out", "site/static/trainsample", "folder to write the sprite and index into")
	perClass := flags.Int("per-class", trainsample.DefaultPerClass, "number of images of each class")
	flags.Usage = func() {
		fmt.Fprintf(stderr, usage, trainsample.SpriteFile, trainsample.IndexFile)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: trainsamplegen takes flags only", flags.Arg(0))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	train, err := cifar.LoadTrain(*dataDir)
	if err != nil {
		return err
	}
	source := strings.Join(cifar.TrainFiles[:], ", ")
	sample, err := trainsample.Build(train, source, *perClass)
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
	for name, data := range map[string][]byte{trainsample.SpriteFile: spritePNG, trainsample.IndexFile: indexJSON} {
		path := filepath.Join(*outDir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		logger.InfoContext(ctx, "wrote", "path", path, "bytes", len(data))
	}
	return nil
}
