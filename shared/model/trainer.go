package model

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Optimizer defaults of the Keras reference: AdamW with Keras' default decay.
const (
	DefaultLearningRate = 1e-3
	DefaultWeightDecay  = 0.004
)

// TrainOptions configure a Trainer's optimizer and random state.
type TrainOptions struct {
	LearningRate float64 // initial AdamW learning rate
	WeightDecay  float64 // decoupled AdamW weight decay
	Seed         int64   // seeds initialization and dropout; 0 picks one from the clock
}

// DefaultTrainOptions returns the reference recipe's optimizer settings.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{LearningRate: DefaultLearningRate, WeightDecay: DefaultWeightDecay, Seed: 1}
}

// Metrics are the losses (cross-entropy, mean over the batch) and accuracies
// of one batch. Loss is LossA + LossB, what the optimizer minimizes.
type Metrics struct {
	Loss      float64 `json:"loss"`
	LossA     float64 `json:"loss_a"`
	LossB     float64 `json:"loss_b"`
	AccuracyA float64 `json:"accuracy_a"`
	AccuracyB float64 `json:"accuracy_b"`
}

// Trainer trains one model with AdamW on mixture batches. It is safe for
// concurrent use, but steps run one at a time.
type Trainer struct {
	backend   backends.Backend
	cfg       Config
	opts      Options
	ctx       *context.Context
	trainExec *context.Exec
	evalExec  *context.Exec
	// calibrationExecs are built on first use by RecalibrateBatchNorm, one per phase.
	calibrationExecs [2]*context.Exec
	mu               sync.Mutex
}

// NewTrainer returns a Trainer for a freshly initialized model of cfg.
func NewTrainer(backend backends.Backend, cfg Config, topts TrainOptions) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.New()
	if topts.Seed != 0 {
		ctx.SetParam(context.ParamInitialSeed, topts.Seed)
		if err := ctx.SetRNGStateFromSeed(topts.Seed); err != nil {
			return nil, fmt.Errorf("model: seeding: %w", err)
		}
	}
	return newTrainer(backend, cfg, ctx, topts)
}

// ResumeTrainer returns a Trainer that continues from a checkpoint written
// by Trainer.Checkpoint: weights, optimizer state, step and learning rate.
func ResumeTrainer(backend backends.Backend, checkpoint *WeightsFile, topts TrainOptions) (*Trainer, error) {
	ctx := context.New()
	if err := checkpoint.LoadInto(ctx); err != nil {
		return nil, err
	}
	topts.LearningRate = 0 // keep the checkpoint's learning rate
	return newTrainer(backend, checkpoint.Config, ctx, topts)
}

func newTrainer(backend backends.Backend, cfg Config, ctx *context.Context, topts TrainOptions) (*Trainer, error) {
	lrVar := optimizers.LearningRateVar(ctx, dtypes.Float32, topts.LearningRate)
	if topts.LearningRate > 0 {
		lrVar.MustSetValue(tensors.FromScalar(float32(topts.LearningRate)))
	}
	t := &Trainer{backend: backend, cfg: cfg, opts: OptionsFor(backend), ctx: ctx}
	optimizer := optimizers.Adam().WeightDecay(topts.WeightDecay).Done()

	var err error
	t.trainExec, err = context.NewExec(backend, ctx, func(ctx *context.Context, images, labelsA, labelsB *graph.Node) []*graph.Node {
		g := images.Graph()
		ctx.SetTraining(g, true)
		outputs := t.metricsGraph(ctx, images, labelsA, labelsB)
		optimizer.UpdateGraph(ctx, g, outputs[0])
		return outputs
	})
	if err != nil {
		return nil, fmt.Errorf("model: preparing training graph: %w", err)
	}
	t.evalExec, err = context.NewExec(backend, ctx, func(ctx *context.Context, images, labelsA, labelsB *graph.Node) []*graph.Node {
		ctx.SetTraining(images.Graph(), false)
		return t.metricsGraph(ctx, images, labelsA, labelsB)
	})
	if err != nil {
		return nil, fmt.Errorf("model: preparing evaluation graph: %w", err)
	}
	return t, nil
}

// metricsGraph returns loss, lossA, lossB, accuracyA, accuracyB as scalars.
func (t *Trainer) metricsGraph(ctx *context.Context, images, labelsA, labelsB *graph.Node) []*graph.Node {
	// The training and evaluation graphs share variables: whichever is
	// built first creates them.
	logitsA, logitsB := Logits(ctx.Checked(false).In("model"), t.cfg, t.opts, images)
	lossA := headLoss(labelsA, logitsA)
	lossB := headLoss(labelsB, logitsB)
	return []*graph.Node{graph.Add(lossA, lossB), lossA, lossB, headAccuracy(labelsA, logitsA), headAccuracy(labelsB, logitsB)}
}

func headLoss(labels, logits *graph.Node) *graph.Node {
	sparse := graph.Reshape(labels, -1, 1)
	return graph.ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*graph.Node{sparse}, []*graph.Node{logits}))
}

func headAccuracy(labels, logits *graph.Node) *graph.Node {
	predicted := graph.ArgMax(logits, -1, dtypes.Int32)
	return graph.ReduceAllMean(graph.ConvertDType(graph.Equal(predicted, labels), dtypes.Float32))
}

// Config returns the model Config being trained.
func (t *Trainer) Config() Config { return t.cfg }

// Backend returns the backend the Trainer runs on.
func (t *Trainer) Backend() backends.Backend { return t.backend }

// Step runs one AdamW step on n images with their labels (0-4 per head) and
// returns the batch's metrics before the update.
func (t *Trainer) Step(images []float32, labelsA, labelsB []int32, n int) (Metrics, error) {
	return t.run(t.trainExec, images, labelsA, labelsB, n)
}

// Evaluate returns the metrics of n images in inference mode (no dropout,
// moving batch-norm statistics), without changing the model.
func (t *Trainer) Evaluate(images []float32, labelsA, labelsB []int32, n int) (Metrics, error) {
	return t.run(t.evalExec, images, labelsA, labelsB, n)
}

func (t *Trainer) run(exec *context.Exec, images []float32, labelsA, labelsB []int32, n int) (Metrics, error) {
	input, err := imagesTensor(images, n)
	if err != nil {
		return Metrics{}, err
	}
	if len(labelsA) != n || len(labelsB) != n {
		return Metrics{}, fmt.Errorf("model: got %d and %d labels for %d images: pass one label per image and head", len(labelsA), len(labelsB), n)
	}
	for i := range n {
		if labelsA[i] < 0 || labelsA[i] >= NumClasses || labelsB[i] < 0 || labelsB[i] >= NumClasses {
			return Metrics{}, fmt.Errorf("model: image %d has labels %d and %d: labels are class indices 0-4 within each group", i, labelsA[i], labelsB[i])
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	outputs, err := execSafely(exec, input, tensors.FromValue(labelsA), tensors.FromValue(labelsB))
	if err != nil {
		return Metrics{}, fmt.Errorf("model: %w", err)
	}
	values := make([]float64, len(outputs))
	for i, output := range outputs {
		values[i] = float64(tensors.ToScalar[float32](output))
	}
	return Metrics{Loss: values[0], LossA: values[1], LossB: values[2], AccuracyA: values[3], AccuracyB: values[4]}, nil
}

// LearningRate returns the current learning rate.
func (t *Trainer) LearningRate() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return float64(tensors.ToScalar[float32](optimizers.LearningRateVar(t.ctx, dtypes.Float32, 0).MustValue()))
}

// SetLearningRate changes the learning rate for the following steps.
func (t *Trainer) SetLearningRate(lr float64) error {
	if lr <= 0 {
		return fmt.Errorf("model: learning rate %g: use a positive value", lr)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return optimizers.LearningRateVar(t.ctx, dtypes.Float32, lr).SetValue(tensors.FromScalar(float32(lr)))
}

// GlobalStep returns the number of optimizer steps taken, checkpoints included.
func (t *Trainer) GlobalStep() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return optimizers.GetGlobalStep(t.ctx)
}

// Checkpoint returns every variable (weights, optimizer state, step, random
// state) with the caller's state, for ResumeTrainer.
func (t *Trainer) Checkpoint(state json.RawMessage) (*WeightsFile, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	file, err := WeightsFromContext(t.ctx, t.cfg, false)
	if err != nil {
		return nil, err
	}
	file.State = state
	return file, nil
}

// Weights returns the network's variables only: the file the browser and
// `unmix predict` load.
func (t *Trainer) Weights() (*WeightsFile, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return WeightsFromContext(t.ctx, t.cfg, true)
}

// LoadWeights replaces the network's variables with those of file, for
// fine-tuning; the optimizer state is kept. The file must hold the same Config.
func (t *Trainer) LoadWeights(file *WeightsFile) error {
	if err := file.CheckMatches(t.cfg); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return file.LoadInto(t.ctx)
}
