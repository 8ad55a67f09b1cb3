package mixture

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

func TestGeneratorLabelBalance(t *testing.T) {
	g, err := NewGenerator(identifyingGroup(20), identifyingGroup(20), 3)
	if err != nil {
		t.Fatal(err)
	}

	const draws = 50000
	var countA, countB [cifar.GroupSize]int
	for range draws / 1000 {
		_, labelsA, labelsB := g.Batch(1000)
		for i := range labelsA {
			countA[labelsA[i]]++
			countB[labelsB[i]]++
		}
	}

	// Each share has a standard deviation of sqrt(0.2 × 0.8 / 50000), about
	// 0.0018, so 0.01 is more than five standard deviations.
	for label := range cifar.GroupSize {
		for _, head := range []struct {
			name  string
			count int
		}{{"A", countA[label]}, {"B", countB[label]}} {
			share := float64(head.count) / draws
			if math.Abs(share-0.2) > 0.01 {
				t.Errorf("head %s label %d drawn in %.4f of mixtures, want 0.2 ± 0.01", head.name, label, share)
			}
		}
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b := identifyingGroup(20), identifyingGroup(30)
	batch := func(seed int64) ([]float32, []int32, []int32) {
		g, err := NewGenerator(a, b, seed)
		if err != nil {
			t.Fatal(err)
		}
		g.Batch(5) // the second batch must be reproducible too
		return g.Batch(64)
	}

	images1, labelsA1, labelsB1 := batch(11)
	images2, labelsA2, labelsB2 := batch(11)
	if !slices.Equal(images1, images2) {
		t.Error("seed 11 gave different images on two runs, want the same")
	}
	if !slices.Equal(labelsA1, labelsA2) {
		t.Errorf("seed 11 gave A labels %v, then %v, want the same", labelsA1, labelsA2)
	}
	if !slices.Equal(labelsB1, labelsB2) {
		t.Errorf("seed 11 gave B labels %v, then %v, want the same", labelsB1, labelsB2)
	}

	images3, labelsA3, _ := batch(12)
	if slices.Equal(images1, images3) {
		t.Error("seeds 11 and 12 gave the same images, want different")
	}
	if slices.Equal(labelsA1, labelsA3) {
		t.Errorf("seeds 11 and 12 both gave A labels %v, want different", labelsA1)
	}
}

func TestGeneratorPixelsMatchMix(t *testing.T) {
	// One image per group, so every mixture combines these two.
	a := &cifar.Dataset{Images: make([]byte, cifar.ImageBytes), Labels: []uint8{3}}
	b := &cifar.Dataset{Images: make([]byte, cifar.ImageBytes), Labels: []uint8{1}}
	for i := range cifar.ImageBytes {
		a.Images[i] = byte(i)
		b.Images[i] = byte(255 - i*3)
	}

	g, err := NewGenerator(a, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	images, labelsA, labelsB := g.Batch(2)

	if got, want := len(images), 2*cifar.ImageBytes; got != want {
		t.Fatalf("len(images) = %d, want %d", got, want)
	}
	if got, want := labelsA, []int32{3, 3}; !slices.Equal(got, want) {
		t.Errorf("labelsA = %v, want %v", got, want)
	}
	if got, want := labelsB, []int32{1, 1}; !slices.Equal(got, want) {
		t.Errorf("labelsB = %v, want %v", got, want)
	}

	want, err := Mix(a.ImageHWC(0), b.ImageHWC(0), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		got := images[k*cifar.ImageBytes : (k+1)*cifar.ImageBytes]
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("mixture %d value %d = %v, want %v (Mix of the HWC images)", k, i, got[i], want[i])
			}
			if got[i] < 0 || got[i] > 1 {
				t.Fatalf("mixture %d value %d = %v, want within [0, 1]", k, i, got[i])
			}
		}
	}
}

func TestGeneratorBatchEmpty(t *testing.T) {
	g, err := NewGenerator(identifyingGroup(1), identifyingGroup(1), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -3} {
		images, labelsA, labelsB := g.Batch(n)
		if len(images) != 0 || len(labelsA) != 0 || len(labelsB) != 0 {
			t.Errorf("Batch(%d) returned %d values and %d, %d labels, want none", n, len(images), len(labelsA), len(labelsB))
		}
	}
}

func TestGeneratorFill(t *testing.T) {
	a, b := identifyingGroup(4), identifyingGroup(4)
	g1, err := NewGenerator(a, b, 9)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := NewGenerator(a, b, 9)
	if err != nil {
		t.Fatal(err)
	}

	images := make([]float32, 3*cifar.ImageBytes)
	labelsA, labelsB := make([]int32, 3), make([]int32, 3)
	if err := g1.Fill(images, labelsA, labelsB); err != nil {
		t.Fatal(err)
	}
	wantImages, wantA, wantB := g2.Batch(3)
	if !slices.Equal(images, wantImages) || !slices.Equal(labelsA, wantA) || !slices.Equal(labelsB, wantB) {
		t.Error("Fill and Batch with the same seed drew different mixtures, want the same")
	}

	err = g1.Fill(make([]float32, 2*cifar.ImageBytes), make([]int32, 3), make([]int32, 3))
	if want := "buffers have lengths 6144, 3 and 3"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fill with a short image buffer: error = %v, want it to contain %q", err, want)
	}
}

func TestNewGeneratorErrors(t *testing.T) {
	good := identifyingGroup(2)
	badLabel := identifyingGroup(2)
	badLabel.Labels[3] = 7
	shortImages := identifyingGroup(2)
	shortImages.Images = shortImages.Images[:100]

	tests := []struct {
		name     string
		a, b     *cifar.Dataset
		wantText string
	}{
		{"nil A", nil, good, "group A data set is empty"},
		{"empty B", good, &cifar.Dataset{}, "group B data set is empty"},
		{"label 7 in B", good, badLabel, "group B image 3 has label 7, want 0 to 4"},
		{"short images in A", shortImages, good, "group A data set has 100 image bytes for 10 labels, want 30720"},
	}
	for _, tt := range tests {
		_, err := NewGenerator(tt.a, tt.b, 1)
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.wantText)
		}
	}
}
