package main

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/unmix/unmix/shared/model"
)

// calibrationBatches and calibrationBatch size the recomputation of the
// batch-normalization averages: two passes over this many mixtures.
const (
	calibrationBatches = 2
	calibrationBatch   = 64
)

// calibrator keeps a copy of the network whose batch-normalization
// averages are recomputed from the current weights.
//
// The model keeps exponential moving averages (momentum 0.99) of each batch
// normalization's mean and variance for inference. They trail the weights
// by a few hundred steps, which is longer than most browser runs. In a run
// of a three-block network (8, 16 and 32 filters, batch 32) on the training
// sample, inference-mode validation accuracy was 17% (head A) and 27% (head
// B) after 4000 images, while training batches scored 29% and 39%.
// Recomputing the averages at the current weights, as GoMLX's
// batchnorm.UpdateAverages does, gave 40% and 42%.
type calibrator struct {
	cfg    model.Config
	ctx    *context.Context
	update *context.Exec // phase 0 or 1 pass that updates the averages
	logits *context.Exec // inference mode, as model.Predictor runs
}

// newCalibrator prepares a copy of the network of file. The graphs reuse
// the variables that file creates, so file must hold every variable.
func newCalibrator(backend backends.Backend, file *model.WeightsFile) (*calibrator, error) {
	ctx := context.New()
	if err := file.LoadInto(ctx); err != nil {
		return nil, err
	}
	c := &calibrator{cfg: file.Config, ctx: ctx.Reuse()}
	opts := model.OptionsFor(backend)
	var err error
	c.update, err = context.NewExec(backend, c.ctx, func(ctx *context.Context, images, phase *graph.Node) *graph.Node {
		// phase is an input only so that each phase gets its own graph.
		g := images.Graph()
		ctx.SetTraining(g, false)
		ctx.SetGraphParam(g, train.BatchNormalizationUpdatePhase, phaseOf(phase))
		a, b := model.Logits(ctx.In("model"), c.cfg, opts, images)
		return graph.Add(graph.ReduceAllSum(a), graph.ReduceAllSum(b))
	})
	if err != nil {
		return nil, fmt.Errorf("preparing the calibration graph: %w", err)
	}
	c.logits, err = context.NewExec(backend, c.ctx, func(ctx *context.Context, images *graph.Node) []*graph.Node {
		ctx.SetTraining(images.Graph(), false)
		a, b := model.Logits(ctx.In("model"), c.cfg, opts, images)
		return []*graph.Node{a, b}
	})
	if err != nil {
		return nil, fmt.Errorf("preparing the inference graph: %w", err)
	}
	return c, nil
}

// phaseOf reads the phase from the shape of the phase input: a [1] tensor
// is phase 0, [2] is phase 1.
func phaseOf(phase *graph.Node) int {
	return phase.Shape().Dimensions[0] - 1
}

// calibrate copies the weights of file and recomputes the averages over
// batches of images ([n, 32, 32, 3] each): a first pass normalizes with the
// batch statistics, a second with the averages of the first, as
// batchnorm.UpdateAverages does.
func (c *calibrator) calibrate(file *model.WeightsFile, batches [][]float32) error {
	if err := file.LoadInto(c.ctx); err != nil {
		return err
	}
	if err := batchnorm.ResetWeights(c.ctx); err != nil {
		return fmt.Errorf("resetting the batch-normalization averages: %w", err)
	}
	for phase := range 2 {
		for _, images := range batches {
			n := len(images) / model.ImageFloats
			input := tensors.FromFlatDataAndDimensions(images, n, model.ImageSize, model.ImageSize, model.ImageChannels)
			if _, err := execSafely(c.update, input, make([]float32, phase+1)); err != nil {
				return fmt.Errorf("recomputing the batch-normalization averages: %w", err)
			}
		}
	}
	return nil
}

// metrics scores n images in inference mode with the calibrated averages.
func (c *calibrator) metrics(images []float32, labelsA, labelsB []int32) (model.Metrics, error) {
	n := len(labelsA)
	input := tensors.FromFlatDataAndDimensions(images, n, model.ImageSize, model.ImageSize, model.ImageChannels)
	outputs, err := execSafely(c.logits, input)
	if err != nil {
		return model.Metrics{}, err
	}
	lossA, accA := crossEntropy(tensors.MustCopyFlatData[float32](outputs[0]), labelsA)
	lossB, accB := crossEntropy(tensors.MustCopyFlatData[float32](outputs[1]), labelsB)
	return model.Metrics{Loss: lossA + lossB, LossA: lossA, LossB: lossB, AccuracyA: accA, AccuracyB: accB}, nil
}

// predictLabels returns the most likely class of each head for n images.
func (c *calibrator) predictLabels(images []float32, n int) ([]int32, []int32, error) {
	input := tensors.FromFlatDataAndDimensions(images, n, model.ImageSize, model.ImageSize, model.ImageChannels)
	outputs, err := execSafely(c.logits, input)
	if err != nil {
		return nil, nil, err
	}
	return model.ArgMaxRows(tensors.MustCopyFlatData[float32](outputs[0]), model.NumClasses),
		model.ArgMaxRows(tensors.MustCopyFlatData[float32](outputs[1]), model.NumClasses), nil
}

// weights returns the calibrated network's variables.
func (c *calibrator) weights() (*model.WeightsFile, error) {
	return model.WeightsFromContext(c.ctx, c.cfg, true)
}

// crossEntropy returns the mean cross-entropy and the accuracy of rows of
// logits against labels, as the trainer's loss computes them.
func crossEntropy(logits []float32, labels []int32) (loss, accuracy float64) {
	for i, label := range labels {
		row := logits[i*model.NumClasses : (i+1)*model.NumClasses]
		best, maxLogit := 0, float64(row[0])
		for j, v := range row {
			if float64(v) > maxLogit {
				best, maxLogit = j, float64(v)
			}
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - maxLogit)
		}
		loss += maxLogit + math.Log(sum) - float64(row[label])
		if int32(best) == label {
			accuracy++
		}
	}
	n := float64(len(labels))
	return loss / n, accuracy / n
}

// execSafely runs exec and turns a panic raised while building or running
// the graph, which is how GoMLX reports errors, into an error.
func execSafely(exec *context.Exec, args ...any) (outputs []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return exec.Exec(args...)
}
