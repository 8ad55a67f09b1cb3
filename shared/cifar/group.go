package cifar

import "fmt"

// GroupSize is the number of classes in each group.
const GroupSize = NumClasses / 2

// Group is one of the two halves of CIFAR-10 that Unmix mixes. A mixture
// always averages one image of group A with one image of group B.
type Group int

const (
	// GroupA contains labels 0-4: airplane, automobile, bird, cat, deer.
	GroupA Group = iota
	// GroupB contains labels 5-9: dog, frog, horse, ship, truck.
	GroupB
)

// GroupOf returns the group of a CIFAR-10 label and the label's index within
// that group (0-4). Label 7 (horse), for example, is index 2 of group B.
func GroupOf(label uint8) (Group, int, error) {
	if label >= NumClasses {
		return 0, 0, fmt.Errorf("cifar: label %d is out of range; CIFAR-10 labels are 0 to %d", label, NumClasses-1)
	}
	return Group(label / GroupSize), int(label % GroupSize), nil
}

// String returns "A" or "B".
func (g Group) String() string {
	switch g {
	case GroupA:
		return "A"
	case GroupB:
		return "B"
	}
	return fmt.Sprintf("Group(%d)", int(g))
}

// Label returns the CIFAR-10 label of the class at index (0-4) within g.
func (g Group) Label(index int) (uint8, error) {
	if g != GroupA && g != GroupB {
		return 0, fmt.Errorf("cifar: %v is not a valid group; use GroupA or GroupB", g)
	}
	if index < 0 || index >= GroupSize {
		return 0, fmt.Errorf("cifar: index %d within group %v is out of range; use 0 to %d", index, g, GroupSize-1)
	}
	return uint8(int(g)*GroupSize + index), nil
}

// ClassNames returns the names of the five classes of g, ordered by their
// index within the group. It returns empty names for an invalid group.
func (g Group) ClassNames() [GroupSize]string {
	var names [GroupSize]string
	if g != GroupA && g != GroupB {
		return names
	}
	copy(names[:], ClassNames[int(g)*GroupSize:])
	return names
}
