package model

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// MaxPredictBatch is the largest batch one Predict call sends to the
// backend; larger requests run in chunks.
const MaxPredictBatch = 256

// Predictor runs a trained model for inference. It is safe for concurrent use.
type Predictor struct {
	cfg  Config
	ctx  *context.Context
	exec *context.Exec
	mu   sync.Mutex
}

// LoadPredictor decodes a weights file held in memory and prepares the model
// it describes on backend.
func LoadPredictor(backend backends.Backend, weights []byte) (*Predictor, error) {
	file, err := DecodeWeights(weights)
	if err != nil {
		return nil, err
	}
	return NewPredictor(backend, file)
}

// NewPredictor prepares the model of a decoded weights file on backend.
func NewPredictor(backend backends.Backend, file *WeightsFile) (*Predictor, error) {
	ctx := context.New()
	if err := file.LoadInto(ctx); err != nil {
		return nil, err
	}
	return newPredictorFromContext(backend, ctx.Reuse(), file.Config)
}

func newPredictorFromContext(backend backends.Backend, ctx *context.Context, cfg Config) (*Predictor, error) {
	opts := OptionsFor(backend)
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, images *graph.Node) (probsA, probsB *graph.Node) {
		ctx.SetTraining(images.Graph(), false)
		logitsA, logitsB := Logits(ctx.In("model"), cfg, opts, images)
		return Probabilities(logitsA, logitsB)
	})
	if err != nil {
		return nil, fmt.Errorf("model: preparing preset %q: %w", cfg.Preset, err)
	}
	p := &Predictor{cfg: cfg, ctx: ctx, exec: exec}
	// Build once on one image, so a weights file that lacks a variable or
	// holds one with another shape fails here, naming the variable.
	if _, _, err := p.Predict(make([]float32, ImageFloats), 1); err != nil {
		return nil, fmt.Errorf("model: weights do not fit preset %q: %w", cfg.Preset, err)
	}
	return p, nil
}

// Preset returns the name of the preset the weights were trained with.
func (p *Predictor) Preset() string { return p.cfg.Preset }

// Config returns the model Config of the weights.
func (p *Predictor) Config() Config { return p.cfg }

// Predict returns both heads' softmax probabilities for n images. images
// holds n*32*32*3 floats, channels-last, values in [0, 1]; probsA and probsB
// hold n*5 values, image by image.
func (p *Predictor) Predict(images []float32, n int) (probsA, probsB []float32, err error) {
	if _, err := imagesTensor(images, n); err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()

	probsA = make([]float32, 0, n*NumClasses)
	probsB = make([]float32, 0, n*NumClasses)
	for start := 0; start < n; start += MaxPredictBatch {
		count := min(MaxPredictBatch, n-start)
		// Pad the chunk to a power of two, so at most log2(256)+1 graphs are
		// ever compiled. Inference batch norm is per image, so padding
		// changes no result.
		padded := 1
		for padded < count {
			padded *= 2
		}
		chunk := make([]float32, padded*ImageFloats)
		copy(chunk, images[start*ImageFloats:(start+count)*ImageFloats])
		input, _ := imagesTensor(chunk, padded)
		outputs, err := execSafely(p.exec, input)
		if err != nil {
			return nil, nil, fmt.Errorf("model: predicting: %w", err)
		}
		probsA = append(probsA, tensors.MustCopyFlatData[float32](outputs[0])[:count*NumClasses]...)
		probsB = append(probsB, tensors.MustCopyFlatData[float32](outputs[1])[:count*NumClasses]...)
	}
	return probsA, probsB, nil
}

// PredictLabels returns the most likely class of each head for n images.
func (p *Predictor) PredictLabels(images []float32, n int) (labelsA, labelsB []int32, err error) {
	probsA, probsB, err := p.Predict(images, n)
	if err != nil {
		return nil, nil, err
	}
	return ArgMaxRows(probsA, NumClasses), ArgMaxRows(probsB, NumClasses), nil
}

// ArgMaxRows returns the index of the largest value of each row of width columns.
func ArgMaxRows(values []float32, width int) []int32 {
	labels := make([]int32, len(values)/width)
	for i := range labels {
		row := values[i*width : (i+1)*width]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		labels[i] = int32(best)
	}
	return labels
}
