package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// MaxForwardFLOPs bounds the presets the trainer offers. The reference
// preset (0.75 GFLOP per image) trained at 0.4 images/s under Node, too slow
// to show anything; slim (0.19 GFLOP) is the largest offered.
const MaxForwardFLOPs = 250e6

// Limits and defaults of the settings a visitor picks.
const (
	DefaultPreset       = "tiny"
	DefaultBatchSize    = 32
	MaxBatchSize        = 256
	DefaultLearningRate = 2e-3
	MaxLearningRate     = 0.1
	DefaultSeed         = 1
)

// Validation and evaluation sizes. Validation scores a fixed set of
// mixtures of the held-out sample images; the evaluation protocol draws
// mixtures of the demo's test sample.
const (
	valMixtures = 256
	valBatch    = 64
	// evalBatch divides the default 1000 mixtures per round, so that one
	// graph serves every batch.
	evalBatch = 125
	evalSeed  = 1
)

// Timing of the history the page plots.
const (
	// pointInterval is the least training time between two training points.
	pointInterval = 3 * time.Second
	// minValInterval is the least training time between two validations;
	// valTimeShare bounds the share of time spent validating.
	minValInterval = 10 * time.Second
	valTimeShare   = 0.25
	// rateWindow is the number of recent steps images/s is measured over.
	rateWindow = 20
)

// Settings are the choices a visitor makes before a run.
type Settings struct {
	Preset       string  `json:"preset"`
	LearningRate float64 `json:"learningRate"`
	BatchSize    int     `json:"batchSize"`
	Seed         int64   `json:"seed"`
}

// DefaultSettings returns the settings the page starts with.
func DefaultSettings() Settings {
	return Settings{Preset: DefaultPreset, LearningRate: DefaultLearningRate, BatchSize: DefaultBatchSize, Seed: DefaultSeed}
}

func (s Settings) validate() error {
	if s.BatchSize < 1 || s.BatchSize > MaxBatchSize {
		return fmt.Errorf("batch size %d: use 1 to %d", s.BatchSize, MaxBatchSize)
	}
	if !(s.LearningRate > 0 && s.LearningRate <= MaxLearningRate) {
		return fmt.Errorf("learning rate %g: use a value in (0, %g], such as %g", s.LearningRate, MaxLearningRate, DefaultLearningRate)
	}
	return nil
}

// Point is one entry of the training or validation history.
type Point struct {
	Images  int64   `json:"images"`  // training images seen
	Seconds float64 `json:"seconds"` // time spent running, pauses excluded
	model.Metrics
}

// History contains the points the page plots.
type History struct {
	Train []Point `json:"train"` // means over the steps since the previous point
	Val   []Point `json:"val"`   // the fixed validation set
}

// runState is the part of a checkpoint besides the variables.
type runState struct {
	Settings      Settings `json:"settings"`
	FineTunedFrom string   `json:"fineTunedFrom,omitempty"`
	Steps         int64    `json:"steps"`
	Images        int64    `json:"images"`
	Seconds       float64  `json:"seconds"`
	StepSeconds   float64  `json:"stepSeconds"` // the part of Seconds spent in training steps
	History       History  `json:"history"`
}

// Session is one training run in the browser: the model, its optimizer, the
// mixture generator and the history. It is not safe for concurrent use.
type Session struct {
	backend backends.Backend
	data    *Data
	cfg     model.Config
	trainer *model.Trainer
	gen     *mixture.Generator
	state   runState

	images           []float32 // the batch buffers, reused by every step
	labelsA, labelsB []int32
	val              *valSet

	// calibration contains fixed training mixtures for recomputing the
	// batch-normalization averages. calibrated is the step they were last
	// recomputed at, or -1 before the first time.
	calibration [][]float32
	calibrator  *calibrator
	calibrated  int64
	built       bool // the variables exist; see build

	runningSince  time.Time // zero while paused
	pending       metricsSum
	lastPointAt   float64 // Seconds of the last training point
	trainSinceVal time.Duration
	lastValTime   time.Duration
	recent        []stepTime
	sentTrain     int // history points already returned by TakeProgress
	sentVal       int
}

type stepTime struct {
	images  int
	seconds float64
}

// NewSession prepares a run of cfg from scratch or, when initial is not nil,
// from those weights. It checks initial before using it, so a corrupt or
// mismatched file is reported here, naming the difference.
func NewSession(backend backends.Backend, data *Data, cfg model.Config, settings Settings, initial *model.WeightsFile, source string) (*Session, error) {
	settings.Preset = cfg.Preset
	if err := settings.validate(); err != nil {
		return nil, err
	}
	if initial != nil {
		if err := initial.CheckMatches(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		// Building a predictor checks every variable's name and shape.
		if _, err := model.NewPredictor(backend, initial); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}

	trainer, err := model.NewTrainer(backend, cfg, model.TrainOptions{
		LearningRate: settings.LearningRate, WeightDecay: model.DefaultWeightDecay, Seed: settings.Seed,
	})
	if err != nil {
		return nil, err
	}
	if initial != nil {
		if err := trainer.LoadWeights(initial); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	state := runState{Settings: settings}
	if initial != nil {
		state.FineTunedFrom = source
	}
	return newSession(backend, data, trainer, state)
}

// ResumeSession continues a run from a checkpoint written by Checkpoint.
func ResumeSession(backend backends.Backend, data *Data, checkpoint []byte) (*Session, error) {
	file, err := model.DecodeWeights(checkpoint)
	if err != nil {
		return nil, err
	}
	var state runState
	if len(file.State) == 0 {
		return nil, errors.New("the file contains weights only, not a saved run: load it for fine-tuning instead")
	}
	if err := json.Unmarshal(file.State, &state); err != nil {
		return nil, fmt.Errorf("reading the saved run's state: %w", err)
	}
	if err := state.Settings.validate(); err != nil {
		return nil, fmt.Errorf("the saved run's settings: %w", err)
	}
	trainer, err := model.ResumeTrainer(backend, file, model.TrainOptions{WeightDecay: model.DefaultWeightDecay, Seed: state.Settings.Seed})
	if err != nil {
		return nil, err
	}
	return newSession(backend, data, trainer, state)
}

func newSession(backend backends.Backend, data *Data, trainer *model.Trainer, state runState) (*Session, error) {
	// A resumed run draws a new stream of mixtures rather than repeating
	// the one it started with.
	gen, err := mixture.NewGenerator(data.TrainA, data.TrainB, state.Settings.Seed*1_000_003+state.Steps+1)
	if err != nil {
		return nil, err
	}
	val, err := newValSet(data, state.Settings.Seed)
	if err != nil {
		return nil, err
	}
	calibrationGen, err := mixture.NewGenerator(data.TrainA, data.TrainB, state.Settings.Seed+13)
	if err != nil {
		return nil, err
	}
	calibration := make([][]float32, calibrationBatches)
	for i := range calibration {
		calibration[i], _, _ = calibrationGen.Batch(calibrationBatch)
	}
	n := state.Settings.BatchSize
	return &Session{
		backend: backend, data: data, cfg: trainer.Config(), trainer: trainer, gen: gen, state: state,
		images: make([]float32, n*model.ImageFloats), labelsA: make([]int32, n), labelsB: make([]int32, n),
		val: val, lastPointAt: state.Seconds, calibration: calibration, calibrated: -1,
	}, nil
}

// valSet is the fixed validation set of a run.
type valSet struct {
	images           []float32
	labelsA, labelsB []int32
}

func newValSet(data *Data, seed int64) (*valSet, error) {
	gen, err := mixture.NewGenerator(data.ValA, data.ValB, seed+7)
	if err != nil {
		return nil, fmt.Errorf("validation set: %w", err)
	}
	images, labelsA, labelsB := gen.Batch(valMixtures)
	return &valSet{images: images, labelsA: labelsA, labelsB: labelsB}, nil
}

// metricsSum adds up step metrics for a mean.
type metricsSum struct {
	sum   model.Metrics
	count int
}

func (m *metricsSum) add(x model.Metrics, weight float64) {
	m.sum.Loss += x.Loss * weight
	m.sum.LossA += x.LossA * weight
	m.sum.LossB += x.LossB * weight
	m.sum.AccuracyA += x.AccuracyA * weight
	m.sum.AccuracyB += x.AccuracyB * weight
	m.count++
}

func (m *metricsSum) mean(total float64) model.Metrics {
	return model.Metrics{
		Loss: m.sum.Loss / total, LossA: m.sum.LossA / total, LossB: m.sum.LossB / total,
		AccuracyA: m.sum.AccuracyA / total, AccuracyB: m.sum.AccuracyB / total,
	}
}

// Config returns the model being trained.
func (s *Session) Config() model.Config { return s.cfg }

// Settings returns the run's settings.
func (s *Session) Settings() Settings { return s.state.Settings }

// Running reports whether the clock runs.
func (s *Session) Running() bool { return !s.runningSince.IsZero() }

// Start starts the clock; Pause stops it. Time between them counts as
// training time, validation included.
func (s *Session) Start() {
	if s.runningSince.IsZero() {
		s.runningSince = time.Now()
	}
}

// Pause stops the clock.
func (s *Session) Pause() {
	if !s.runningSince.IsZero() {
		s.state.Seconds += time.Since(s.runningSince).Seconds()
		s.runningSince = time.Time{}
	}
}

// Seconds returns the time spent running, pauses excluded.
func (s *Session) Seconds() float64 {
	seconds := s.state.Seconds
	if !s.runningSince.IsZero() {
		seconds += time.Since(s.runningSince).Seconds()
	}
	return seconds
}

// Step trains on one batch of new mixtures and returns its metrics.
func (s *Session) Step() (model.Metrics, error) {
	start := time.Now()
	if err := s.gen.Fill(s.images, s.labelsA, s.labelsB); err != nil {
		return model.Metrics{}, err
	}
	n := len(s.labelsA)
	m, err := s.trainer.Step(s.images, s.labelsA, s.labelsB, n)
	if err != nil {
		return model.Metrics{}, fmt.Errorf("step %d: %w", s.state.Steps+1, err)
	}
	if math.IsNaN(m.Loss) || math.IsInf(m.Loss, 0) {
		return model.Metrics{}, fmt.Errorf("step %d: the loss is %g: reset and start again with a lower learning rate", s.state.Steps+1, m.Loss)
	}
	elapsed := time.Since(start)

	s.state.Steps++
	s.state.Images += int64(n)
	s.state.StepSeconds += elapsed.Seconds()
	s.trainSinceVal += elapsed
	s.recent = append(s.recent, stepTime{images: n, seconds: elapsed.Seconds()})
	if len(s.recent) > rateWindow {
		s.recent = s.recent[1:]
	}
	s.pending.add(m, 1)
	if seconds := s.Seconds(); seconds-s.lastPointAt >= pointInterval.Seconds() {
		s.addTrainPoint(seconds)
	}
	return m, nil
}

func (s *Session) addTrainPoint(seconds float64) {
	if s.pending.count == 0 {
		return
	}
	s.state.History.Train = append(s.state.History.Train, Point{
		Images: s.state.Images, Seconds: seconds, Metrics: s.pending.mean(float64(s.pending.count)),
	})
	s.pending = metricsSum{}
	s.lastPointAt = seconds
}

// ImagesPerSecond returns the training throughput over the recent steps,
// validation excluded.
func (s *Session) ImagesPerSecond() float64 {
	var images int
	var seconds float64
	for _, step := range s.recent {
		images += step.images
		seconds += step.seconds
	}
	if seconds == 0 {
		return 0
	}
	return float64(images) / seconds
}

// ValidationDue reports whether enough training happened since the last
// validation: at least minValInterval, and enough that validating takes at
// most valTimeShare of the time.
func (s *Session) ValidationDue() bool {
	if s.state.Steps == 0 || s.trainSinceVal == 0 {
		return false
	}
	wait := max(minValInterval, time.Duration(float64(s.lastValTime)*(1-valTimeShare)/valTimeShare))
	return s.trainSinceVal >= wait
}

// Validate scores the fixed validation set in inference mode, with the
// batch-normalization averages recomputed, and adds the result to the
// history.
func (s *Session) Validate() (model.Metrics, error) {
	start := time.Now()
	c, err := s.calibrate()
	if err != nil {
		return model.Metrics{}, fmt.Errorf("validation: %w", err)
	}
	var sum metricsSum
	for first := 0; first < valMixtures; first += valBatch {
		n := min(valBatch, valMixtures-first)
		m, err := c.metrics(s.val.images[first*model.ImageFloats:(first+n)*model.ImageFloats],
			s.val.labelsA[first:first+n], s.val.labelsB[first:first+n])
		if err != nil {
			return model.Metrics{}, fmt.Errorf("validation: %w", err)
		}
		sum.add(m, float64(n))
	}
	m := sum.mean(valMixtures)
	s.addTrainPoint(s.Seconds())
	s.state.History.Val = append(s.state.History.Val, Point{Images: s.state.Images, Seconds: s.Seconds(), Metrics: m})
	s.trainSinceVal = 0
	s.lastValTime = time.Since(start)
	return m, nil
}

// calibrate returns the calibrator holding the current weights with their
// batch-normalization averages recomputed; see calibrator for why.
func (s *Session) calibrate() (*calibrator, error) {
	if s.calibrator != nil && s.calibrated == s.state.Steps {
		return s.calibrator, nil
	}
	if err := s.build(); err != nil {
		return nil, err
	}
	file, err := s.trainer.Weights()
	if err != nil {
		return nil, err
	}
	if s.calibrator == nil {
		if s.calibrator, err = newCalibrator(s.backend, file); err != nil {
			return nil, err
		}
	}
	if err := s.calibrator.calibrate(file, s.calibration); err != nil {
		return nil, err
	}
	s.calibrated = s.state.Steps
	return s.calibrator, nil
}

// build makes sure the model's variables exist: GoMLX creates them when it
// first builds a graph, so a run that has taken no step evaluates one image.
func (s *Session) build() error {
	if s.built || s.state.Steps > 0 || s.state.FineTunedFrom != "" {
		return nil
	}
	if _, err := s.trainer.Evaluate(s.val.images[:model.ImageFloats], s.val.labelsA[:1], s.val.labelsB[:1], 1); err != nil {
		return err
	}
	s.built = true
	return nil
}

// SetLearningRate changes the learning rate of the following steps.
func (s *Session) SetLearningRate(lr float64) error {
	settings := s.state.Settings
	settings.LearningRate = lr
	if err := settings.validate(); err != nil {
		return err
	}
	if err := s.trainer.SetLearningRate(lr); err != nil {
		return err
	}
	s.state.Settings = settings
	return nil
}

// Progress is the state the page shows: counters, rates and the history
// points it has not received yet.
type Progress struct {
	Preset          string   `json:"preset"`
	Settings        Settings `json:"settings"`
	FineTunedFrom   string   `json:"fineTunedFrom,omitempty"`
	Running         bool     `json:"running"`
	Steps           int64    `json:"steps"`
	Images          int64    `json:"images"`
	Seconds         float64  `json:"seconds"`
	StepSeconds     float64  `json:"stepSeconds"`
	ImagesPerSecond float64  `json:"imagesPerSecond"`
	LearningRate    float64  `json:"learningRate"`
	// Full is true when Train and Val hold the whole history rather than
	// the points added since the previous Progress.
	Full  bool    `json:"full"`
	Train []Point `json:"train"`
	Val   []Point `json:"val"`
}

// TakeProgress returns the current Progress. With full, it holds the whole
// history; otherwise only the points added since the previous call.
func (s *Session) TakeProgress(full bool) Progress {
	if full {
		s.sentTrain, s.sentVal = 0, 0
	}
	p := Progress{
		Preset: s.cfg.Preset, Settings: s.state.Settings, FineTunedFrom: s.state.FineTunedFrom,
		Running: s.Running(), Steps: s.state.Steps, Images: s.state.Images, Seconds: s.Seconds(), StepSeconds: s.state.StepSeconds,
		ImagesPerSecond: s.ImagesPerSecond(), LearningRate: s.trainer.LearningRate(), Full: full,
		Train: append([]Point{}, s.state.History.Train[s.sentTrain:]...),
		Val:   append([]Point{}, s.state.History.Val[s.sentVal:]...),
	}
	s.sentTrain, s.sentVal = len(s.state.History.Train), len(s.state.History.Val)
	return p
}

// Weights returns the model's weights, with the batch-normalization
// averages recomputed, as a .unmixw file: the format that the demo and
// `unmix eval --weights` read.
func (s *Session) Weights() ([]byte, error) {
	c, err := s.calibrate()
	if err != nil {
		return nil, err
	}
	file, err := c.weights()
	if err != nil {
		return nil, err
	}
	return encode(file)
}

// Checkpoint returns every variable, the optimizer state included, and the
// run's state, for ResumeSession.
func (s *Session) Checkpoint() ([]byte, error) {
	state := s.state
	state.Seconds = s.Seconds()
	stateJSON, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("encoding the run state: %w", err)
	}
	file, err := s.trainer.Checkpoint(stateJSON)
	if err != nil {
		return nil, err
	}
	return encode(file)
}

func encode(file *model.WeightsFile) ([]byte, error) {
	var buf bytes.Buffer
	if err := file.Encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Evaluate runs the evaluation protocol on the demo's test sample with the
// current weights, batch-normalization averages recomputed: rounds rounds
// of perRound random mixtures. progress is
// called after each batch with the mixtures scored so far.
func (s *Session) Evaluate(ctx context.Context, rounds, perRound int, progress func(done, total int)) (mixture.Result, error) {
	c, err := s.calibrate()
	if err != nil {
		return mixture.Result{}, err
	}
	total, done := rounds*perRound, 0
	predict := func(images []float32, n int) ([]int32, []int32, error) {
		labelsA, labelsB, err := c.predictLabels(images, n)
		done += n
		if progress != nil {
			progress(done, total)
		}
		return labelsA, labelsB, err
	}
	return mixture.Evaluate(ctx, predict, s.data.TestA, s.data.TestB, rounds, perRound, evalBatch, evalSeed)
}
