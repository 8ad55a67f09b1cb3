// Package trainsample builds and reads the sample of CIFAR-10 training
// images that the in-browser trainer learns from: one PNG sprite plus a JSON
// index.
//
// The sprite has the layout of the demo's test sample (package samples): one
// row per class, labels 0-9 from top to bottom, PerClass tiles of 32x32
// pixels per row, tile j of class c at pixel (j*32, c*32), opaque RGB with no
// gamma or color-profile chunk.
package trainsample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/site/samples"
)

// File names of the sprite and its index inside the sample folder.
const (
	SpriteFile = "cifar10-train-sample.png"
	IndexFile  = "cifar10-train-sample.json"
)

// DefaultPerClass is the number of images of each class in the committed
// sample: 2000 images, a 4.3 MB sprite.
const DefaultPerClass = 200

// Index describes the sprite.
type Index struct {
	// Source names the CIFAR-10 files the images come from.
	Source string `json:"source"`
	// Tile is the side of one image in pixels (32).
	Tile int `json:"tile"`
	// PerClass is the number of images of each class, one sprite row each.
	PerClass int `json:"perClass"`
	// ClassNames contains the ten CIFAR-10 class names, indexed by label.
	ClassNames []string `json:"classNames"`
	// Records[c][j] is the record number of tile j of class c in the five
	// training files read one after the other (0 to 49999).
	Records [][]int `json:"records"`
}

// Sample is the sprite with its index.
type Sample struct {
	Index  Index
	Sprite *image.NRGBA
}

// Build picks perClass images of each class from the training set, evenly
// spaced in file order so that every training file contributes, and lays
// them out as a sprite.
func Build(train *cifar.Dataset, source string, perClass int) (*Sample, error) {
	if perClass <= 0 {
		return nil, fmt.Errorf("trainsample: %d images per class: use a positive number", perClass)
	}

	var byClass [cifar.NumClasses][]int
	for i, label := range train.Labels {
		if int(label) >= cifar.NumClasses {
			return nil, fmt.Errorf("trainsample: record %d has label %d: CIFAR-10 labels are 0 to 9", i, label)
		}
		byClass[label] = append(byClass[label], i)
	}
	index := Index{
		Source:     source,
		Tile:       cifar.ImageSize,
		PerClass:   perClass,
		ClassNames: cifar.ClassNames[:],
		Records:    make([][]int, cifar.NumClasses),
	}
	for c, records := range byClass {
		if len(records) < perClass {
			return nil, fmt.Errorf("trainsample: %s has %d images of class %s, want %d: use a smaller count",
				source, len(records), cifar.ClassNames[c], perClass)
		}
		for j := range perClass {
			index.Records[c] = append(index.Records[c], records[j*len(records)/perClass])
		}
	}

	return &Sample{Index: index, Sprite: samples.DrawSprite(train, index.Records, perClass)}, nil
}

// Encode returns the sprite as PNG bytes and the index as indented JSON.
func (s *Sample) Encode() (spritePNG, indexJSON []byte, err error) {
	return samples.EncodeSprite(s.Sprite, s.Index)
}

// Decode reads a sprite and its index and returns the images as a Dataset
// with labels 0-9, in sprite order: class by class, tile by tile. It reads
// the demo's test sample (package samples) as well, whose index has the same
// tile, perClass and classNames fields.
func Decode(spritePNG, indexJSON []byte) (*cifar.Dataset, *Index, error) {
	var index Index
	if err := json.Unmarshal(indexJSON, &index); err != nil {
		return nil, nil, fmt.Errorf("trainsample: %s: %w", IndexFile, err)
	}
	if index.Tile != cifar.ImageSize || index.PerClass <= 0 || len(index.ClassNames) != cifar.NumClasses {
		return nil, nil, fmt.Errorf("trainsample: %s has tile %d, %d per class and %d classes, want tile %d and %d classes: regenerate the sample",
			IndexFile, index.Tile, index.PerClass, len(index.ClassNames), cifar.ImageSize, cifar.NumClasses)
	}
	decoded, err := png.Decode(bytes.NewReader(spritePNG))
	if err != nil {
		return nil, nil, fmt.Errorf("trainsample: %s: %w", SpriteFile, err)
	}
	want := image.Rect(0, 0, index.PerClass*index.Tile, cifar.NumClasses*index.Tile)
	if decoded.Bounds() != want {
		return nil, nil, fmt.Errorf("trainsample: %s is %v, want %v for %d images per class: regenerate the sample",
			SpriteFile, decoded.Bounds(), want, index.PerClass)
	}
	return tiles(decoded, index.PerClass), &index, nil
}

// tiles cuts a sprite into a Dataset in the planar layout of the CIFAR-10
// files.
func tiles(sprite image.Image, perClass int) *cifar.Dataset {
	const size, plane = cifar.ImageSize, cifar.ImageSize * cifar.ImageSize
	d := &cifar.Dataset{
		Images: make([]byte, cifar.NumClasses*perClass*cifar.ImageBytes),
		Labels: make([]uint8, 0, cifar.NumClasses*perClass),
	}
	rgba, isRGBA := sprite.(*image.RGBA) // what image/png returns for opaque RGB
	for c := range cifar.NumClasses {
		for j := range perClass {
			out := d.Images[len(d.Labels)*cifar.ImageBytes:][:cifar.ImageBytes]
			for p := range plane {
				x, y := j*size+p%size, c*size+p/size
				var r, g, b uint8
				if isRGBA {
					pixel := rgba.RGBAAt(x, y)
					r, g, b = pixel.R, pixel.G, pixel.B
				} else {
					pixel := color.NRGBAModel.Convert(sprite.At(x, y)).(color.NRGBA)
					r, g, b = pixel.R, pixel.G, pixel.B
				}
				out[p], out[plane+p], out[2*plane+p] = r, g, b
			}
			d.Labels = append(d.Labels, uint8(c))
		}
	}
	return d
}
