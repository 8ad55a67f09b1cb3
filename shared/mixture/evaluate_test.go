package mixture

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

// labeledGroups returns group data sets whose pixel values encode the label.
// Every byte of a group A image is 50 × label, and every byte of a group B
// image is 5 × label. A mixture's first value × 510 is then 50 × A + 5 × B.
func labeledGroups() (a, b *cifar.Dataset) {
	a = makeGroup(10, func(label uint8, _ int) byte { return 50 * label })
	b = makeGroup(10, func(label uint8, _ int) byte { return 5 * label })
	return a, b
}

// perfectPredict decodes the true labels from the pixels of labeledGroups.
func perfectPredict(images []float32, n int) (predA, predB []int32, err error) {
	for k := range n {
		sum := int32(math.Round(float64(images[k*cifar.ImageBytes]) * 510))
		predA = append(predA, sum/50)
		predB = append(predB, sum%50/5)
	}
	return predA, predB, nil
}

func constantPredict(images []float32, n int) (predA, predB []int32, err error) {
	return make([]int32, n), make([]int32, n), nil
}

func TestEvaluatePerfectPredictor(t *testing.T) {
	a, b := labeledGroups()
	var batchSizes []int
	predict := func(images []float32, n int) ([]int32, []int32, error) {
		batchSizes = append(batchSizes, n)
		if got, want := len(images), n*cifar.ImageBytes; got != want {
			t.Errorf("predict got %d values for %d images, want %d", got, n, want)
		}
		return perfectPredict(images, n)
	}

	r, err := Evaluate(context.Background(), predict, a, b, 3, 1000, 64, 5)
	if err != nil {
		t.Fatal(err)
	}

	for _, check := range []struct {
		name      string
		got, want float64
	}{
		{"Mean", r.Mean, 1}, {"Std", r.Std, 0},
		{"MeanA", r.MeanA, 1}, {"StdA", r.StdA, 0},
		{"MeanB", r.MeanB, 1}, {"StdB", r.StdB, 0},
	} {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
		}
	}
	if want := []float64{1, 1, 1}; !slices.Equal(r.RoundAccuracy, want) {
		t.Errorf("RoundAccuracy = %v, want %v", r.RoundAccuracy, want)
	}

	// 1000 mixtures in batches of 64 are 15 full batches and one of 40.
	if got, want := len(batchSizes), 3*16; got != want {
		t.Errorf("predict called %d times, want %d", got, want)
	}
	if got, want := batchSizes[15], 40; got != want {
		t.Errorf("last batch of round 1 has %d images, want %d", got, want)
	}

	for _, head := range []struct {
		name      string
		confusion [][]int
	}{{"A", r.ConfusionA}, {"B", r.ConfusionB}} {
		total := 0
		for i, row := range head.confusion {
			for j, count := range row {
				total += count
				if i != j && count != 0 {
					t.Errorf("Confusion%s[%d][%d] = %d, want 0 off the diagonal", head.name, i, j, count)
				}
			}
		}
		if want := 3 * 1000; total != want {
			t.Errorf("Confusion%s sums to %d, want %d", head.name, total, want)
		}
	}
}

func TestEvaluateConstantPredictor(t *testing.T) {
	a, b := labeledGroups()
	r, err := Evaluate(context.Background(), constantPredict, a, b, 5, 2000, 500, 1)
	if err != nil {
		t.Fatal(err)
	}

	// Labels are balanced, so always predicting 0 is right about 1 time in 5.
	for _, check := range []struct {
		name string
		got  float64
	}{{"Mean", r.Mean}, {"MeanA", r.MeanA}, {"MeanB", r.MeanB}} {
		if math.Abs(check.got-0.2) > 0.02 {
			t.Errorf("%s = %v, want 0.2 ± 0.02", check.name, check.got)
		}
	}
	if r.Std == 0 {
		t.Error("Std = 0 for a constant predictor on random mixtures, want some spread")
	}

	for i, row := range r.ConfusionA {
		for j, count := range row {
			if j != 0 && count != 0 {
				t.Errorf("ConfusionA[%d][%d] = %d, want 0 outside predicted column 0", i, j, count)
			}
		}
	}
	columnTotal := 0
	for _, row := range r.ConfusionB {
		columnTotal += row[0]
	}
	if want := 5 * 2000; columnTotal != want {
		t.Errorf("ConfusionB column 0 sums to %d, want %d", columnTotal, want)
	}
}

func TestEvaluatePopulationStd(t *testing.T) {
	a, b := labeledGroups()
	// Head A is right in round 1 and wrong in round 2, head B always right,
	// so the round accuracies are 1 and 0.5.
	calls := 0
	predict := func(images []float32, n int) ([]int32, []int32, error) {
		calls++
		predA, predB, _ := perfectPredict(images, n)
		if calls == 2 {
			for i := range predA {
				predA[i] = (predA[i] + 1) % cifar.GroupSize
			}
		}
		return predA, predB, nil
	}

	r, err := Evaluate(context.Background(), predict, a, b, 2, 10, 10, 1)
	if err != nil {
		t.Fatal(err)
	}

	if want := []float64{1, 0.5}; !slices.Equal(r.RoundAccuracy, want) {
		t.Errorf("RoundAccuracy = %v, want %v", r.RoundAccuracy, want)
	}
	if want := []float64{1, 0}; !slices.Equal(r.RoundAccuracyA, want) {
		t.Errorf("RoundAccuracyA = %v, want %v", r.RoundAccuracyA, want)
	}
	if got, want := r.Mean, 0.75; got != want {
		t.Errorf("Mean = %v, want %v", got, want)
	}
	// The population std of {1, 0.5} is 0.25. The sample std would be 0.354.
	if got, want := r.Std, 0.25; got != want {
		t.Errorf("Std = %v, want %v (population, ddof=0)", got, want)
	}
	if got, want := r.StdA, 0.5; got != want {
		t.Errorf("StdA = %v, want %v", got, want)
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	a, b := labeledGroups()
	run := func(seed int64) Result {
		r, err := Evaluate(context.Background(), constantPredict, a, b, 2, 300, 128, seed)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	first, second := run(4), run(4)
	if !slices.Equal(first.RoundAccuracy, second.RoundAccuracy) {
		t.Errorf("seed 4 gave round accuracies %v, then %v, want the same", first.RoundAccuracy, second.RoundAccuracy)
	}
	if other := run(5); slices.Equal(first.RoundAccuracy, other.RoundAccuracy) {
		t.Errorf("seeds 4 and 5 both gave round accuracies %v, want different", first.RoundAccuracy)
	}
}

func TestEvaluateDefaults(t *testing.T) {
	a, b := labeledGroups()
	mixtures := 0
	predict := func(images []float32, n int) ([]int32, []int32, error) {
		mixtures += n
		return constantPredict(images, n)
	}

	r, err := Evaluate(context.Background(), predict, a, b, 1, 0, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.PerRound, DefaultPerRound; got != want {
		t.Errorf("PerRound = %d, want %d", got, want)
	}
	if got, want := mixtures, 10000; got != want {
		t.Errorf("predicted %d mixtures, want %d", got, want)
	}

	r, err = Evaluate(context.Background(), constantPredict, a, b, 0, 10, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.RoundAccuracy), DefaultRounds; got != want {
		t.Errorf("len(RoundAccuracy) = %d, want %d", got, want)
	}
}

func TestEvaluateErrors(t *testing.T) {
	a, b := labeledGroups()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	failing := errors.New("backend failed")

	tests := []struct {
		name      string
		ctx       context.Context
		predict   PredictFunc
		a         *cifar.Dataset
		rounds    int
		batchSize int
		wantText  string
		wantErr   error
	}{
		{
			name: "canceled", ctx: canceled, predict: constantPredict, a: a, rounds: 1, batchSize: 10,
			wantText: "round 1 of 1: context canceled", wantErr: context.Canceled,
		},
		{
			name: "predict fails", ctx: context.Background(), a: a, rounds: 2, batchSize: 10,
			predict: func([]float32, int) ([]int32, []int32, error) {
				return nil, nil, failing
			},
			wantText: "predict: backend failed", wantErr: failing,
		},
		{
			name: "short predictions", ctx: context.Background(), a: a, rounds: 1, batchSize: 10,
			predict: func(_ []float32, n int) ([]int32, []int32, error) {
				return make([]int32, n), make([]int32, n-1), nil
			},
			wantText: "predict returned 9 head B labels for 10 images",
		},
		{
			name: "label out of range", ctx: context.Background(), a: a, rounds: 1, batchSize: 10,
			predict: func(_ []float32, n int) ([]int32, []int32, error) {
				predA := make([]int32, n)
				predA[4] = 5
				return predA, make([]int32, n), nil
			},
			wantText: "head A label 5 for image 4 of the batch, want 0 to 4",
		},
		{
			name: "zero batch size", ctx: context.Background(), predict: constantPredict, a: a, rounds: 1, batchSize: 0,
			wantText: "batch size 0",
		},
		{
			name: "negative rounds", ctx: context.Background(), predict: constantPredict, a: a, rounds: -1, batchSize: 10,
			wantText: "rounds -1",
		},
		{
			name: "empty group A", ctx: context.Background(), predict: constantPredict, a: &cifar.Dataset{}, rounds: 1, batchSize: 10,
			wantText: "group A data set is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.ctx, tt.predict, tt.a, b, tt.rounds, 100, tt.batchSize, 1)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantText)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%q, %v) = false, want true", err, tt.wantErr)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	a, b := labeledGroups()
	r, err := Evaluate(context.Background(), perfectPredict, a, b, 2, 10, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{`"rounds":2`, `"per_round":10`, `"mean":1`, `"std":0`, `"round_accuracy":[1,1]`, `"confusion_a":[[`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON %s does not contain %s", data, key)
		}
	}

	var decoded Result
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if got, want := decoded.ConfusionB, r.ConfusionB; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("decoded ConfusionB = %v, want %v", got, want)
	}
}
