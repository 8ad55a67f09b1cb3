package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// RecalibrateBatchNorm recomputes every batch-norm moving mean and variance
// from n images, as the inference graph computes them (no dropout), in batches of batch.
//
// During training the moving averages trail the weights by about 100 steps
// (momentum 0.99) and are measured with dropout on, so early in a run the
// inference-mode network can score at chance while the training loss falls.
// Like GoMLX's batchnorm.UpdateAverages, it makes two passes: the first
// normalizes with batch statistics while averaging them, the second with the
// fresh averages, so each layer gets its inputs as inference produces them.
func (t *Trainer) RecalibrateBatchNorm(images []float32, n, batch int) error {
	if _, err := imagesTensor(images, n); err != nil {
		return err
	}
	if batch <= 0 || batch > n {
		return fmt.Errorf("model: calibration batch %d for %d images: use 1 to %d", batch, n, n)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := batchnorm.ResetWeights(t.ctx); err != nil {
		return fmt.Errorf("model: resetting batch-norm averages: %w", err)
	}
	for phase := range 2 {
		exec, err := t.calibrationExec(phase)
		if err != nil {
			return err
		}
		for start := 0; start+batch <= n; start += batch {
			input, _ := imagesTensor(images[start*ImageFloats:(start+batch)*ImageFloats], batch)
			if _, err := execSafely(exec, input); err != nil {
				return fmt.Errorf("model: batch-norm calibration: %w", err)
			}
		}
	}
	return nil
}

func (t *Trainer) calibrationExec(phase int) (*context.Exec, error) {
	if t.calibrationExecs[phase] != nil {
		return t.calibrationExecs[phase], nil
	}
	exec, err := context.NewExec(t.backend, t.ctx, func(ctx *context.Context, images *graph.Node) *graph.Node {
		g := images.Graph()
		ctx.SetTraining(g, false)
		ctx.SetGraphParam(g, train.BatchNormalizationUpdatePhase, phase)
		logitsA, logitsB := Logits(ctx.Checked(false).In("model"), t.cfg, t.opts, images)
		return graph.Add(graph.ReduceAllSum(logitsA), graph.ReduceAllSum(logitsB))
	})
	if err != nil {
		return nil, fmt.Errorf("model: preparing batch-norm calibration: %w", err)
	}
	t.calibrationExecs[phase] = exec
	return exec, nil
}
