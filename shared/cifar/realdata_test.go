package cifar

import (
	"os"
	"path/filepath"
	"testing"
)

// realDataDir returns the folder of the real CIFAR-10 binary files: the
// UNMIX_DATA_DIR environment variable, or ../shared/data/cifar-10-batches-bin
// next to the repository root. It skips the test when the folder is missing.
func realDataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("UNMIX_DATA_DIR")
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "data", "cifar-10-batches-bin")
	}
	if _, err := os.Stat(filepath.Join(dir, TestFile)); err != nil {
		t.Skipf("real CIFAR-10 data not found: %v", err)
	}
	return dir
}

func TestRealTestBatch(t *testing.T) {
	d, err := LoadTest(realDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Len(), 10000; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}

	// The first record of test_batch.bin is a cat.
	if got, want := d.Labels[0], uint8(3); got != want {
		t.Errorf("Labels[0] = %d, want %d (cat)", got, want)
	}

	var counts [NumClasses]int
	for _, label := range d.Labels {
		counts[label]++
	}
	for label, got := range counts {
		if want := 1000; got != want {
			t.Errorf("test images of class %d = %d, want %d", label, got, want)
		}
	}

	a, b := SplitGroups(d)
	if got, want := a.Len(), 5000; got != want {
		t.Errorf("group A Len() = %d, want %d", got, want)
	}
	if got, want := b.Len(), 5000; got != want {
		t.Errorf("group B Len() = %d, want %d", got, want)
	}
}

func TestRealTrainBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 150 MB; skipped with -short")
	}
	d, err := LoadTrain(realDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Len(), 50000; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := cap(d.Images), 50000*ImageBytes; got != want {
		t.Errorf("cap(Images) = %d, want %d (one allocation)", got, want)
	}
}
