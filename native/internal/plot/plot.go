// Package plot draws training curves and confusion matrices as PNG files
// with gonum.org/v1/plot.
package plot

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution of every PNG this package writes. A figure of
// w×h inches is w×96 by h×96 pixels.
const dpi = 96

// writePNG writes canvas as a PNG file at path. It writes a temporary file
// next to path and renames it, so path never holds a partial image.
func writePNG(path string, canvas *vgimg.Canvas) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer os.Remove(tmp.Name())

	_, err = vgimg.PngCanvas{Canvas: canvas}.WriteTo(tmp)
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	// CreateTemp makes the file private (0600); plots are meant to be published.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// newCanvas returns a white image canvas of width × height at dpi.
func newCanvas(width, height vg.Length) *vgimg.Canvas {
	return vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
}
