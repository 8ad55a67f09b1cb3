package site

import (
	"embed"
	"fmt"
	"io/fs"
	"os"

	"github.com/unmix/unmix/site/trainsample"
	"github.com/unmix/unmix/wasm/web"
)

// trainStatic contains the trainer's sample of CIFAR-10 training images,
// written by trainsamplegen.
//
//go:embed static/trainsample
var trainStatic embed.FS

const trainSampleDir = "static/trainsample/"

// ManifestTrainer locates the in-browser trainer's program and training
// sample.
type ManifestTrainer struct {
	Wasm   string          `json:"wasm"`
	Sample ManifestSamples `json:"sample"`
}

// TrainerInfo describes the trainer that a build includes, for its page.
type TrainerInfo struct {
	WasmBytes      int64
	WasmGzipBytes  int64
	SampleBytes    int64 // the sprite and its index
	ImagesPerClass int
}

// writeTrainer copies the trainer's scripts, program and training sample
// into the site and records them in the manifest. The scripts are always
// copied, because the demo widget reads trained weights with one of them.
// When opts.TrainerWasmPath is empty it copies only those, and the trainer
// page states that the build has no trainer.
func (b *builder) writeTrainer(info *Info, manifest *Manifest) error {
	for _, name := range web.TrainerFiles {
		data, err := fs.ReadFile(web.FS, name)
		if err != nil {
			return fmt.Errorf("site: reading embedded %s: %w", name, err)
		}
		if err := b.write(name, data); err != nil {
			return err
		}
	}
	if b.opts.TrainerWasmPath == "" {
		return nil
	}
	wasm, err := os.ReadFile(b.opts.TrainerWasmPath)
	if err != nil {
		return fmt.Errorf("site: reading the trainer program: %w: build it with GOOS=js GOARCH=wasm go build -o %s ./wasm/trainer", err, b.opts.TrainerWasmPath)
	}
	trainer := &ManifestTrainer{}
	if trainer.Wasm, err = b.writeHashed("trainer.wasm", wasm); err != nil {
		return err
	}

	spritePNG, err := trainStatic.ReadFile(trainSampleDir + trainsample.SpriteFile)
	if err != nil {
		return fmt.Errorf("site: reading the embedded training sample: %w: write it with go run ./site/cmd/trainsamplegen", err)
	}
	indexJSON, err := trainStatic.ReadFile(trainSampleDir + trainsample.IndexFile)
	if err != nil {
		return fmt.Errorf("site: reading the embedded training sample: %w: write it with go run ./site/cmd/trainsamplegen", err)
	}
	_, index, err := trainsample.Decode(spritePNG, indexJSON)
	if err != nil {
		return fmt.Errorf("site: the training sample: %w", err)
	}
	if trainer.Sample.Sprite, err = b.writeHashed(trainsample.SpriteFile, spritePNG); err != nil {
		return err
	}
	if trainer.Sample.Index, err = b.writeHashed(trainsample.IndexFile, indexJSON); err != nil {
		return err
	}

	manifest.Trainer = trainer
	info.Trainer = &TrainerInfo{
		WasmBytes:      int64(len(wasm)),
		WasmGzipBytes:  gzipSize(wasm),
		SampleBytes:    int64(len(spritePNG) + len(indexJSON)),
		ImagesPerClass: index.PerClass,
	}
	return nil
}
