package cifar

import (
	"strings"
	"testing"
)

func TestGroupOf(t *testing.T) {
	tests := []struct {
		label     uint8
		wantGroup Group
		wantIndex int
		wantName  string
	}{
		{0, GroupA, 0, "airplane"},
		{1, GroupA, 1, "automobile"},
		{2, GroupA, 2, "bird"},
		{3, GroupA, 3, "cat"},
		{4, GroupA, 4, "deer"},
		{5, GroupB, 0, "dog"},
		{6, GroupB, 1, "frog"},
		{7, GroupB, 2, "horse"},
		{8, GroupB, 3, "ship"},
		{9, GroupB, 4, "truck"},
	}
	for _, tt := range tests {
		g, index, err := GroupOf(tt.label)
		if err != nil {
			t.Errorf("GroupOf(%d): %v", tt.label, err)
			continue
		}
		if g != tt.wantGroup || index != tt.wantIndex {
			t.Errorf("GroupOf(%d) = %v, %d, want %v, %d", tt.label, g, index, tt.wantGroup, tt.wantIndex)
		}
		if got := g.ClassNames()[index]; got != tt.wantName {
			t.Errorf("%v.ClassNames()[%d] = %q, want %q", g, index, got, tt.wantName)
		}
		if got := ClassNames[tt.label]; got != tt.wantName {
			t.Errorf("ClassNames[%d] = %q, want %q", tt.label, got, tt.wantName)
		}
		label, err := g.Label(index)
		if err != nil || label != tt.label {
			t.Errorf("%v.Label(%d) = %d, %v, want %d, nil", g, index, label, err, tt.label)
		}
	}
}

func TestGroupErrors(t *testing.T) {
	if _, _, err := GroupOf(10); err == nil || !strings.Contains(err.Error(), "label 10 is out of range") {
		t.Errorf("GroupOf(10) error = %v, want label 10 is out of range", err)
	}
	if _, err := GroupA.Label(5); err == nil || !strings.Contains(err.Error(), "index 5 within group A is out of range") {
		t.Errorf("GroupA.Label(5) error = %v, want index 5 within group A is out of range", err)
	}
	if _, err := GroupB.Label(-1); err == nil {
		t.Error("GroupB.Label(-1) returned no error")
	}
	if _, err := Group(2).Label(0); err == nil || !strings.Contains(err.Error(), "Group(2) is not a valid group") {
		t.Errorf("Group(2).Label(0) error = %v, want Group(2) is not a valid group", err)
	}
	if got := Group(2).ClassNames(); got != [GroupSize]string{} {
		t.Errorf("Group(2).ClassNames() = %q, want empty names", got)
	}
}

func TestSplitGroups(t *testing.T) {
	d, err := Parse("f.bin", makeRecords(7, 0, 5, 4, 9, 2))
	if err != nil {
		t.Fatal(err)
	}
	a, b := SplitGroups(d)

	tests := []struct {
		name       string
		got        *Dataset
		wantLabels []uint8
		wantFrom   []int // index in d of each image
	}{
		{"A", a, []uint8{0, 4, 2}, []int{1, 3, 5}},
		{"B", b, []uint8{2, 0, 4}, []int{0, 2, 4}},
	}
	for _, tt := range tests {
		if got, want := tt.got.Len(), len(tt.wantLabels); got != want {
			t.Errorf("group %s: Len() = %d, want %d", tt.name, got, want)
			continue
		}
		for i, want := range tt.wantLabels {
			if got := tt.got.Labels[i]; got != want {
				t.Errorf("group %s: Labels[%d] = %d, want %d", tt.name, i, got, want)
			}
			if got, want := string(tt.got.Image(i)), string(d.Image(tt.wantFrom[i])); got != want {
				t.Errorf("group %s: Image(%d) differs from source image %d", tt.name, i, tt.wantFrom[i])
			}
		}
	}

	if got, want := d.Labels[0], uint8(7); got != want {
		t.Errorf("source Labels[0] = %d after SplitGroups, want %d (unchanged)", got, want)
	}
}

func TestSplitGroupsPanicsOnBadLabel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("SplitGroups with label 11 did not panic")
		}
	}()
	SplitGroups(&Dataset{Images: make([]byte, ImageBytes), Labels: []uint8{11}})
}
