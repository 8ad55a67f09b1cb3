package mixture

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
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
	if _, err := os.Stat(filepath.Join(dir, cifar.TestFile)); err != nil {
		t.Skipf("real CIFAR-10 data not found: %v", err)
	}
	return dir
}

func TestSplitRealTrainData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 150 MB; skipped with -short")
	}
	d, err := cifar.LoadTrain(realDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cifar.SplitGroups(d)

	for _, group := range []struct {
		name string
		d    *cifar.Dataset
	}{{"A", a}, {"B", b}} {
		train, val := Split(group.d, 0.1, 1)
		if got, want := train.Len(), 22500; got != want {
			t.Errorf("group %s: train.Len() = %d, want %d", group.name, got, want)
		}
		if got, want := val.Len(), 2500; got != want {
			t.Errorf("group %s: val.Len() = %d, want %d", group.name, got, want)
		}
	}
}

func TestEvaluateRealTestConstant(t *testing.T) {
	d, err := cifar.LoadTest(realDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cifar.SplitGroups(d)

	r, err := Evaluate(context.Background(), constantPredict, a, b, 2, 2000, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Mean < 0.18 || r.Mean > 0.22 {
		t.Errorf("Mean = %v for a constant predictor on the test set, want 0.2 ± 0.02", r.Mean)
	}
}
