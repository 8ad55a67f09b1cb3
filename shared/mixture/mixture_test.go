package mixture

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

// makeGroup returns a group data set with perClass images of each label
// 0-4. Every byte of image i is fill(label, i).
func makeGroup(perClass int, fill func(label uint8, i int) byte) *cifar.Dataset {
	d := &cifar.Dataset{}
	for i := range perClass * cifar.GroupSize {
		label := uint8(i % cifar.GroupSize)
		d.Labels = append(d.Labels, label)
		value := fill(label, i)
		for range cifar.ImageBytes {
			d.Images = append(d.Images, value)
		}
	}
	return d
}

// imageID returns the index that identifyingGroup stored in an image.
func imageID(image []byte) int { return int(image[0]) | int(image[1])<<8 }

// identifyingGroup returns a group data set whose images carry their own
// index in the first two bytes, so tests can tell the images apart.
func identifyingGroup(perClass int) *cifar.Dataset {
	d := makeGroup(perClass, func(uint8, int) byte { return 0 })
	for i := range d.Len() {
		image := d.Image(i)
		image[0], image[1] = byte(i), byte(i>>8)
	}
	return d
}

func TestSplitSizes(t *testing.T) {
	tests := []struct {
		perClass         int
		fraction         float64
		wantVal, wantTrn int
	}{
		{100, 0.1, 50, 450},
		{5000, 0.1, 2500, 22500},
		{7, 0.1, 5, 30},   // round(0.7) = 1 per class
		{3, 0.1, 0, 15},   // round(0.3) = 0 per class
		{20, 0, 0, 100},   // no validation set
		{20, 1, 100, 0},   // everything in validation
		{20, 0.5, 50, 50}, // half and half
	}
	for _, tt := range tests {
		d := identifyingGroup(tt.perClass)
		train, val := Split(d, tt.fraction, 1)
		if got := val.Len(); got != tt.wantVal {
			t.Errorf("Split(%d per class, %v): val.Len() = %d, want %d", tt.perClass, tt.fraction, got, tt.wantVal)
		}
		if got := train.Len(); got != tt.wantTrn {
			t.Errorf("Split(%d per class, %v): train.Len() = %d, want %d", tt.perClass, tt.fraction, got, tt.wantTrn)
		}
		if got, want := len(val.Images), val.Len()*cifar.ImageBytes; got != want {
			t.Errorf("Split(%d per class, %v): len(val.Images) = %d, want %d", tt.perClass, tt.fraction, got, want)
		}
	}
}

func TestSplitStratifiedAndDisjoint(t *testing.T) {
	d := identifyingGroup(100)
	train, val := Split(d, 0.1, 42)

	var valPerClass [cifar.GroupSize]int
	for _, label := range val.Labels {
		valPerClass[label]++
	}
	for label, got := range valPerClass {
		if want := 10; got != want {
			t.Errorf("validation images of label %d = %d, want %d", label, got, want)
		}
	}

	seen := make(map[int]string)
	for _, part := range []struct {
		name string
		d    *cifar.Dataset
	}{{"train", train}, {"val", val}} {
		previous := -1
		for i := range part.d.Len() {
			id := imageID(part.d.Image(i))
			if other, ok := seen[id]; ok {
				t.Errorf("image %d is in %s and in %s", id, other, part.name)
			}
			seen[id] = part.name
			if got, want := part.d.Labels[i], d.Labels[id]; got != want {
				t.Errorf("%s image %d has label %d, want %d as in the source", part.name, id, got, want)
			}
			if id <= previous {
				t.Errorf("%s image %d follows image %d, want source order", part.name, id, previous)
			}
			previous = id
		}
	}
	if got, want := len(seen), d.Len(); got != want {
		t.Errorf("train and val contain %d distinct images, want all %d", got, want)
	}
}

func TestSplitDeterministic(t *testing.T) {
	d := identifyingGroup(100)
	valIDs := func(seed int64) []int {
		_, val := Split(d, 0.1, seed)
		var ids []int
		for i := range val.Len() {
			ids = append(ids, imageID(val.Image(i)))
		}
		return ids
	}

	if first, second := valIDs(7), valIDs(7); !slices.Equal(first, second) {
		t.Errorf("seed 7 gave validation images %v, then %v, want the same", first, second)
	}
	if first, other := valIDs(7), valIDs(8); slices.Equal(first, other) {
		t.Errorf("seeds 7 and 8 both gave validation images %v, want different", first)
	}
}

func TestSplitPanicsOnBadFraction(t *testing.T) {
	for _, fraction := range []float64{-0.1, 1.5, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Split with fraction %v did not panic", fraction)
				}
			}()
			Split(identifyingGroup(2), fraction, 1)
		}()
	}
}

func TestMix(t *testing.T) {
	a := []float32{1, 0, 0.5}
	b := []float32{0, 1, 0.25}
	tests := []struct {
		ratio float32
		want  []float32
	}{
		{0.5, []float32{0.5, 0.5, 0.375}},
		{1, []float32{1, 0, 0.5}},
		{0, []float32{0, 1, 0.25}},
		{0.25, []float32{0.25, 0.75, 0.3125}},
	}
	for _, tt := range tests {
		got, err := Mix(a, b, tt.ratio)
		if err != nil {
			t.Errorf("Mix(ratio %v): %v", tt.ratio, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Mix(ratio %v) = %v, want %v", tt.ratio, got, tt.want)
		}
	}
}

func TestMixErrors(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []float32
		ratio    float32
		wantText string
	}{
		{"length mismatch", make([]float32, 3), make([]float32, 2), 0.5, "image A has 3 values and image B has 2"},
		{"negative ratio", make([]float32, 3), make([]float32, 3), -0.1, "ratio -0.1 is outside [0, 1]"},
		{"ratio above 1", make([]float32, 3), make([]float32, 3), 1.5, "ratio 1.5 is outside [0, 1]"},
		{"NaN ratio", make([]float32, 3), make([]float32, 3), float32(math.NaN()), "ratio NaN is outside [0, 1]"},
	}
	for _, tt := range tests {
		_, err := Mix(tt.a, tt.b, tt.ratio)
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.wantText)
		}
	}
}
