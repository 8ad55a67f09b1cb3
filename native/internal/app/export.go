package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/unmix/unmix/shared/model"
)

func runExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "export --from FILE --out FILE", stderr)
	from := fs.String("from", "", "training checkpoint or weights file to read (e.g. runs/slim/checkpoint.unmixw)")
	out := fs.String("out", "", "weights file to write, with only the network's variables")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *from == "" || *out == "" {
		fs.Usage()
		return ErrUsage
	}
	data, err := os.ReadFile(*from)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	file, err := model.DecodeWeights(data)
	if err != nil {
		return fmt.Errorf("export: %s: %w", *from, err)
	}
	exported := file.ModelOnly()
	if len(exported.Variables) == 0 {
		return fmt.Errorf("export: %s has no variables under %s: pass a checkpoint or weights file written by unmix train", *from, model.ModelScope)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := exported.WriteFile(*out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	info, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: preset %s, %d variables, %d bytes\n", *out, file.Config.Preset, len(exported.Variables), info.Size())
	return nil
}
