package cifar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// TrainFiles are the names of the five training batch files, 10000 records
// each, in the order LoadTrain concatenates them.
var TrainFiles = [...]string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
	"data_batch_4.bin", "data_batch_5.bin",
}

// TestFile is the name of the test batch file, 10000 records.
const TestFile = "test_batch.bin"

// missingDataHint ends the errors for a missing data file or folder.
const missingDataHint = `run "unmix data download" or pass --data-dir with the folder that contains ` + TestFile

// Dataset is a set of CIFAR images and their labels.
type Dataset struct {
	// Images contains Len() images of ImageBytes bytes each, back to back. Each
	// image keeps the file's planar layout [3, 32, 32]: the red plane, then
	// green, then blue, each row-major.
	Images []byte
	// Labels contains one label per image: 0-9 as read from a file, or 0-4 (the
	// index within the group) after SplitGroups.
	Labels []uint8
}

// Len returns the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// Image returns the ImageBytes bytes of image i in planar layout [3, 32, 32].
// The slice shares memory with d.Images. Image panics if i is out of range.
func (d *Dataset) Image(i int) []byte {
	start := i * ImageBytes
	return d.Images[start : start+ImageBytes : start+ImageBytes]
}

// Subset returns a new Dataset with copies of the images and labels at the
// given indices, in that order. It panics if an index is out of range.
func (d *Dataset) Subset(indices []int) *Dataset {
	sub := &Dataset{
		Images: make([]byte, 0, len(indices)*ImageBytes),
		Labels: make([]uint8, 0, len(indices)),
	}
	for _, i := range indices {
		sub.Images = append(sub.Images, d.Image(i)...)
		sub.Labels = append(sub.Labels, d.Labels[i])
	}
	return sub
}

// Parse decodes the contents of one CIFAR-10 binary batch file. The name
// identifies the file in error messages. Parse rejects an empty file, a size
// that is not a multiple of RecordBytes and a label above 9.
func Parse(name string, data []byte) (*Dataset, error) {
	d := &Dataset{}
	if err := parseInto(d, name, data); err != nil {
		return nil, err
	}
	return d, nil
}

// parseInto appends the records of data to d. It validates all of data
// before it appends anything, so d is unchanged when it returns an error.
func parseInto(d *Dataset, name string, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("cifar: %s: file is empty; a CIFAR-10 batch file contains records of %d bytes (1 label byte and %d image bytes)",
			name, RecordBytes, ImageBytes)
	}
	if len(data)%RecordBytes != 0 {
		return fmt.Errorf("cifar: %s: size %d is not a multiple of %d; the file is truncated or is not a CIFAR-10 binary batch, so download the data set again",
			name, len(data), RecordBytes)
	}

	n := len(data) / RecordBytes
	for i := range n {
		offset := i * RecordBytes
		if label := data[offset]; label >= NumClasses {
			return fmt.Errorf("cifar: %s: record %d (byte offset %d) has label %d, want 0 to %d; the file is corrupt or from another data set",
				name, i, offset, label, NumClasses-1)
		}
	}

	d.Images = slices.Grow(d.Images, n*ImageBytes)
	d.Labels = slices.Grow(d.Labels, n)
	for i := range n {
		record := data[i*RecordBytes : (i+1)*RecordBytes]
		d.Labels = append(d.Labels, record[0])
		d.Images = append(d.Images, record[1:]...)
	}
	return nil
}

// ReadFile reads and parses one CIFAR-10 binary batch file.
func ReadFile(path string) (*Dataset, error) {
	d := &Dataset{}
	if err := readInto(d, path); err != nil {
		return nil, err
	}
	return d, nil
}

func readInto(d *Dataset, path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cifar: %w; %s", err, missingDataHint)
	}
	if err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	return parseInto(d, path, data)
}

// LoadTrain reads the five training batches (50000 images) from dir, the
// folder that contains data_batch_1.bin to data_batch_5.bin.
func LoadTrain(dir string) (*Dataset, error) {
	return load(dir, TrainFiles[:])
}

// LoadTest reads the test batch (10000 images) from dir, the folder that
// contains test_batch.bin.
func LoadTest(dir string) (*Dataset, error) {
	return load(dir, []string{TestFile})
}

func load(dir string, names []string) (*Dataset, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cifar: data folder %s not found; %s", dir, missingDataHint)
	}
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("cifar: data path %s is not a folder; %s", dir, missingDataHint)
	}

	// Size the buffers from the file sizes so that appending five batches
	// does not copy the images again at each step.
	total := int64(0)
	for _, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		if err == nil {
			total += info.Size()
		}
	}
	records := int(total / RecordBytes)
	d := &Dataset{
		Images: make([]byte, 0, records*ImageBytes),
		Labels: make([]uint8, 0, records),
	}

	for _, name := range names {
		if err := readInto(d, filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}
	return d, nil
}
