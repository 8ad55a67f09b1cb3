package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/schollz/progressbar/v3"
	"github.com/unmix/unmix/native/internal/plot"
	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// Files a training run writes into its output folder.
const (
	checkpointFile = "checkpoint.unmixw" // every variable and the run state, rewritten each epoch
	bestFile       = "best.unmixw"       // weights of the epoch with the lowest validation loss
	weightsFile    = "weights.unmixw"    // final weights (the best epoch's when restoring)
	historyJSON    = "history.json"
	historyPNG     = "history.png"
	summaryJSON    = "train.json" // run summary: backend, machine, command, time, speed
)

// TrainSummary is the content of train.json, written when a run ends.
type TrainSummary struct {
	Preset          string      `json:"preset"`
	Recipe          trainConfig `json:"recipe"`
	Backend         string      `json:"backend"`
	Device          string      `json:"device"`
	Machine         string      `json:"machine"`
	Command         string      `json:"command"`
	EpochsDone      int         `json:"epochs_done"`
	BestEpoch       int         `json:"best_epoch"`
	BestValLoss     float64     `json:"best_val_loss"`
	Images          int64       `json:"mixtures_seen"`
	TrainSeconds    float64     `json:"train_seconds"`
	WallSeconds     float64     `json:"wall_seconds"`
	ImagesPerSecond float64     `json:"mixtures_per_second"`
	Stopped         string      `json:"stopped"`
	Date            string      `json:"date"`
}

// trainConfig holds the recipe; the defaults are the Keras reference notebook's.
type trainConfig struct {
	Preset         string        `json:"preset"`
	DataDir        string        `json:"-"`
	OutDir         string        `json:"-"`
	Backend        string        `json:"-"`
	LearningRate   float64       `json:"learning_rate"`
	WeightDecay    float64       `json:"weight_decay"`
	BatchSize      int           `json:"batch_size"`
	StepsPerEpoch  int           `json:"steps_per_epoch"`
	Epochs         int           `json:"epochs"`
	Patience       int           `json:"patience"`
	RestoreBest    bool          `json:"restore_best"`
	LRFactor       float64       `json:"lr_factor"`
	LRPatience     int           `json:"lr_patience"`
	MinLR          float64       `json:"min_lr"`
	ValFraction    float64       `json:"val_fraction"`
	ValMixtures    int           `json:"val_mixtures"`
	Calibration    int           `json:"bn_calibration_mixtures"`
	MaxTime        time.Duration `json:"-"`
	Seed           int64         `json:"seed"`
	Resume         bool          `json:"-"`
	NoProgress     bool          `json:"-"`
	Args           []string      `json:"-"`
	minImprovement float64
}

// runState is the run state a checkpoint stores besides the variables, so
// a killed run resumes at the start of the epoch it was in.
type runState struct {
	Recipe        trainConfig  `json:"recipe"`
	EpochsDone    int          `json:"epochs_done"`
	BestValLoss   float64      `json:"best_val_loss"`
	BestEpoch     int          `json:"best_epoch"`
	EpochsNoBest  int          `json:"epochs_without_improvement"`
	EpochsNoLRCut int          `json:"epochs_without_lr_improvement"`
	LRBestLoss    float64      `json:"lr_best_loss"`
	TrainSeconds  float64      `json:"train_seconds"`
	WallSeconds   float64      `json:"wall_seconds"`
	Images        int64        `json:"images"`
	History       plot.History `json:"history"`
	Stopped       string       `json:"stopped,omitempty"`
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := trainConfig{minImprovement: 1e-4}
	fs := newFlagSet("train", "train [flags]", stderr)
	fs.StringVar(&cfg.Preset, "preset", "reference", "model preset: "+fmt.Sprint(model.PresetNames()))
	fs.StringVar(&cfg.DataDir, "data-dir", defaultDataDir(), "folder with the CIFAR-10 binary files (data_batch_1.bin ...)")
	fs.StringVar(&cfg.OutDir, "out", "", `output folder for checkpoints, weights and history (default "runs/<preset>")`)
	fs.StringVar(&cfg.Backend, "backend", "auto", backendHelp)
	fs.Float64Var(&cfg.LearningRate, "lr", model.DefaultLearningRate, "initial AdamW learning rate")
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", model.DefaultWeightDecay, "AdamW decoupled weight decay")
	fs.IntVar(&cfg.BatchSize, "batch", 256, "mixtures per training step")
	fs.IntVar(&cfg.StepsPerEpoch, "steps-per-epoch", 1300, "training steps per epoch")
	fs.IntVar(&cfg.Epochs, "epochs", 100, "maximum number of epochs")
	fs.IntVar(&cfg.Patience, "patience", 10, "early stopping: epochs without a lower validation loss before stopping")
	fs.BoolVar(&cfg.RestoreBest, "restore-best", true, "write the best epoch's weights as the final weights")
	fs.Float64Var(&cfg.LRFactor, "lr-factor", 0.7, "reduce-LR-on-plateau: factor applied to the learning rate")
	fs.IntVar(&cfg.LRPatience, "lr-patience", 3, "reduce-LR-on-plateau: epochs without a lower validation loss before reducing")
	fs.Float64Var(&cfg.MinLR, "min-lr", 1e-4, "reduce-LR-on-plateau: lowest learning rate")
	fs.Float64Var(&cfg.ValFraction, "val-fraction", 0.1, "fraction of each group's training images held out for validation")
	fs.IntVar(&cfg.ValMixtures, "val-mixtures", 5000, "validation mixtures scored after each epoch (a fixed set)")
	fs.IntVar(&cfg.Calibration, "bn-calibration", 1024, "training mixtures over which batch-norm averages are recomputed before each validation (0 = off)")
	fs.DurationVar(&cfg.MaxTime, "max-time", 0, "wall-clock bound, e.g. 45m: the epoch in progress ends early and the run stops (0 = none)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed for initialization, dropout, the split and the mixtures")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue the run in --out from its last checkpoint")
	fs.BoolVar(&cfg.NoProgress, "no-progress", false, "hide the progress bar")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if cfg.OutDir == "" {
		cfg.OutDir = filepath.Join("runs", cfg.Preset)
	}
	cfg.Args = args
	if cfg.Resume {
		if err := restoreRecipe(&cfg, fs); err != nil {
			return err
		}
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	return train(ctx, cfg, stdout, stderr)
}

// recipeFlags copies each recipe flag's value from one trainConfig to another.
var recipeFlags = map[string]func(dst *trainConfig, src trainConfig){
	"preset":          func(dst *trainConfig, src trainConfig) { dst.Preset = src.Preset },
	"weight-decay":    func(dst *trainConfig, src trainConfig) { dst.WeightDecay = src.WeightDecay },
	"batch":           func(dst *trainConfig, src trainConfig) { dst.BatchSize = src.BatchSize },
	"steps-per-epoch": func(dst *trainConfig, src trainConfig) { dst.StepsPerEpoch = src.StepsPerEpoch },
	"epochs":          func(dst *trainConfig, src trainConfig) { dst.Epochs = src.Epochs },
	"patience":        func(dst *trainConfig, src trainConfig) { dst.Patience = src.Patience },
	"restore-best":    func(dst *trainConfig, src trainConfig) { dst.RestoreBest = src.RestoreBest },
	"lr-factor":       func(dst *trainConfig, src trainConfig) { dst.LRFactor = src.LRFactor },
	"lr-patience":     func(dst *trainConfig, src trainConfig) { dst.LRPatience = src.LRPatience },
	"min-lr":          func(dst *trainConfig, src trainConfig) { dst.MinLR = src.MinLR },
	"val-fraction":    func(dst *trainConfig, src trainConfig) { dst.ValFraction = src.ValFraction },
	"val-mixtures":    func(dst *trainConfig, src trainConfig) { dst.ValMixtures = src.ValMixtures },
	"bn-calibration":  func(dst *trainConfig, src trainConfig) { dst.Calibration = src.Calibration },
	"seed":            func(dst *trainConfig, src trainConfig) { dst.Seed = src.Seed },
}

// restoreRecipe takes every recipe flag that the command line does not set
// from the checkpoint being resumed, so `--resume --out DIR` continues the
// run as it was started. The learning rate always comes from the checkpoint.
func restoreRecipe(cfg *trainConfig, fs *flag.FlagSet) error {
	path := filepath.Join(cfg.OutDir, checkpointFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: --resume: %w: start a new run without --resume", err)
	}
	checkpoint, err := model.DecodeWeights(data)
	if err != nil {
		return fmt.Errorf("train: --resume: %s: %w", path, err)
	}
	var state runState
	if err := json.Unmarshal(checkpoint.State, &state); err != nil {
		return fmt.Errorf("train: --resume: %s has no valid run state: %w", path, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, copyFlag := range recipeFlags {
		if !set[name] {
			copyFlag(cfg, state.Recipe)
		}
	}
	return nil
}

func (cfg trainConfig) validate() error {
	switch {
	case cfg.BatchSize <= 0:
		return fmt.Errorf("train: --batch %d: use a positive batch size", cfg.BatchSize)
	case cfg.StepsPerEpoch <= 0:
		return fmt.Errorf("train: --steps-per-epoch %d: use a positive count", cfg.StepsPerEpoch)
	case cfg.Epochs <= 0:
		return fmt.Errorf("train: --epochs %d: use a positive count", cfg.Epochs)
	case cfg.LearningRate <= 0:
		return fmt.Errorf("train: --lr %g: use a positive learning rate", cfg.LearningRate)
	case cfg.LRFactor <= 0 || cfg.LRFactor >= 1:
		return fmt.Errorf("train: --lr-factor %g: use a factor in (0, 1)", cfg.LRFactor)
	case cfg.ValFraction <= 0 || cfg.ValFraction >= 1:
		return fmt.Errorf("train: --val-fraction %g: use a fraction in (0, 1)", cfg.ValFraction)
	case cfg.ValMixtures <= 0:
		return fmt.Errorf("train: --val-mixtures %d: use a positive count", cfg.ValMixtures)
	case cfg.Calibration < 0:
		return fmt.Errorf("train: --bn-calibration %d: use 0 (off) or a positive count", cfg.Calibration)
	}
	_, err := model.Preset(cfg.Preset)
	return err
}

func train(ctx context.Context, cfg trainConfig, stdout, stderr io.Writer) error {
	logger := newLogger(stderr)
	start := time.Now()

	trainA, trainB, valA, valB, err := loadTrainingData(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	backend, err := openBackend(cfg.Backend, logger)
	if err != nil {
		return err
	}
	trainer, state, err := startOrResume(backend, cfg, logger)
	if err != nil {
		return err
	}
	valImages, valLabelsA, valLabelsB, err := validationSet(valA, valB, cfg.ValMixtures, cfg.Seed)
	if err != nil {
		return err
	}
	logger.Info("training", "preset", cfg.Preset, "train_images", trainA.Len()+trainB.Len(), "val_mixtures", cfg.ValMixtures,
		"batch", cfg.BatchSize, "steps_per_epoch", cfg.StepsPerEpoch, "epochs", cfg.Epochs, "start_epoch", state.EpochsDone+1,
		"max_time", cfg.MaxTime, "out", cfg.OutDir)

	for epoch := state.EpochsDone + 1; epoch <= cfg.Epochs; epoch++ {
		// One generator per epoch, seeded by the epoch, so a resumed run gets
		// the same mixtures as an uninterrupted one.
		generator, err := mixture.NewGenerator(trainA, trainB, cfg.Seed*1_000_003+int64(epoch))
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		epochStart := time.Now()
		record, timedOut, err := runEpoch(ctx, trainer, generator, cfg, epoch, start, stderr)
		if err != nil {
			return err
		}
		if record.Steps == 0 || ctx.Err() != nil {
			// Interrupted: the epoch in progress is dropped, so --resume
			// reruns it whole from the last checkpoint.
			break
		}
		if err := recalibrate(trainer, trainA, trainB, cfg, epoch); err != nil {
			return err
		}
		val, err := evaluateInBatches(trainer, valImages, valLabelsA, valLabelsB, cfg.BatchSize)
		if err != nil {
			return err
		}
		record.Epoch.ValLoss, record.Epoch.ValAccuracyA, record.Epoch.ValAccuracyB = val.Loss, val.AccuracyA, val.AccuracyB
		state.TrainSeconds += record.Seconds
		state.Images += int64(record.Steps * cfg.BatchSize)
		state.History.Epochs = append(state.History.Epochs, record.Epoch)
		state.EpochsDone = epoch

		improved := val.Loss < state.BestValLoss-cfg.minImprovement
		if improved {
			state.BestValLoss, state.BestEpoch, state.EpochsNoBest = val.Loss, epoch, 0
			if err := saveWeights(trainer, filepath.Join(cfg.OutDir, bestFile)); err != nil {
				return err
			}
		} else {
			state.EpochsNoBest++
		}
		if err := reduceOnPlateau(trainer, &state, cfg, val.Loss, logger); err != nil {
			return err
		}
		logger.Info("epoch", "epoch", epoch, "steps", record.Steps, "loss", round4(record.Epoch.TrainLoss),
			"val_loss", round4(val.Loss), "val_acc_a", round4(val.AccuracyA), "val_acc_b", round4(val.AccuracyB),
			"lr", record.Epoch.LearningRate, "images_per_s", round4(float64(record.Steps*cfg.BatchSize)/record.Seconds), "best", improved)

		state.WallSeconds += time.Since(epochStart).Seconds()
		stop := ""
		switch {
		case timedOut:
			stop = fmt.Sprintf("reached --max-time %s", cfg.MaxTime)
		case state.EpochsNoBest >= cfg.Patience:
			stop = fmt.Sprintf("early stopping: no lower validation loss for %d epochs", cfg.Patience)
		case ctx.Err() != nil:
			stop = "interrupted"
		}
		state.Stopped = stop
		if err := saveCheckpoint(trainer, state, cfg.OutDir); err != nil {
			return err
		}
		if err := writeHistory(cfg.OutDir, state.History); err != nil {
			return err
		}
		if stop != "" {
			logger.Info("stopping", "reason", stop)
			break
		}
	}
	if ctx.Err() != nil {
		// A checkpoint exists only once an epoch has ended, here or in the
		// run being resumed.
		if state.EpochsDone == 0 {
			return fmt.Errorf("train: interrupted before the first epoch ended, so no checkpoint was written: start the run again: %w", ctx.Err())
		}
		return fmt.Errorf("train: interrupted; epochs up to %d are saved: continue with --resume --out %s (the recipe flags are read from the checkpoint): %w",
			state.EpochsDone, cfg.OutDir, ctx.Err())
	}
	return finishRun(trainer, state, cfg, backend, stdout)
}

// epochResult is one epoch's training part; the caller adds validation.
type epochResult struct {
	Epoch   plot.Epoch
	Steps   int
	Seconds float64
}

// runEpoch trains up to cfg.StepsPerEpoch steps; it stops early, with
// timedOut set, when --max-time passes, and without error on cancellation.
func runEpoch(ctx context.Context, trainer *model.Trainer, generator *mixture.Generator, cfg trainConfig, epoch int,
	start time.Time, stderr io.Writer) (result *epochResult, timedOut bool, err error) {
	bar := newProgressBar(cfg, epoch, stderr)
	defer bar.Close()
	images := make([]float32, cfg.BatchSize*model.ImageFloats)
	labelsA := make([]int32, cfg.BatchSize)
	labelsB := make([]int32, cfg.BatchSize)
	var sum model.Metrics
	result = &epochResult{}
	lr := trainer.LearningRate()
	epochStart := time.Now()
	for step := 0; step < cfg.StepsPerEpoch; step++ {
		if ctx.Err() != nil {
			break
		}
		if cfg.MaxTime > 0 && time.Since(start) > cfg.MaxTime {
			timedOut = true
			break
		}
		if err := generator.Fill(images, labelsA, labelsB); err != nil {
			return nil, false, fmt.Errorf("train: %w", err)
		}
		m, err := trainer.Step(images, labelsA, labelsB, cfg.BatchSize)
		if err != nil {
			return nil, false, fmt.Errorf("train: epoch %d step %d: %w", epoch, step+1, err)
		}
		if math.IsNaN(m.Loss) || math.IsInf(m.Loss, 0) {
			return nil, false, fmt.Errorf("train: epoch %d step %d: loss is %g: lower --lr and resume from the last checkpoint", epoch, step+1, m.Loss)
		}
		sum.Loss += m.Loss
		sum.AccuracyA += m.AccuracyA
		sum.AccuracyB += m.AccuracyB
		result.Steps++
		bar.Describe(fmt.Sprintf("epoch %d loss %.3f acc %.3f/%.3f", epoch, sum.Loss/float64(result.Steps),
			sum.AccuracyA/float64(result.Steps), sum.AccuracyB/float64(result.Steps)))
		_ = bar.Add(1)
	}
	result.Seconds = time.Since(epochStart).Seconds()
	if result.Steps > 0 {
		n := float64(result.Steps)
		result.Epoch = plot.Epoch{Epoch: epoch, TrainLoss: sum.Loss / n, TrainAccuracyA: sum.AccuracyA / n,
			TrainAccuracyB: sum.AccuracyB / n, LearningRate: lr}
	}
	return result, timedOut, nil
}

func newProgressBar(cfg trainConfig, epoch int, stderr io.Writer) *progressbar.ProgressBar {
	out := stderr
	if cfg.NoProgress {
		out = io.Discard
	}
	return progressbar.NewOptions(cfg.StepsPerEpoch,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d", epoch)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(500*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// reduceOnPlateau lowers the learning rate by cfg.LRFactor, not below
// cfg.MinLR, after cfg.LRPatience epochs without a lower validation loss,
// as Keras' ReduceLROnPlateau does (no cooldown).
func reduceOnPlateau(trainer *model.Trainer, state *runState, cfg trainConfig, valLoss float64, logger *slog.Logger) error {
	if valLoss < state.LRBestLoss-cfg.minImprovement {
		state.LRBestLoss, state.EpochsNoLRCut = valLoss, 0
		return nil
	}
	state.EpochsNoLRCut++
	if state.EpochsNoLRCut < cfg.LRPatience {
		return nil
	}
	state.EpochsNoLRCut = 0
	lr := trainer.LearningRate()
	newLR := math.Max(lr*cfg.LRFactor, cfg.MinLR)
	if newLR >= lr {
		return nil
	}
	logger.Info("reducing learning rate", "from", lr, "to", newLR)
	return trainer.SetLearningRate(newLR)
}

func loadTrainingData(cfg trainConfig) (trainA, trainB, valA, valB *cifar.Dataset, err error) {
	all, err := cifar.LoadTrain(cfg.DataDir)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("train: %w", err)
	}
	a, b := cifar.SplitGroups(all)
	trainA, valA = mixture.Split(a, cfg.ValFraction, cfg.Seed)
	trainB, valB = mixture.Split(b, cfg.ValFraction, cfg.Seed+1)
	return trainA, trainB, valA, valB, nil
}

// validationSet draws the fixed validation mixtures scored after each epoch.
func validationSet(valA, valB *cifar.Dataset, n int, seed int64) ([]float32, []int32, []int32, error) {
	generator, err := mixture.NewGenerator(valA, valB, seed+7)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("train: validation set: %w", err)
	}
	images, labelsA, labelsB := generator.Batch(n)
	return images, labelsA, labelsB, nil
}

// recalibrate recomputes the batch-norm averages on cfg.Calibration fresh
// training mixtures, so validation and the saved weights use statistics of
// the current weights rather than a trailing average.
func recalibrate(trainer *model.Trainer, trainA, trainB *cifar.Dataset, cfg trainConfig, epoch int) error {
	if cfg.Calibration <= 0 {
		return nil
	}
	generator, err := mixture.NewGenerator(trainA, trainB, cfg.Seed*7_000_003+int64(epoch))
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	images, _, _ := generator.Batch(cfg.Calibration)
	if err := trainer.RecalibrateBatchNorm(images, cfg.Calibration, min(cfg.BatchSize, cfg.Calibration)); err != nil {
		return fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	return nil
}

// evaluateInBatches returns the image-weighted mean metrics over a set.
func evaluateInBatches(trainer *model.Trainer, images []float32, labelsA, labelsB []int32, batch int) (model.Metrics, error) {
	var sum model.Metrics
	n := len(labelsA)
	for start := 0; start < n; start += batch {
		count := min(batch, n-start)
		m, err := trainer.Evaluate(images[start*model.ImageFloats:(start+count)*model.ImageFloats],
			labelsA[start:start+count], labelsB[start:start+count], count)
		if err != nil {
			return model.Metrics{}, fmt.Errorf("train: validation: %w", err)
		}
		w := float64(count)
		sum.Loss += m.Loss * w
		sum.AccuracyA += m.AccuracyA * w
		sum.AccuracyB += m.AccuracyB * w
	}
	return model.Metrics{Loss: sum.Loss / float64(n), AccuracyA: sum.AccuracyA / float64(n), AccuracyB: sum.AccuracyB / float64(n)}, nil
}

func startOrResume(backend backends.Backend, cfg trainConfig, logger *slog.Logger) (*model.Trainer, runState, error) {
	path := filepath.Join(cfg.OutDir, checkpointFile)
	if !cfg.Resume {
		if _, err := os.Stat(path); err == nil {
			return nil, runState{}, fmt.Errorf("train: %s already contains a run: pass --resume to continue it, or choose another --out", cfg.OutDir)
		}
		preset, _ := model.Preset(cfg.Preset)
		trainer, err := model.NewTrainer(backend, preset, model.TrainOptions{LearningRate: cfg.LearningRate, WeightDecay: cfg.WeightDecay, Seed: cfg.Seed})
		if err != nil {
			return nil, runState{}, fmt.Errorf("train: %w", err)
		}
		return trainer, runState{Recipe: cfg, BestValLoss: math.Inf(1), LRBestLoss: math.Inf(1)}, nil
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return nil, runState{}, fmt.Errorf("train: --resume: %w: start a new run without --resume", err)
	}
	checkpoint, err := model.DecodeWeights(data)
	if err != nil {
		return nil, runState{}, fmt.Errorf("train: --resume: %s: %w", path, err)
	}
	var state runState
	if err := json.Unmarshal(checkpoint.State, &state); err != nil {
		return nil, runState{}, fmt.Errorf("train: --resume: %s has no valid run state: %w", path, err)
	}
	if checkpoint.Config.Preset != cfg.Preset {
		return nil, runState{}, fmt.Errorf("train: --resume: %s is a %q run, not %q: pass --preset %s", path, checkpoint.Config.Preset, cfg.Preset, checkpoint.Config.Preset)
	}
	trainer, err := model.ResumeTrainer(backend, checkpoint, model.TrainOptions{WeightDecay: cfg.WeightDecay, Seed: cfg.Seed})
	if err != nil {
		return nil, runState{}, fmt.Errorf("train: --resume: %w", err)
	}
	logger.Info("resuming", "checkpoint", path, "epochs_done", state.EpochsDone, "best_epoch", state.BestEpoch,
		"lr", trainer.LearningRate())
	return trainer, state, nil
}

func saveCheckpoint(trainer *model.Trainer, state runState, outDir string) error {
	stateJSON, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("train: encoding run state: %w", err)
	}
	file, err := trainer.Checkpoint(stateJSON)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return file.WriteFile(filepath.Join(outDir, checkpointFile))
}

func saveWeights(trainer *model.Trainer, path string) error {
	file, err := trainer.Weights()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return file.WriteFile(path)
}

func writeHistory(outDir string, history plot.History) error {
	data, err := json.MarshalIndent(history, "", "  ")
	if err != nil {
		return fmt.Errorf("train: encoding history: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(outDir, historyJSON), data); err != nil {
		return err
	}
	return plot.WriteHistoryPNG(filepath.Join(outDir, historyPNG), history)
}

// finishRun writes the final weights: the best epoch's when restoring, else
// the last epoch's.
func finishRun(trainer *model.Trainer, state runState, cfg trainConfig, backend backends.Backend, stdout io.Writer) error {
	final := filepath.Join(cfg.OutDir, weightsFile)
	best := filepath.Join(cfg.OutDir, bestFile)
	if cfg.RestoreBest && state.BestEpoch > 0 {
		data, err := os.ReadFile(best)
		if err != nil {
			return fmt.Errorf("train: restoring the best epoch: %w", err)
		}
		if err := writeFileAtomic(final, data); err != nil {
			return err
		}
	} else if err := saveWeights(trainer, final); err != nil {
		return err
	}
	imagesPerSecond := 0.0
	if state.TrainSeconds > 0 {
		imagesPerSecond = float64(state.Images) / state.TrainSeconds
	}
	summary := TrainSummary{
		Preset: cfg.Preset, Recipe: state.Recipe, Backend: backend.Name(), Device: backend.Description(), Machine: machineDescription(),
		Command: "unmix train " + strings.Join(cfg.Args, " "), EpochsDone: state.EpochsDone, BestEpoch: state.BestEpoch,
		BestValLoss: state.BestValLoss, Images: state.Images, TrainSeconds: state.TrainSeconds, WallSeconds: state.WallSeconds,
		ImagesPerSecond: imagesPerSecond, Stopped: state.Stopped, Date: time.Now().UTC().Format(time.RFC3339),
	}
	data, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return fmt.Errorf("train: encoding summary: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(cfg.OutDir, summaryJSON), append(data, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %s: %d epochs, %d mixtures, %.1f mixtures/s, best epoch %d (validation loss %.4f)\n",
		cfg.Preset, state.EpochsDone, state.Images, imagesPerSecond, state.BestEpoch, state.BestValLoss)
	fmt.Fprintf(stdout, "weights: %s\nhistory: %s, %s\n", final, filepath.Join(cfg.OutDir, historyJSON), filepath.Join(cfg.OutDir, historyPNG))
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
