package main

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ (run under wasm: see golden_js_test.go)")

func newTestBackend(t *testing.T) backends.Backend {
	t.Helper()
	backend, err := model.NewSimpleGoBackend()
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

// smallConfig is a two-block network that trains in seconds, under Node too.
func smallConfig() model.Config {
	return model.Config{Preset: "test-small", Filters: []int{8, 16}, PoolAfter: []bool{true, true}, Dropout: 0, LeakySlope: 0.1}
}

// bandImages returns n images per class of a group that a small network
// separates once mixed: class k of group A lights vertical band k in red,
// class k of group B horizontal band k in blue, over green noise.
func bandImages(rng *rand.Rand, group cifar.Group, n int) *cifar.Dataset {
	const size, plane = cifar.ImageSize, cifar.ImageSize * cifar.ImageSize
	d := &cifar.Dataset{}
	for k := range cifar.GroupSize {
		for range n {
			image := make([]byte, cifar.ImageBytes)
			for p := range plane {
				x, y := p%size, p/size
				image[plane+p] = uint8(rng.IntN(80))
				if group == cifar.GroupA && x*cifar.GroupSize/size == k {
					image[p] = 255
				}
				if group == cifar.GroupB && y*cifar.GroupSize/size == k {
					image[2*plane+p] = 255
				}
			}
			d.Images = append(d.Images, image...)
			d.Labels = append(d.Labels, uint8(k))
		}
	}
	return d
}

// bandData returns a Data of band images.
func bandData(seed uint64) *Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	return &Data{
		TrainA: bandImages(rng, cifar.GroupA, 20), TrainB: bandImages(rng, cifar.GroupB, 20),
		ValA: bandImages(rng, cifar.GroupA, 4), ValB: bandImages(rng, cifar.GroupB, 4),
		TestA: bandImages(rng, cifar.GroupA, 4), TestB: bandImages(rng, cifar.GroupB, 4),
	}
}

func smallSettings() Settings {
	return Settings{LearningRate: 3e-3, BatchSize: 16, Seed: 3}
}

func TestSessionLowersLoss(t *testing.T) {
	session, err := NewSession(newTestBackend(t), bandData(1), smallConfig(), smallSettings(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	before, err := session.Validate()
	if err != nil {
		t.Fatal(err)
	}
	session.Start()
	const steps = 30
	for step := range steps {
		if _, err := session.Step(); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
	}
	after, err := session.Validate()
	if err != nil {
		t.Fatal(err)
	}
	session.Pause()

	if after.Loss >= before.Loss*0.7 {
		t.Errorf("validation loss after %d steps %.3f, want below 70%% of the untrained %.3f", steps, after.Loss, before.Loss)
	}
	if after.AccuracyA < 0.5 || after.AccuracyB < 0.5 {
		t.Errorf("validation accuracy A %.3f, B %.3f after %d steps, want both >= 0.5 (chance is 0.2)", after.AccuracyA, after.AccuracyB, steps)
	}
	p := session.TakeProgress(true)
	if p.Steps != steps || p.Images != steps*16 {
		t.Errorf("progress counts %d steps and %d images, want %d and %d", p.Steps, p.Images, steps, steps*16)
	}
	if len(p.Val) != 2 {
		t.Errorf("history has %d validation points, want 2", len(p.Val))
	}
	if p.Seconds <= 0 || p.ImagesPerSecond <= 0 {
		t.Errorf("progress has %g s and %g images/s, want positive values", p.Seconds, p.ImagesPerSecond)
	}
	if math.Abs(p.LearningRate-3e-3) > 1e-9 {
		t.Errorf("learning rate %g, want 0.003", p.LearningRate)
	}
}

func TestSessionCheckpointResumes(t *testing.T) {
	backend := newTestBackend(t)
	data := bandData(2)
	session, err := NewSession(backend, data, smallConfig(), smallSettings(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	session.Start()
	for range 3 {
		if _, err := session.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := session.Validate(); err != nil {
		t.Fatal(err)
	}
	session.Pause()
	checkpoint, err := session.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}

	resumed, err := ResumeSession(backend, data, checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	got, want := resumed.TakeProgress(true), session.TakeProgress(true)
	if got.Steps != want.Steps || got.Images != want.Images || len(got.Val) != len(want.Val) || got.Seconds != want.Seconds {
		t.Errorf("resumed run: %d steps, %d images, %d validations, %g s; want %d, %d, %d, %g",
			got.Steps, got.Images, len(got.Val), got.Seconds, want.Steps, want.Images, len(want.Val), want.Seconds)
	}
	resumed.Start()
	if _, err := resumed.Step(); err != nil {
		t.Fatalf("step after resuming: %v", err)
	}
	if step := resumed.trainer.GlobalStep(); step != 4 {
		t.Errorf("optimizer step after resuming and one more step = %d, want 4", step)
	}

	weights, err := session.Weights()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResumeSession(backend, data, weights); err == nil {
		t.Error("ResumeSession accepted a weights file without run state")
	}
}

func TestSessionRejectsSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings Settings
	}{
		{"batch 0", Settings{LearningRate: 1e-3, BatchSize: 0}},
		{"batch too large", Settings{LearningRate: 1e-3, BatchSize: MaxBatchSize + 1}},
		{"learning rate 0", Settings{LearningRate: 0, BatchSize: 8}},
		{"learning rate NaN", Settings{LearningRate: math.NaN(), BatchSize: 8}},
		{"learning rate 1", Settings{LearningRate: 1, BatchSize: 8}},
	} {
		if err := tc.settings.validate(); err == nil {
			t.Errorf("%s: validate() = nil, want an error", tc.name)
		}
	}
}

// TestSessionWeightsMatchValidation checks that the exported weights carry
// the recomputed batch-normalization averages that validation used.
func TestSessionWeightsMatchValidation(t *testing.T) {
	backend := newTestBackend(t)
	session, err := NewSession(backend, bandData(6), smallConfig(), smallSettings(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	session.Start()
	for range 5 {
		if _, err := session.Step(); err != nil {
			t.Fatal(err)
		}
	}
	val, err := session.Validate()
	if err != nil {
		t.Fatal(err)
	}
	weights, err := session.Weights()
	if err != nil {
		t.Fatal(err)
	}
	predictor, err := model.LoadPredictor(backend, weights)
	if err != nil {
		t.Fatal(err)
	}
	labelsA, labelsB, err := predictor.PredictLabels(session.val.images, valMixtures)
	if err != nil {
		t.Fatal(err)
	}
	var correctA, correctB int
	for i := range valMixtures {
		if labelsA[i] == session.val.labelsA[i] {
			correctA++
		}
		if labelsB[i] == session.val.labelsB[i] {
			correctB++
		}
	}
	gotA, gotB := float64(correctA)/valMixtures, float64(correctB)/valMixtures
	if math.Abs(gotA-val.AccuracyA) > 1e-9 || math.Abs(gotB-val.AccuracyB) > 1e-9 {
		t.Errorf("exported weights score %.4f/%.4f on the validation set, validation reported %.4f/%.4f",
			gotA, gotB, val.AccuracyA, val.AccuracyB)
	}
}
