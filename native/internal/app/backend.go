package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/default" // registers xla (cgo builds) and simplego
	"github.com/unmix/unmix/shared/model"
)

const backendHelp = `compute backend: "auto" (XLA CUDA, then XLA CPU, then pure Go), "xla:cuda", "xla:cpu" or "go"; ` +
	`GOMLX_BACKEND overrides "auto"`

// openBackend returns the backend named by spec. "auto" takes GOMLX_BACKEND
// when set, else the first of XLA CUDA, XLA CPU and simplego that loads.
func openBackend(spec string, logger *slog.Logger) (backends.Backend, error) {
	if spec == "auto" || spec == "" {
		if env := os.Getenv("GOMLX_BACKEND"); env != "" {
			spec = env
		}
	}
	var backend backends.Backend
	var err error
	switch {
	case spec == "auto" || spec == "":
		backend, err = firstAvailableBackend(logger)
	case spec == "go" || strings.HasPrefix(spec, "go:"):
		backend, err = model.NewSimpleGoBackend()
	case strings.HasPrefix(spec, "xla"):
		backend, err = backends.NewWithConfig(spec)
		if err != nil {
			err = fmt.Errorf("backend %q: %w\n%s", spec, err, pluginHint)
		}
	default:
		err = fmt.Errorf("unknown backend %q: use auto, xla:cuda, xla:cpu or go", spec)
	}
	if err != nil {
		return nil, err
	}
	logger.Info("backend", "name", backend.Name(), "device", backend.Description())
	return backend, nil
}

const pluginHint = `XLA needs a PJRT plugin file named pjrt_c_api_<name>_plugin.so in a folder listed in PJRT_PLUGIN_LIBRARY_PATH:
  CPU:  run "make xla-plugin" in the unmix repository (it fetches a pinned PyPI wheel)
  CUDA: see "GPU training" in the README`

func firstAvailableBackend(logger *slog.Logger) (backends.Backend, error) {
	var failures []string
	for _, spec := range []string{"xla:cuda", "xla:cpu"} {
		backend, err := backends.NewWithConfig(spec)
		if err == nil {
			return backend, nil
		}
		failures = append(failures, fmt.Sprintf("%s: %v", spec, firstLine(err)))
	}
	logger.Warn("no XLA plugin loaded, using the pure-Go backend (much slower)", "tried", strings.Join(failures, "; "))
	return model.NewSimpleGoBackend()
}

func firstLine(err error) string {
	text := err.Error()
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		return text[:i]
	}
	return text
}

func runBackends(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backends", "backends", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	found := 0
	for _, spec := range []string{"xla:cuda", "xla:cpu", "go"} {
		var backend backends.Backend
		var err error
		if spec == "go" {
			backend, err = model.NewSimpleGoBackend()
		} else {
			backend, err = backends.NewWithConfig(spec)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%-9s unavailable: %s\n", spec, firstLine(err))
			continue
		}
		found++
		fmt.Fprintf(stdout, "%-9s %s\n", spec, backend.Description())
		backend.Finalize()
	}
	if found == 0 {
		return errors.New("no backend could start")
	}
	return nil
}
