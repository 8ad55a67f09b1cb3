package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/default" // registers xla (cgo builds) and simplego
	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// presets are benchmarked smallest first, so a slow machine reports the
// cheap cases before the reference preset.
var presets = []string{"tiny", "slim", "reference"}

// predictBatches are the inference batch sizes: one image, as in the demo,
// and model.MaxPredictBatch, the largest batch one Predict call runs.
var predictBatches = []int{1, model.MaxPredictBatch}

// backendCase is a compute backend to benchmark and its training batch size.
type backendCase struct {
	name       string // sub-benchmark name
	trainBatch int
	open       func() (backends.Backend, error)
}

// allBackends lists the backends in the order they are benchmarked. XLA
// trains with the reference recipe's batch of 256. simplego trains with 32,
// which keeps a reference step short enough to time a few of them.
var allBackends = []backendCase{
	{"xla-cpu", 256, func() (backends.Backend, error) { return backends.NewWithConfig("xla:cpu") }},
	{"go", 32, model.NewSimpleGoBackend},
}

var available struct {
	once     sync.Once
	backends []backendCase
}

// availableBackends returns the backends that start on this machine,
// logging why any other is left out.
func availableBackends(b *testing.B) []backendCase {
	available.once.Do(func() {
		// Without this, GoMLX downloads a PJRT plugin when it finds none.
		if os.Getenv("GOMLX_NO_AUTO_INSTALL") == "" {
			os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
		}
		for _, bc := range allBackends {
			backend, err := bc.open()
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: skipping backend %s: %v\n", bc.name, err)
				continue
			}
			backend.Finalize()
			available.backends = append(available.backends, bc)
		}
	})
	if len(available.backends) == 0 {
		b.Fatal("no backend starts on this machine")
	}
	return available.backends
}

// openBackend starts a fresh backend for one benchmark and finalizes it
// when the benchmark ends, so no benchmark holds another's device memory.
func openBackend(b *testing.B, bc backendCase) backends.Backend {
	b.Helper()
	backend, err := bc.open()
	if err != nil {
		b.Fatalf("backend %s: %v", bc.name, err)
	}
	b.Cleanup(backend.Finalize)
	return backend
}

// newTrainer returns a Trainer for a freshly initialized model of preset.
func newTrainer(b *testing.B, backend backends.Backend, preset string) *model.Trainer {
	b.Helper()
	cfg, err := model.Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	trainer, err := model.NewTrainer(backend, cfg, model.DefaultTrainOptions())
	if err != nil {
		b.Fatal(err)
	}
	return trainer
}

// randomMixtures returns n mixtures of random-pixel images with labels 0-4,
// drawn by the same generator that training uses.
func randomMixtures(b *testing.B, n int) (images []float32, labelsA, labelsB []int32) {
	b.Helper()
	const imagesPerGroup = 64
	rng := rand.New(rand.NewPCG(1, 2))
	group := func() *cifar.Dataset {
		d := &cifar.Dataset{Images: make([]byte, imagesPerGroup*cifar.ImageBytes), Labels: make([]uint8, imagesPerGroup)}
		for i := range d.Images {
			d.Images[i] = byte(rng.IntN(256))
		}
		for i := range d.Labels {
			d.Labels[i] = uint8(i % cifar.GroupSize)
		}
		return d
	}
	generator, err := mixture.NewGenerator(group(), group(), 3)
	if err != nil {
		b.Fatal(err)
	}
	images, labelsA, labelsB = generator.Batch(n)
	return images, labelsA, labelsB
}

// reportImagesPerSecond reports the images per second of the timed loop,
// where each iteration handles batch images.
func reportImagesPerSecond(b *testing.B, batch int) {
	if seconds := b.Elapsed().Seconds(); seconds > 0 {
		b.ReportMetric(float64(b.N*batch)/seconds, "images/s")
	}
}

// BenchmarkTrain measures Trainer.Step: one AdamW step on a batch of
// mixtures, forward and backward pass included. The first step compiles the
// graph and is not timed.
func BenchmarkTrain(b *testing.B) {
	for _, bc := range availableBackends(b) {
		for _, preset := range presets {
			b.Run(fmt.Sprintf("%s/%s/batch=%d", bc.name, preset, bc.trainBatch), func(b *testing.B) {
				startPeakMemory(b)
				backend := openBackend(b, bc)
				trainer := newTrainer(b, backend, preset)
				images, labelsA, labelsB := randomMixtures(b, bc.trainBatch)
				if _, err := trainer.Step(images, labelsA, labelsB, bc.trainBatch); err != nil {
					b.Fatalf("first step, which compiles the graph: %v", err)
				}

				for b.Loop() {
					if _, err := trainer.Step(images, labelsA, labelsB, bc.trainBatch); err != nil {
						b.Fatal(err)
					}
				}

				reportImagesPerSecond(b, bc.trainBatch)
				reportPeakMemory(b)
			})
		}
	}
}

// BenchmarkPredict measures Predictor.Predict, the inference path of
// `unmix predict` and `unmix eval`, with the weights of a freshly
// initialized model. Each batch size is compiled once before timing.
func BenchmarkPredict(b *testing.B) {
	for _, bc := range availableBackends(b) {
		for _, preset := range presets {
			b.Run(bc.name+"/"+preset, func(b *testing.B) {
				backend := openBackend(b, bc)
				predictor := newPredictor(b, backend, preset)
				for _, batch := range predictBatches {
					b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
						startPeakMemory(b)
						images, _, _ := randomMixtures(b, batch)
						if _, _, err := predictor.Predict(images, batch); err != nil {
							b.Fatalf("first batch of %d, which compiles the graph: %v", batch, err)
						}

						for b.Loop() {
							if _, _, err := predictor.Predict(images, batch); err != nil {
								b.Fatal(err)
							}
						}

						reportImagesPerSecond(b, batch)
						reportPeakMemory(b)
					})
				}
			})
		}
	}
}

// newPredictor returns a Predictor for the weights of a freshly initialized
// model of preset. A Trainer creates its variables when it first builds a
// graph, so one evaluation of a single image comes first.
func newPredictor(b *testing.B, backend backends.Backend, preset string) *model.Predictor {
	b.Helper()
	trainer := newTrainer(b, backend, preset)
	images, labelsA, labelsB := randomMixtures(b, 1)
	if _, err := trainer.Evaluate(images, labelsA, labelsB, 1); err != nil {
		b.Fatalf("initializing %s: %v", preset, err)
	}
	weights, err := trainer.Weights()
	if err != nil {
		b.Fatal(err)
	}
	predictor, err := model.NewPredictor(backend, weights)
	if err != nil {
		b.Fatal(err)
	}
	return predictor
}
