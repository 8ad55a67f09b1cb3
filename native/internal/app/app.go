// Package app implements the unmix command's subcommands, each as
// run(ctx, args, stdout, stderr) error so tests call them without a process.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends/xla"
)

// ErrUsage reports a command line that could not be parsed; the usage text
// has already been printed.
var ErrUsage = errors.New("usage error")

const usage = `unmix trains and runs a model that names both CIFAR-10 classes in a blend of two images.

Usage:
  unmix <command> [flags]

Commands:
  train          train a model (the Keras reference recipe by default)
  eval           evaluate weights with the test-set mixture protocol
  predict        predict both classes of two images or of one mixed image
  export         write the browser weights file from a training checkpoint
  data download  download and verify the CIFAR-10 binary data set
  backends       list the compute backends found on this machine
  plugin install-cuda  download the PJRT CUDA plugin (jax-cuda13-pjrt, from PyPI) for GPU training

Run "unmix <command> -h" for a command's flags.
`

type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Run dispatches args to a subcommand.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	commands := map[string]command{
		"train":    runTrain,
		"eval":     runEval,
		"predict":  runPredict,
		"export":   runExport,
		"data":     runData,
		"backends": runBackends,
		"plugin":   runPlugin,
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "unmix: unknown command %q\n\n%s", args[0], usage)
		return ErrUsage
	}
	// GoMLX downloads PJRT plugins from the network when it finds none;
	// unmix never downloads anything the user did not ask for. GoMLX reads
	// GOMLX_NO_AUTO_INSTALL when its package initializes, so setting the
	// variable here would be too late.
	xla.EnableAutoInstall(false)
	return cmd(ctx, args[1:], stdout, stderr)
}

// newFlagSet returns a FlagSet that prints its usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: unmix %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning -h into a nil error and bad flags into ErrUsage.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, ErrUsage
	}
	return false, nil
}

func newLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// defaultDataDir returns the CIFAR-10 folder that `unmix data download`
// fills and the other commands read: $UNMIX_DATA_DIR, else the user cache folder.
func defaultDataDir() string {
	if dir := os.Getenv("UNMIX_DATA_DIR"); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join("data", "cifar-10-batches-bin")
	}
	return filepath.Join(cache, "unmix", "cifar-10-batches-bin")
}
