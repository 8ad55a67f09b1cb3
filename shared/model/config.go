// Package model defines the Unmix dual-head residual network once, for the
// native trainer (XLA or simplego) and the browser build (simplego under wasm).
//
// Input images are [batch, 32, 32, 3] float32, channels-last, values in [0, 1]:
// the pixel average of one CIFAR-10 image of group A (labels 0-4) and one of
// group B (labels 5-9). The model returns two [batch, 5] logit tensors, one per
// group.
package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Image geometry of the model input.
const (
	ImageSize     = 32
	ImageChannels = 3
	ImageFloats   = ImageSize * ImageSize * ImageChannels
	NumClasses    = 5 // classes per head
)

// Config describes one network. Presets are Configs; the weights file stores
// the Config it was trained with, so a file always rebuilds its own model.
type Config struct {
	// Preset is the name the Config was made from ("reference", "slim", ...).
	Preset string `json:"preset"`
	// Filters is the number of filters of each residual block.
	Filters []int `json:"filters"`
	// PoolAfter marks the blocks followed by a 2x2 max-pool; same length as Filters.
	PoolAfter []bool `json:"pool_after"`
	// Dropout is the rate applied at the end of every block, in [0, 1).
	Dropout float64 `json:"dropout"`
	// LeakySlope is the negative slope of every LeakyReLU.
	LeakySlope float64 `json:"leaky_slope"`
}

var presets = map[string]Config{
	// reference follows the Keras notebook: five blocks of 32, 64, 128, 196
	// and 256 filters, max-pooling after blocks 2, 4 and 5.
	"reference": {
		Filters:    []int{32, 64, 128, 196, 256},
		PoolAfter:  []bool{false, true, false, true, true},
		Dropout:    0.3,
		LeakySlope: 0.1,
	},
	// slim is the reference layout with half the filters: about 4x less work,
	// for CPU training and the browser demo.
	"slim": {
		Filters:    []int{16, 32, 64, 96, 128},
		PoolAfter:  []bool{false, true, false, true, true},
		Dropout:    0.3,
		LeakySlope: 0.1,
	},
	// tiny has three pooled blocks; it is the preset for training in the browser.
	"tiny": {
		Filters:    []int{16, 32, 64},
		PoolAfter:  []bool{true, true, true},
		Dropout:    0.1,
		LeakySlope: 0.1,
	},
}

// PresetNames returns the names of the built-in presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for name := range presets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Preset returns the Config of a built-in preset.
func Preset(name string) (Config, error) {
	cfg, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("model: unknown preset %q: use one of %s", name, strings.Join(PresetNames(), ", "))
	}
	cfg.Preset = name
	cfg.Filters = slices.Clone(cfg.Filters)
	cfg.PoolAfter = slices.Clone(cfg.PoolAfter)
	return cfg, nil
}

// Validate checks that the Config describes a network that can be built.
func (cfg Config) Validate() error {
	if len(cfg.Filters) == 0 {
		return fmt.Errorf("model: config %q has no blocks: set filters", cfg.Preset)
	}
	if len(cfg.PoolAfter) != len(cfg.Filters) {
		return fmt.Errorf("model: config %q has %d filters but %d pool_after entries: give one per block",
			cfg.Preset, len(cfg.Filters), len(cfg.PoolAfter))
	}
	size := ImageSize
	for i, f := range cfg.Filters {
		if f <= 0 || f > 4096 {
			return fmt.Errorf("model: config %q block %d has %d filters: use 1 to 4096", cfg.Preset, i+1, f)
		}
		if cfg.PoolAfter[i] {
			if size%2 != 0 {
				return fmt.Errorf("model: config %q pools a %dx%d map after block %d: remove a pool", cfg.Preset, size, size, i+1)
			}
			size /= 2
		}
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return fmt.Errorf("model: config %q has dropout %g: use a rate in [0, 1)", cfg.Preset, cfg.Dropout)
	}
	if cfg.LeakySlope < 0 || cfg.LeakySlope >= 1 {
		return fmt.Errorf("model: config %q has leaky_slope %g: use a slope in [0, 1)", cfg.Preset, cfg.LeakySlope)
	}
	return nil
}

// FeatureMapSize returns the side of the last block's output map.
func (cfg Config) FeatureMapSize() int {
	size := ImageSize
	for _, pool := range cfg.PoolAfter {
		if pool {
			size /= 2
		}
	}
	return size
}

// ForwardFLOPs estimates the multiply-adds times two of one forward pass of
// one image, counting convolutions and the two heads only.
func (cfg Config) ForwardFLOPs() int64 {
	var flops int64
	size, in := ImageSize, ImageChannels
	for i, out := range cfg.Filters {
		pixels := int64(size * size)
		flops += pixels * int64(9*in*out)  // first 3x3 conv
		flops += pixels * int64(9*out*out) // second 3x3 conv
		flops += pixels * int64(out*out)   // 1x1 conv
		if in != out {
			flops += pixels * int64(in*out) // projected shortcut
		}
		if cfg.PoolAfter[i] {
			size /= 2
		}
		in = out
	}
	flops += 2 * int64(size*size*in*NumClasses)
	return 2 * flops
}
