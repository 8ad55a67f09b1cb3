package cifar

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeRecords returns batch-file bytes with one record per label. Byte j of
// image i is byte(7*i + j), so every image differs from its neighbors.
func makeRecords(labels ...uint8) []byte {
	data := make([]byte, 0, len(labels)*RecordBytes)
	for i, label := range labels {
		data = append(data, label)
		for j := range ImageBytes {
			data = append(data, byte(7*i+j))
		}
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseValid(t *testing.T) {
	labels := []uint8{0, 9, 3}
	d, err := Parse("batch.bin", makeRecords(labels...))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if got, want := d.Len(), 3; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if got, want := len(d.Images), 3*ImageBytes; got != want {
		t.Errorf("len(Images) = %d, want %d", got, want)
	}
	for i, want := range labels {
		if got := d.Labels[i]; got != want {
			t.Errorf("Labels[%d] = %d, want %d", i, got, want)
		}
	}
	for i := range 3 {
		image := d.Image(i)
		if got, want := len(image), ImageBytes; got != want {
			t.Fatalf("len(Image(%d)) = %d, want %d", i, got, want)
		}
		for _, j := range []int{0, 1023, 1024, 3071} {
			if got, want := image[j], byte(7*i+j); got != want {
				t.Errorf("Image(%d)[%d] = %d, want %d", i, j, got, want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string // substrings of the error message
	}{
		{
			name: "empty",
			data: nil,
			want: []string{"cifar: f.bin: file is empty"},
		},
		{
			name: "one plane only",
			data: make([]byte, 1024),
			want: []string{"cifar: f.bin: size 1024 is not a multiple of 3073"},
		},
		{
			name: "truncated second record",
			data: makeRecords(1, 2)[:2*RecordBytes-1],
			want: []string{"size 6145 is not a multiple of 3073"},
		},
		{
			name: "record with extra byte",
			data: append(makeRecords(1), 0),
			want: []string{"size 3074 is not a multiple of 3073"},
		},
		{
			name: "label 10 in record 1",
			data: makeRecords(4, 10, 2),
			want: []string{"cifar: f.bin: record 1 (byte offset 3073) has label 10, want 0 to 9"},
		},
		{
			name: "label 255 in record 0",
			data: makeRecords(255),
			want: []string{"record 0 (byte offset 0) has label 255"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("f.bin", tt.data)
			if err == nil {
				t.Fatalf("Parse returned %d images and no error, want an error containing %q", d.Len(), tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data_batch_1.bin")
	_, err := ReadFile(path)
	if err == nil {
		t.Fatal("ReadFile of a missing file returned no error")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %q", err)
	}
	for _, want := range []string{path, "unmix data download", "--data-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
}

func TestReadFileErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data_batch_3.bin")
	writeFile(t, path, make([]byte, 1024))
	_, err := ReadFile(path)
	if err == nil {
		t.Fatal("ReadFile of a 1024-byte file returned no error")
	}
	if want := path + ": size 1024 is not a multiple of 3073"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

// writeBatches writes five training files of two records each and a test
// file of three records into a new folder and returns it.
func writeBatches(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range TrainFiles {
		writeFile(t, filepath.Join(dir, name), makeRecords(uint8(2*i), uint8(2*i+1)))
	}
	writeFile(t, filepath.Join(dir, TestFile), makeRecords(9, 8, 7))
	return dir
}

func TestLoadTrain(t *testing.T) {
	d, err := LoadTrain(writeBatches(t))
	if err != nil {
		t.Fatalf("LoadTrain: %v", err)
	}

	if got, want := d.Len(), 10; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if got, want := len(d.Images), 10*ImageBytes; got != want {
		t.Errorf("len(Images) = %d, want %d", got, want)
	}
	for i := range 10 {
		if got, want := d.Labels[i], uint8(i); got != want {
			t.Errorf("Labels[%d] = %d, want %d (files in order data_batch_1 to 5)", i, got, want)
		}
	}
	// Image 3 is the second record of data_batch_2.bin, so its bytes start
	// at byte(7*1).
	if got, want := d.Image(3)[0], byte(7); got != want {
		t.Errorf("Image(3)[0] = %d, want %d", got, want)
	}
}

func TestLoadTest(t *testing.T) {
	d, err := LoadTest(writeBatches(t))
	if err != nil {
		t.Fatalf("LoadTest: %v", err)
	}
	if got, want := d.Len(), 3; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if got, want := d.Labels[0], uint8(9); got != want {
		t.Errorf("Labels[0] = %d, want %d", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	missingDir := filepath.Join(t.TempDir(), "nowhere")

	withoutBatch3 := writeBatches(t)
	if err := os.Remove(filepath.Join(withoutBatch3, "data_batch_3.bin")); err != nil {
		t.Fatal(err)
	}

	badBatch4 := writeBatches(t)
	writeFile(t, filepath.Join(badBatch4, "data_batch_4.bin"), makeRecords(1, 12))

	notDir := filepath.Join(t.TempDir(), "file")
	writeFile(t, notDir, []byte("x"))

	tests := []struct {
		name string
		load func(string) (*Dataset, error)
		dir  string
		want []string
	}{
		{"train missing folder", LoadTrain, missingDir, []string{"data folder " + missingDir + " not found", "unmix data download", "--data-dir"}},
		{"test missing folder", LoadTest, missingDir, []string{"data folder " + missingDir + " not found"}},
		{"train missing file", LoadTrain, withoutBatch3, []string{filepath.Join(withoutBatch3, "data_batch_3.bin"), "unmix data download"}},
		{"train bad label", LoadTrain, badBatch4, []string{"data_batch_4.bin: record 1 (byte offset 3073) has label 12"}},
		{"folder is a file", LoadTest, notDir, []string{"data path " + notDir + " is not a folder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.load(tt.dir)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestSubset(t *testing.T) {
	d, err := Parse("f.bin", makeRecords(0, 1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	sub := d.Subset([]int{3, 1})

	if got, want := sub.Len(), 2; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if got, want := sub.Labels[0], uint8(3); got != want {
		t.Errorf("Labels[0] = %d, want %d", got, want)
	}
	if got, want := sub.Image(1)[0], d.Image(1)[0]; got != want {
		t.Errorf("Image(1)[0] = %d, want %d", got, want)
	}

	sub.Images[0]++
	if sub.Image(0)[0] == d.Image(3)[0] {
		t.Error("Subset shares image memory with its source, want a copy")
	}
}
