package cifar

import "fmt"

// SplitGroups splits d into its group A images (labels 0-4) and its group B
// images (labels 5-9), keeping their order. The labels of both results are
// the index within the group, 0-4, so label 7 (horse) becomes 2 in b.
//
// SplitGroups panics if a label is above 9, which Parse never returns.
func SplitGroups(d *Dataset) (a, b *Dataset) {
	var indices [2][]int
	for i, label := range d.Labels {
		g, _, err := GroupOf(label)
		if err != nil {
			panic(fmt.Sprintf("cifar: SplitGroups: image %d: %v", i, err))
		}
		indices[g] = append(indices[g], i)
	}

	a = d.Subset(indices[GroupA])
	b = d.Subset(indices[GroupB])
	for i := range a.Labels {
		a.Labels[i] %= GroupSize
	}
	for i := range b.Labels {
		b.Labels[i] %= GroupSize
	}
	return a, b
}
