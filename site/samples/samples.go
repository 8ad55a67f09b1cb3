// Package samples builds and reads the bundled sample of CIFAR-10 test images
// that the demo page offers: one PNG sprite plus a JSON index.
//
// The sprite has one row per class, labels 0-9 from top to bottom, and
// PerClass tiles of 32x32 pixels per row. Tile j of class c starts at pixel
// (j*32, c*32). The PNG is opaque RGB with no gamma or color-profile chunk, so
// a browser canvas returns the exact bytes of the test set.
package samples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/unmix/unmix/shared/cifar"
)

// File names of the sprite and its index inside the samples folder.
const (
	SpriteFile = "cifar10-test-sample.png"
	IndexFile  = "cifar10-test-sample.json"
)

// Index describes the sprite.
type Index struct {
	// Source names the CIFAR-10 file the images come from.
	Source string `json:"source"`
	// Tile is the side of one image in pixels (32).
	Tile int `json:"tile"`
	// PerClass is the number of images of each class, one sprite row each.
	PerClass int `json:"perClass"`
	// ClassNames contains the ten CIFAR-10 class names, indexed by label.
	ClassNames []string `json:"classNames"`
	// TestIndex[c][j] is the record number in Source of tile j of class c.
	TestIndex [][]int `json:"testIndex"`
}

// Sample is the sprite with its index.
type Sample struct {
	Index  Index
	Sprite *image.NRGBA
}

// Build picks the first perClass images of each class from the test set, in
// file order, and lays them out as a sprite.
func Build(test *cifar.Dataset, source string, perClass int) (*Sample, error) {
	if perClass <= 0 {
		return nil, fmt.Errorf("samples: %d images per class: use a positive number", perClass)
	}

	index := Index{
		Source:     source,
		Tile:       cifar.ImageSize,
		PerClass:   perClass,
		ClassNames: cifar.ClassNames[:],
		TestIndex:  make([][]int, cifar.NumClasses),
	}
	for i, label := range test.Labels {
		if int(label) >= cifar.NumClasses {
			return nil, fmt.Errorf("samples: record %d has label %d: CIFAR-10 labels are 0 to 9", i, label)
		}
		if len(index.TestIndex[label]) < perClass {
			index.TestIndex[label] = append(index.TestIndex[label], i)
		}
	}
	for c, picked := range index.TestIndex {
		if len(picked) < perClass {
			return nil, fmt.Errorf("samples: %s has %d images of class %s, want %d: use a smaller count",
				source, len(picked), cifar.ClassNames[c], perClass)
		}
	}

	return &Sample{Index: index, Sprite: DrawSprite(test, index.TestIndex, perClass)}, nil
}

// DrawSprite draws records of d into one image: records[c][j] becomes the
// 32x32 tile in column j and row c, so class c fills row c.
func DrawSprite(d *cifar.Dataset, records [][]int, perClass int) *image.NRGBA {
	size := cifar.ImageSize
	sprite := image.NewNRGBA(image.Rect(0, 0, perClass*size, len(records)*size))
	const plane = cifar.ImageSize * cifar.ImageSize
	for c, row := range records {
		for j, record := range row {
			pixels := d.Image(record)
			for p := range plane {
				sprite.SetNRGBA(j*size+p%size, c*size+p/size, color.NRGBA{
					R: pixels[p], G: pixels[plane+p], B: pixels[2*plane+p], A: 255,
				})
			}
		}
	}
	return sprite
}

// Encode returns the sprite as PNG bytes and the index as indented JSON.
func (s *Sample) Encode() (spritePNG, indexJSON []byte, err error) {
	return EncodeSprite(s.Sprite, s.Index)
}

// EncodeSprite returns sprite as a maximally compressed PNG and index as
// indented JSON, the two files of a bundled sample.
func EncodeSprite(sprite image.Image, index any) (spritePNG, indexJSON []byte, err error) {
	var buf bytes.Buffer
	encoder := png.Encoder{CompressionLevel: png.BestCompression}
	if err := encoder.Encode(&buf, sprite); err != nil {
		return nil, nil, fmt.Errorf("samples: encoding the sprite: %w", err)
	}
	indexJSON, err = json.MarshalIndent(index, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("samples: encoding the index: %w", err)
	}
	return buf.Bytes(), append(indexJSON, '\n'), nil
}

// Decode reads a sprite and index written by Encode and checks that they
// agree.
func Decode(spritePNG, indexJSON []byte) (*Sample, error) {
	var index Index
	if err := json.Unmarshal(indexJSON, &index); err != nil {
		return nil, fmt.Errorf("samples: %s: %w", IndexFile, err)
	}
	if index.Tile != cifar.ImageSize || index.PerClass <= 0 || len(index.TestIndex) != cifar.NumClasses {
		return nil, fmt.Errorf("samples: %s has tile %d, %d per class and %d classes, want tile %d and %d classes: regenerate it with samplegen",
			IndexFile, index.Tile, index.PerClass, len(index.TestIndex), cifar.ImageSize, cifar.NumClasses)
	}

	decoded, err := png.Decode(bytes.NewReader(spritePNG))
	if err != nil {
		return nil, fmt.Errorf("samples: %s: %w", SpriteFile, err)
	}
	want := image.Rect(0, 0, index.PerClass*index.Tile, cifar.NumClasses*index.Tile)
	if decoded.Bounds() != want {
		return nil, fmt.Errorf("samples: %s is %v, want %v for %d images per class: regenerate it with samplegen",
			SpriteFile, decoded.Bounds(), want, index.PerClass)
	}
	sprite := image.NewNRGBA(want)
	for y := range want.Dy() {
		for x := range want.Dx() {
			sprite.Set(x, y, decoded.At(x, y))
		}
	}
	return &Sample{Index: index, Sprite: sprite}, nil
}

// HWC returns tile j of class label as [32, 32, 3] float32 values in [0, 1],
// the layout the model takes.
func (s *Sample) HWC(label, j int) ([]float32, error) {
	if label < 0 || label >= cifar.NumClasses || j < 0 || j >= s.Index.PerClass {
		return nil, fmt.Errorf("samples: no tile %d of class %d: use class 0 to %d and tile 0 to %d",
			j, label, cifar.NumClasses-1, s.Index.PerClass-1)
	}
	size := s.Index.Tile
	out := make([]float32, 0, size*size*cifar.Channels)
	for y := range size {
		for x := range size {
			pixel := s.Sprite.NRGBAAt(j*size+x, label*size+y)
			out = append(out, float32(pixel.R)/255, float32(pixel.G)/255, float32(pixel.B)/255)
		}
	}
	return out, nil
}
