package mixture

import (
	"context"
	"fmt"
	"math"

	"github.com/unmix/unmix/shared/cifar"
)

const (
	// DefaultRounds is the number of evaluation rounds when Evaluate gets 0.
	DefaultRounds = 10
	// DefaultPerRound is the number of mixtures per round when Evaluate gets 0.
	DefaultPerRound = 10000
)

// PredictFunc returns the predicted group A and group B labels (0-4) of n
// mixed images, given as n×32×32×3 float32 values laid out [n, 32, 32, 3].
// Evaluate reuses the images buffer, so the function must not keep it after
// it returns.
type PredictFunc func(images []float32, n int) (predA, predB []int32, err error)

// Result is the outcome of Evaluate. Accuracies are fractions in [0, 1].
// Std values are population standard deviations over rounds (divided by the
// number of rounds, as numpy.std computes by default with ddof=0).
type Result struct {
	Rounds   int   `json:"rounds"`
	PerRound int   `json:"per_round"`
	Seed     int64 `json:"seed"`

	// RoundAccuracy is the mean of the two heads' accuracies in each round.
	RoundAccuracy  []float64 `json:"round_accuracy"`
	RoundAccuracyA []float64 `json:"round_accuracy_a"`
	RoundAccuracyB []float64 `json:"round_accuracy_b"`

	// Mean and Std summarize RoundAccuracy, the headline score.
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	MeanA float64 `json:"mean_a"`
	StdA  float64 `json:"std_a"`
	MeanB float64 `json:"mean_b"`
	StdB  float64 `json:"std_b"`

	// ConfusionA and ConfusionB are 5×5 count matrices summed over all
	// rounds: row is the true label, column the predicted label.
	ConfusionA [][]int `json:"confusion_a"`
	ConfusionB [][]int `json:"confusion_b"`
}

// Evaluate runs the evaluation protocol: in each of rounds rounds it draws
// perRound random mixtures of a test image from a and one from b, calls
// predict on batches of at most batchSize of them, and scores each head's
// accuracy. The same data and seed give the same mixtures. A rounds or
// perRound of 0 selects DefaultRounds or DefaultPerRound.
//
// Evaluate checks ctx before each batch and returns ctx's error, wrapped,
// when it is canceled. It also returns an error when predict fails or
// returns labels of the wrong count or outside 0-4.
func Evaluate(ctx context.Context, predict PredictFunc, a, b *cifar.Dataset, rounds, perRound, batchSize int, seed int64) (Result, error) {
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if perRound == 0 {
		perRound = DefaultPerRound
	}
	if rounds < 0 || perRound < 0 || batchSize <= 0 {
		return Result{}, fmt.Errorf("mixture: invalid evaluation size: rounds %d, mixtures per round %d, batch size %d; use positive numbers (0 selects the default rounds or mixtures per round)",
			rounds, perRound, batchSize)
	}
	g, err := NewGenerator(a, b, seed)
	if err != nil {
		return Result{}, err
	}

	r := Result{
		Rounds:     rounds,
		PerRound:   perRound,
		Seed:       seed,
		ConfusionA: newMatrix(cifar.GroupSize),
		ConfusionB: newMatrix(cifar.GroupSize),
	}
	e := evaluator{
		predict: predict,
		gen:     g,
		images:  make([]float32, batchSize*cifar.ImageBytes),
		labelsA: make([]int32, batchSize),
		labelsB: make([]int32, batchSize),
	}
	for round := range rounds {
		correctA, correctB, err := e.runRound(ctx, perRound, r.ConfusionA, r.ConfusionB)
		if err != nil {
			return Result{}, fmt.Errorf("mixture: evaluation round %d of %d: %w", round+1, rounds, err)
		}
		accuracyA := float64(correctA) / float64(perRound)
		accuracyB := float64(correctB) / float64(perRound)
		r.RoundAccuracyA = append(r.RoundAccuracyA, accuracyA)
		r.RoundAccuracyB = append(r.RoundAccuracyB, accuracyB)
		r.RoundAccuracy = append(r.RoundAccuracy, (accuracyA+accuracyB)/2)
	}

	r.Mean, r.Std = meanStd(r.RoundAccuracy)
	r.MeanA, r.StdA = meanStd(r.RoundAccuracyA)
	r.MeanB, r.StdB = meanStd(r.RoundAccuracyB)
	return r, nil
}

// evaluator holds the generator and the batch buffers that the rounds share.
type evaluator struct {
	predict          PredictFunc
	gen              *Generator
	images           []float32
	labelsA, labelsB []int32
}

// runRound scores perRound mixtures, adds them to the confusion matrices and
// returns the number of correct predictions of each head.
func (e *evaluator) runRound(ctx context.Context, perRound int, confusionA, confusionB [][]int) (correctA, correctB int, err error) {
	batchSize := len(e.labelsA)
	for done := 0; done < perRound; {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}

		n := min(batchSize, perRound-done)
		images := e.images[:n*cifar.ImageBytes]
		labelsA, labelsB := e.labelsA[:n], e.labelsB[:n]
		if err := e.gen.Fill(images, labelsA, labelsB); err != nil {
			return 0, 0, err
		}

		predA, predB, err := e.predict(images, n)
		if err != nil {
			return 0, 0, fmt.Errorf("predict: %w", err)
		}
		if err := checkPredictions("A", predA, n); err != nil {
			return 0, 0, err
		}
		if err := checkPredictions("B", predB, n); err != nil {
			return 0, 0, err
		}

		correctA += tally(confusionA, labelsA, predA)
		correctB += tally(confusionB, labelsB, predB)
		done += n
	}
	return correctA, correctB, nil
}

func checkPredictions(head string, pred []int32, n int) error {
	if len(pred) != n {
		return fmt.Errorf("predict returned %d head %s labels for %d images, want one per image", len(pred), head, n)
	}
	for i, p := range pred {
		if p < 0 || p >= cifar.GroupSize {
			return fmt.Errorf("predict returned head %s label %d for image %d of the batch, want 0 to %d", head, p, i, cifar.GroupSize-1)
		}
	}
	return nil
}

// tally adds each (true, predicted) pair to confusion and returns the
// number of correct predictions.
func tally(confusion [][]int, truth, pred []int32) int {
	correct := 0
	for i := range truth {
		confusion[truth[i]][pred[i]]++
		if truth[i] == pred[i] {
			correct++
		}
	}
	return correct
}

func newMatrix(n int) [][]int {
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
	}
	return m
}

// meanStd returns the mean and the population standard deviation of xs.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))

	var sumSquares float64
	for _, x := range xs {
		sumSquares += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sumSquares / float64(len(xs)))
}
