package mixture

import (
	"fmt"
	"math/rand/v2"

	"github.com/unmix/unmix/shared/cifar"
)

// Generator draws random mixtures of one group A image and one group B
// image. Each draw picks both images uniformly at random with replacement,
// so the label distribution follows that of the two data sets. A Generator
// is not safe for concurrent use.
type Generator struct {
	a, b *cifar.Dataset
	rng  *rand.Rand
}

// NewGenerator returns a Generator over the group A images a and the group B
// images b, whose labels must be 0-4 as cifar.SplitGroups returns them. The
// same data and seed give the same sequence of batches.
func NewGenerator(a, b *cifar.Dataset, seed int64) (*Generator, error) {
	if err := validateGroup("A", a); err != nil {
		return nil, err
	}
	if err := validateGroup("B", b); err != nil {
		return nil, err
	}
	return &Generator{a: a, b: b, rng: newRand(seed)}, nil
}

func validateGroup(name string, d *cifar.Dataset) error {
	if d == nil || d.Len() == 0 {
		return fmt.Errorf("mixture: group %s data set is empty; load the data and split it with cifar.SplitGroups", name)
	}
	if got, want := len(d.Images), d.Len()*cifar.ImageBytes; got != want {
		return fmt.Errorf("mixture: group %s data set has %d image bytes for %d labels, want %d", name, got, d.Len(), want)
	}
	for i, label := range d.Labels {
		if label >= cifar.GroupSize {
			return fmt.Errorf("mixture: group %s image %d has label %d, want 0 to %d; split the data with cifar.SplitGroups first",
				name, i, label, cifar.GroupSize-1)
		}
	}
	return nil
}

// Batch draws n mixtures and returns their images and labels. The images are
// n×32×32×3 float32 values in [0, 1], laid out [n, 32, 32, 3], where each
// value is the mean of the two source pixels. The labels are the group A and
// group B labels (0-4) of each mixture.
func (g *Generator) Batch(n int) (images []float32, labelsA, labelsB []int32) {
	n = max(n, 0)
	images = make([]float32, n*cifar.ImageBytes)
	labelsA = make([]int32, n)
	labelsB = make([]int32, n)
	g.fill(images, labelsA, labelsB)
	return images, labelsA, labelsB
}

// Fill draws len(labelsA) mixtures into the given buffers, as Batch does, so
// a training loop can reuse them. The buffers must have lengths n×3072, n
// and n.
func (g *Generator) Fill(images []float32, labelsA, labelsB []int32) error {
	n := len(labelsA)
	if len(labelsB) != n || len(images) != n*cifar.ImageBytes {
		return fmt.Errorf("mixture: Fill buffers have lengths %d, %d and %d, want n×%d, n and n",
			len(images), len(labelsA), len(labelsB), cifar.ImageBytes)
	}
	g.fill(images, labelsA, labelsB)
	return nil
}

func (g *Generator) fill(images []float32, labelsA, labelsB []int32) {
	const planeSize = cifar.ImageSize * cifar.ImageSize
	for k := range labelsA {
		i := g.rng.IntN(g.a.Len())
		j := g.rng.IntN(g.b.Len())
		labelsA[k] = int32(g.a.Labels[i])
		labelsB[k] = int32(g.b.Labels[j])

		// Average the bytes before scaling, and move from the planar layout
		// [3, 32, 32] to channels-last [32, 32, 3] on the way.
		imageA, imageB := g.a.Image(i), g.b.Image(j)
		out := images[k*cifar.ImageBytes : (k+1)*cifar.ImageBytes]
		for pixel := range planeSize {
			for c := range cifar.Channels {
				sum := int(imageA[c*planeSize+pixel]) + int(imageB[c*planeSize+pixel])
				out[pixel*cifar.Channels+c] = float32(sum) / (2 * 255)
			}
		}
	}
}
