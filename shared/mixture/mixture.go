// Package mixture builds the Unmix task from CIFAR-10: an input image is the
// pixel average of one group A image and one group B image, and the model
// names the class of each. The package splits groups into training and
// validation sets, draws random mixtures and runs the evaluation protocol.
//
// Images are float32 in [0, 1] in the channels-last layout the model takes,
// [batch, 32, 32, 3]. Labels are the index within the group, 0-4, as
// cifar.SplitGroups returns them.
//
// The package has no cgo and builds for GOOS=js GOARCH=wasm.
package mixture

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/unmix/unmix/shared/cifar"
)

// newRand returns the random source for seed. PCG is a fixed algorithm, so a
// seed gives the same draws on every platform, wasm included.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x756e6d6978)) // "unmix" in ASCII
}

// Split splits one group's images into a training and a validation set,
// stratified by label: each label gets round(count × valFraction) of its
// images, picked at random with seed, in val and the rest in train. Both
// results keep the order of d. With CIFAR-10 training data and valFraction
// 0.1, each group gives 22500 training and 2500 validation images.
//
// Split panics if valFraction is outside [0, 1].
func Split(d *cifar.Dataset, valFraction float64, seed int64) (train, val *cifar.Dataset) {
	if !(valFraction >= 0 && valFraction <= 1) {
		panic(fmt.Sprintf("mixture: Split: validation fraction %v is outside [0, 1]", valFraction))
	}

	var byLabel [256][]int
	for i, label := range d.Labels {
		byLabel[label] = append(byLabel[label], i)
	}

	rng := newRand(seed)
	var trainIndices, valIndices []int
	for _, indices := range byLabel {
		rng.Shuffle(len(indices), func(i, j int) { indices[i], indices[j] = indices[j], indices[i] })
		numVal := int(math.Round(float64(len(indices)) * valFraction))
		valIndices = append(valIndices, indices[:numVal]...)
		trainIndices = append(trainIndices, indices[numVal:]...)
	}

	slices.Sort(trainIndices)
	slices.Sort(valIndices)
	return d.Subset(trainIndices), d.Subset(valIndices)
}

// Mix returns ratio × imageA + (1 − ratio) × imageB, element by element.
// Training mixtures use ratio 0.5. The images must have the same length, and
// ratio must be in [0, 1].
func Mix(imageA, imageB []float32, ratio float32) ([]float32, error) {
	if len(imageA) != len(imageB) {
		return nil, fmt.Errorf("mixture: image A has %d values and image B has %d; mix images of the same size", len(imageA), len(imageB))
	}
	if !(ratio >= 0 && ratio <= 1) {
		return nil, fmt.Errorf("mixture: ratio %v is outside [0, 1]; it is the weight of image A", ratio)
	}

	mixed := make([]float32, len(imageA))
	for i := range mixed {
		mixed[i] = ratio*imageA[i] + (1-ratio)*imageB[i]
	}
	return mixed, nil
}
