package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gomlx/go-xla/pkg/installer"
)

// runPlugin installs the PJRT CUDA plugin with go-xla's installer. It is the
// only command besides `data download` that uses the network, and only when
// the user runs it.
func runPlugin(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "install-cuda" {
		fmt.Fprint(stderr, "Usage: unmix plugin install-cuda [--version V] [--lib-dir DIR]\n")
		return ErrUsage
	}
	fs := newFlagSet("plugin install-cuda", "plugin install-cuda [flags]", stderr)
	version := fs.String("version", "latest", `version of the jax-cuda13-pjrt PyPI package to install, e.g. "0.11.2"`)
	libDir := fs.String("lib-dir", "", `folder under which go-xla/nvidia is created (default "~/.local/lib", where go-xla looks)`)
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if *libDir == "" {
		dir, err := installer.DefaultHomeLibPath()
		if err != nil {
			return fmt.Errorf("plugin: %w", err)
		}
		*libDir = dir
	}
	target := filepath.Join(*libDir, "go-xla")
	if err := installer.CudaInstall("cuda13", *version, target, true, installer.Normal); err != nil {
		return fmt.Errorf("plugin: installing the CUDA plugin into %s: %w", target, err)
	}
	nvidia := filepath.Join(target, "nvidia")
	fmt.Fprintf(stdout, "installed the PJRT CUDA plugin in %s\nbefore training, run:\n  export PJRT_PLUGIN_LIBRARY_PATH=%s XLA_FLAGS=--xla_gpu_cuda_data_dir=%s\n", nvidia, nvidia, nvidia)
	return nil
}
