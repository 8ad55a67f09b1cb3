package model

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func newTestBackend(t *testing.T) backends.Backend {
	t.Helper()
	backend, err := NewSimpleGoBackend()
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

// smallConfig is a two-block network that trains in seconds on simplego.
func smallConfig() Config {
	return Config{Preset: "test-small", Filters: []int{8, 16}, PoolAfter: []bool{true, true}, Dropout: 0, LeakySlope: 0.1}
}

func TestPresetsValidate(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatalf("Preset(%q): %v", name, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Preset(%q).Validate(): %v", name, err)
		}
	}
	if _, err := Preset("huge"); err == nil || !strings.Contains(err.Error(), "reference") {
		t.Errorf("Preset(huge) error = %v, want one listing the presets", err)
	}
}

func TestConfigValidateRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no blocks", Config{}, "no blocks"},
		{"pool count", Config{Filters: []int{8}, PoolAfter: nil}, "pool_after"},
		{"zero filters", Config{Filters: []int{0}, PoolAfter: []bool{false}}, "filters"},
		{"odd pool", Config{Filters: []int{1, 1, 1, 1, 1, 1}, PoolAfter: []bool{true, true, true, true, true, true}}, "remove a pool"},
		{"dropout", Config{Filters: []int{8}, PoolAfter: []bool{false}, Dropout: 1}, "dropout"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLogitsShapesEachPreset(t *testing.T) {
	backend := newTestBackend(t)
	for _, name := range PresetNames() {
		cfg, _ := Preset(name)
		for _, im2col := range []bool{true, false} {
			ctx := context.New()
			outputs := context.MustExecOnceN(backend, ctx, func(ctx *context.Context, images *graph.Node) []*graph.Node {
				a, b := Logits(ctx.In("model"), cfg, Options{Im2Col: im2col}, images)
				return []*graph.Node{a, b}
			}, tensors.FromShape(shapes.Make(ModelDType, 2, ImageSize, ImageSize, ImageChannels)))
			for i, out := range outputs {
				if got := out.Shape().Dimensions; len(got) != 2 || got[0] != 2 || got[1] != NumClasses {
					t.Errorf("%s im2col=%v: head %d shape %v, want [2 5]", name, im2col, i, got)
				}
			}
		}
	}
}

// TestIm2ColMatchesConvolve checks that both convolution forms compute the
// same function with the same kernel, so weights move between backends.
func TestIm2ColMatchesConvolve(t *testing.T) {
	backend := newTestBackend(t)
	rng := rand.New(rand.NewPCG(1, 2))
	input := make([]float32, 2*6*6*3)
	for i := range input {
		input[i] = rng.Float32()
	}
	kernel := make([]float32, 3*3*3*4)
	for i := range kernel {
		kernel[i] = rng.Float32() - 0.5
	}
	run := func(im2col bool) []float32 {
		ctx := context.New()
		ctx.In("conv").VariableWithValue("kernel", tensors.FromFlatDataAndDimensions(kernel, 3, 3, 3, 4))
		ctx.In("conv").VariableWithValue("bias", []float32{0.1, 0.2, 0.3, 0.4})
		out := context.MustExecOnce(backend, ctx.Reuse(), func(ctx *context.Context, x *graph.Node) *graph.Node {
			return conv3x3(ctx.In("conv"), x, 4, im2col)
		}, tensors.FromFlatDataAndDimensions(input, 2, 6, 6, 3))
		return tensors.MustCopyFlatData[float32](out)
	}
	stock, patches := run(false), run(true)
	for i := range stock {
		if math.Abs(float64(stock[i]-patches[i])) > 1e-5 {
			t.Fatalf("output %d: im2col %g, Convolve %g", i, patches[i], stock[i])
		}
	}
}

// syntheticBatch draws mixtures a small CNN separates: class k of group A
// lights vertical band k in red, class k of group B horizontal band k in blue.
func syntheticBatch(rng *rand.Rand, n int) ([]float32, []int32, []int32) {
	images := make([]float32, n*ImageFloats)
	labelsA := make([]int32, n)
	labelsB := make([]int32, n)
	for i := range n {
		a, b := rng.IntN(NumClasses), rng.IntN(NumClasses)
		labelsA[i], labelsB[i] = int32(a), int32(b)
		img := images[i*ImageFloats : (i+1)*ImageFloats]
		for y := range ImageSize {
			for x := range ImageSize {
				p := (y*ImageSize + x) * ImageChannels
				img[p+1] = 0.3 * rng.Float32()
				if x*NumClasses/ImageSize == a {
					img[p] += 0.5
				}
				if y*NumClasses/ImageSize == b {
					img[p+2] += 0.5
				}
			}
		}
	}
	return images, labelsA, labelsB
}

func TestTrainerLearnsSyntheticTask(t *testing.T) {
	backend := newTestBackend(t)
	trainer, err := NewTrainer(backend, smallConfig(), TrainOptions{LearningRate: 3e-3, WeightDecay: DefaultWeightDecay, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var first Metrics
	for step := range 150 {
		images, labelsA, labelsB := syntheticBatch(rng, 16)
		m, err := trainer.Step(images, labelsA, labelsB, 16)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if step == 0 {
			first = m
		}
	}
	images, labelsA, labelsB := syntheticBatch(rng, 128)
	got, err := trainer.Evaluate(images, labelsA, labelsB, 128)
	if err != nil {
		t.Fatal(err)
	}
	if got.Loss >= first.Loss/2 {
		t.Errorf("loss after 150 steps %.3f, want below half the first step's %.3f", got.Loss, first.Loss)
	}
	if got.AccuracyA < 0.9 || got.AccuracyB < 0.9 {
		t.Errorf("held-out accuracy A %.3f, B %.3f, want both >= 0.9 (chance is 0.2)", got.AccuracyA, got.AccuracyB)
	}
	if step := trainer.GlobalStep(); step != 150 {
		t.Errorf("GlobalStep() = %d, want 150", step)
	}

	calibration, _, _ := syntheticBatch(rng, 64)
	if err := trainer.RecalibrateBatchNorm(calibration, 64, 16); err != nil {
		t.Fatalf("RecalibrateBatchNorm: %v", err)
	}
	recalibrated, err := trainer.Evaluate(images, labelsA, labelsB, 128)
	if err != nil {
		t.Fatal(err)
	}
	if recalibrated.AccuracyA < 0.9 || recalibrated.AccuracyB < 0.9 {
		t.Errorf("after recalibration accuracy A %.3f, B %.3f, want both >= 0.9", recalibrated.AccuracyA, recalibrated.AccuracyB)
	}
	if err := trainer.RecalibrateBatchNorm(calibration, 64, 0); err == nil {
		t.Error("RecalibrateBatchNorm(batch 0) returned no error")
	}
}

func TestWeightsRoundTripPredictions(t *testing.T) {
	backend := newTestBackend(t)
	trainer, err := NewTrainer(backend, smallConfig(), DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 3 {
		images, labelsA, labelsB := syntheticBatch(rng, 8)
		if _, err := trainer.Step(images, labelsA, labelsB, 8); err != nil {
			t.Fatal(err)
		}
	}
	file, err := trainer.Weights()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := file.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	first, err := LoadPredictor(backend, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadPredictor(backend, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if first.Preset() != "test-small" {
		t.Errorf("Preset() = %q, want test-small", first.Preset())
	}
	images, _, _ := syntheticBatch(rng, 5)
	probsA1, probsB1, err := first.Predict(images, 5)
	if err != nil {
		t.Fatal(err)
	}
	probsA2, probsB2, _ := second.Predict(images, 5)
	for i := range probsA1 {
		if probsA1[i] != probsA2[i] || probsB1[i] != probsB2[i] {
			t.Fatalf("prediction %d differs after reload: %g/%g vs %g/%g", i, probsA1[i], probsB1[i], probsA2[i], probsB2[i])
		}
	}
	// The trainer's own evaluation graph must agree with the reloaded model.
	for row := range 5 {
		var sum float32
		for _, p := range probsA1[row*NumClasses : (row+1)*NumClasses] {
			sum += p
		}
		if math.Abs(float64(sum)-1) > 1e-4 {
			t.Errorf("image %d: head A probabilities sum to %g, want 1", row, sum)
		}
	}
}

func TestDecodeWeightsRejectsDamage(t *testing.T) {
	backend := newTestBackend(t)
	trainer, err := NewTrainer(backend, smallConfig(), DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	images, labelsA, labelsB := syntheticBatch(rand.New(rand.NewPCG(1, 1)), 2)
	if _, err := trainer.Step(images, labelsA, labelsB, 2); err != nil {
		t.Fatal(err)
	}
	file, _ := trainer.Weights()
	var buf bytes.Buffer
	if err := file.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	otherVersion := bytes.Clone(good)
	otherVersion[len(WeightsMagic)-1] = 9

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"not weights", []byte("<html>not found</html>"), "not an Unmix weights file"},
		{"truncated", good[:len(good)-100], "truncated or corrupt"},
		{"flipped byte", flipped, "checksum mismatch"},
		{"other version", otherVersion, "format version 9"},
	}
	for _, tt := range tests {
		_, err := LoadPredictor(backend, tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: LoadPredictor() error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadWeightsRejectsOtherPreset(t *testing.T) {
	backend := newTestBackend(t)
	trainer, err := NewTrainer(backend, smallConfig(), DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	tiny, _ := Preset("tiny")
	err = trainer.LoadWeights(&WeightsFile{Config: tiny})
	if err == nil || !strings.Contains(err.Error(), `preset "tiny"`) {
		t.Errorf("LoadWeights(tiny) error = %v, want one naming preset \"tiny\"", err)
	}
}

func TestPredictorRejectsMissingVariable(t *testing.T) {
	backend := newTestBackend(t)
	trainer, _ := NewTrainer(backend, smallConfig(), DefaultTrainOptions())
	images, labelsA, labelsB := syntheticBatch(rand.New(rand.NewPCG(1, 1)), 2)
	if _, err := trainer.Step(images, labelsA, labelsB, 2); err != nil {
		t.Fatal(err)
	}
	file, _ := trainer.Weights()
	var dropped string
	for i, v := range file.Variables {
		if v.Scope == "/model/head_b" && v.Name == "kernel" {
			dropped = v.Path()
			file.Variables = append(file.Variables[:i], file.Variables[i+1:]...)
			break
		}
	}
	if dropped == "" {
		t.Fatal("no /model/head_b/kernel variable in the weights")
	}
	_, err := NewPredictor(backend, file)
	if err == nil || !strings.Contains(err.Error(), "head_b") {
		t.Errorf("NewPredictor() without %s: error = %v, want one naming head_b", dropped, err)
	}
}

func TestPredictRejectsWrongSize(t *testing.T) {
	_, err := imagesTensor(make([]float32, 100), 1)
	if err == nil || !strings.Contains(err.Error(), "3072") {
		t.Errorf("imagesTensor(100 floats) error = %v, want one naming 3072", err)
	}
}
