package trainsample

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
)

// syntheticTrain returns perClass*2 images of each class whose bytes encode
// the record number, so a round trip can be checked byte by byte.
func syntheticTrain(perClass int) *cifar.Dataset {
	d := &cifar.Dataset{}
	for i := range cifar.NumClasses * perClass * 2 {
		image := make([]byte, cifar.ImageBytes)
		for p := range image {
			image[p] = byte(i*7 + p*13)
		}
		d.Images = append(d.Images, image...)
		d.Labels = append(d.Labels, uint8(i%cifar.NumClasses))
	}
	return d
}

func TestBuildEncodeDecodeRoundTrip(t *testing.T) {
	train := syntheticTrain(3)
	sample, err := Build(train, "synthetic", 3)
	if err != nil {
		t.Fatal(err)
	}
	spritePNG, indexJSON, err := sample.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, index, err := Decode(spritePNG, indexJSON)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 30 {
		t.Fatalf("Decode returned %d images, want 30", got.Len())
	}
	for c := range cifar.NumClasses {
		for j := range 3 {
			record := index.Records[c][j]
			if train.Labels[record] != uint8(c) {
				t.Errorf("records[%d][%d] = %d has label %d, want %d", c, j, record, train.Labels[record], c)
			}
			k := c*3 + j
			if got.Labels[k] != uint8(c) {
				t.Errorf("image %d has label %d, want %d", k, got.Labels[k], c)
			}
			if !bytes.Equal(got.Image(k), train.Image(record)) {
				t.Errorf("image %d (class %d tile %d) differs from record %d", k, c, j, record)
			}
		}
	}
}

func TestBuildSpreadsOverTheFiles(t *testing.T) {
	sample, err := Build(syntheticTrain(5), "synthetic", 2)
	if err != nil {
		t.Fatal(err)
	}
	// Class 0 has records 0, 10, ..., 90; two picks spaced evenly are 0 and 50.
	if got := sample.Index.Records[0]; len(got) != 2 || got[0] != 0 || got[1] != 50 {
		t.Errorf("records of class 0 = %v, want [0 50]", got)
	}
}

func TestBuildRejects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perClass int
		want     string
	}{
		{"zero", 0, "positive"},
		{"too many", 100, "use a smaller count"},
	} {
		if _, err := Build(syntheticTrain(1), "synthetic", tc.perClass); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build(perClass %d) error = %v, want one containing %q", tc.name, tc.perClass, err, tc.want)
		}
	}
}

func TestDecodeRejectsMismatch(t *testing.T) {
	sample, err := Build(syntheticTrain(2), "synthetic", 2)
	if err != nil {
		t.Fatal(err)
	}
	spritePNG, _, err := sample.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		sprite []byte
		index  string
		want   string
	}{
		{"not JSON", spritePNG, "{", IndexFile},
		{"wrong tile", spritePNG, `{"tile": 16, "perClass": 2, "classNames": ["a","b","c","d","e","f","g","h","i","j"]}`, "tile 16"},
		{"wrong count", spritePNG, `{"tile": 32, "perClass": 3, "classNames": ["a","b","c","d","e","f","g","h","i","j"]}`, "3 images per class"},
		{"not PNG", []byte("GIF89a"), `{"tile": 32, "perClass": 2, "classNames": ["a","b","c","d","e","f","g","h","i","j"]}`, SpriteFile},
	} {
		_, _, err := Decode(tc.sprite, []byte(tc.index))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Decode error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestCommittedSampleMatchesData checks the committed sprite against the
// CIFAR-10 files when they are present.
func TestCommittedSampleMatchesData(t *testing.T) {
	dir := filepath.Join("..", "static", "trainsample")
	spritePNG, err := os.ReadFile(filepath.Join(dir, SpriteFile))
	if err != nil {
		t.Fatal(err)
	}
	indexJSON, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	got, index, err := Decode(spritePNG, indexJSON)
	if err != nil {
		t.Fatal(err)
	}
	if index.PerClass != DefaultPerClass {
		t.Errorf("the committed sample has %d images per class, want DefaultPerClass %d", index.PerClass, DefaultPerClass)
	}

	dataDir := os.Getenv("UNMIX_DATA_DIR")
	if dataDir == "" {
		dataDir = filepath.Join("..", "..", "..", "shared", "data", "cifar-10-batches-bin")
	}
	if _, err := os.Stat(filepath.Join(dataDir, cifar.TrainFiles[0])); err != nil {
		t.Skipf("CIFAR-10 training files not found in %s (set UNMIX_DATA_DIR): %v", dataDir, err)
	}
	train, err := cifar.LoadTrain(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for c := range cifar.NumClasses {
		for j, record := range index.Records[c] {
			if k := c*index.PerClass + j; !bytes.Equal(got.Image(k), train.Image(record)) {
				t.Fatalf("tile %d of class %d differs from training record %d", j, c, record)
			}
		}
	}
}
