// Package models embeds the trained models that ship with Unmix. Each preset
// has a folder named after it holding weights.unmixw (the browser weights
// file), eval.json (the test-set protocol result) and the training history
// and plots, all written by the unmix command.
package models

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The pattern takes the whole folder, so the package builds before any
// model is trained; Presets lists the folders that hold weights.
//
//go:embed *
var files embed.FS

// WeightsFileName is the weights file inside each preset folder.
const WeightsFileName = "weights.unmixw"

// FS returns the embedded folder tree.
func FS() fs.FS { return files }

// Presets returns the presets with shipped weights, sorted.
func Presets() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		if _, err := fs.Stat(files, path.Join(e.Name(), WeightsFileName)); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Weights returns the shipped weights file of preset.
func Weights(preset string) ([]byte, error) {
	data, err := files.ReadFile(path.Join(preset, WeightsFileName))
	if errors.Is(err, fs.ErrNotExist) {
		shipped := Presets()
		if len(shipped) == 0 {
			return nil, fmt.Errorf("models: no weights ship with this build: pass --weights FILE")
		}
		return nil, fmt.Errorf("models: no shipped weights for preset %q: use --preset %s, or pass --weights FILE", preset, strings.Join(shipped, " or --preset "))
	}
	return data, err
}
