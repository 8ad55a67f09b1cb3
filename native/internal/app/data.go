package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/unmix/unmix/native/internal/download"
	"github.com/unmix/unmix/shared/cifar"
)

func runData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "download" {
		fmt.Fprint(stderr, "Usage: unmix data download [--data-dir DIR]\n")
		return ErrUsage
	}
	fs := newFlagSet("data download", "data download [flags]", stderr)
	dataDir := fs.String("data-dir", defaultDataDir(), "folder to write the CIFAR-10 binary files into")
	url := fs.String("url", download.URL, "archive to download; its MD5 must match the official archive")
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if _, err := cifar.LoadTest(*dataDir); err == nil {
		fmt.Fprintf(stdout, "CIFAR-10 is already in %s\n", *dataDir)
		return nil
	}
	if err := download.Download(ctx, *url, *dataDir, stderr); err != nil {
		return fmt.Errorf("data download: %w", err)
	}
	fmt.Fprintf(stdout, "CIFAR-10 downloaded and verified in %s\n", filepath.Clean(*dataDir))
	return nil
}
