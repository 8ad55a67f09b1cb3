package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unmix/unmix/native/internal/app"
	"github.com/unmix/unmix/shared/cifar"
)

// testRoot is a folder shared by the package's tests: the generated data set
// and the training run that several tests read. TestMain removes it.
var testRoot string

func TestMain(m *testing.M) {
	// Run sets this too, but tests also open backends before calling Run.
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir, err := os.MkdirTemp("", "unmix-app-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runApp calls app.Run and returns what it wrote to stdout and stderr.
func runApp(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = app.Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// Records per generated batch file. Each file contains every label, so both
// groups have images of all five classes in training, validation and test.
const (
	recordsPerTrainFile = 60
	recordsPerTestFile  = 100
)

// writeTinyCIFAR writes a small CIFAR-10 folder in the binary format:
// data_batch_1.bin to data_batch_5.bin and test_batch.bin, with random
// pixels and labels cycling through 0-9.
func writeTinyCIFAR(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	files := map[string]int{cifar.TestFile: recordsPerTestFile}
	for _, name := range cifar.TrainFiles {
		files[name] = recordsPerTrainFile
	}
	for name, records := range files {
		data := make([]byte, records*cifar.RecordBytes)
		for i := range records {
			record := data[i*cifar.RecordBytes : (i+1)*cifar.RecordBytes]
			record[0] = byte(i % cifar.NumClasses)
			for j := 1; j < len(record); j++ {
				record[j] = byte(rng.IntN(256))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tinyDataDir returns the generated CIFAR-10 folder, writing it on first use.
func tinyDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testRoot, "cifar-10-batches-bin")
	if _, err := os.Stat(filepath.Join(dir, cifar.TestFile)); err != nil {
		writeTinyCIFAR(t, dir)
	}
	return dir
}

// writePNG writes a width x height PNG of random pixels and returns its path.
func writePNG(t *testing.T, dir, name string, width, height int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.Set(x, y, color.RGBA{R: uint8(rng.IntN(256)), G: uint8(rng.IntN(256)), B: uint8(rng.IntN(256)), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantStdout string
		wantStderr string
	}{
		{"no arguments", nil, nil, "Commands:", ""},
		{"help", []string{"help"}, nil, "Commands:", ""},
		{"long help flag", []string{"--help"}, nil, "unmix <command> [flags]", ""},
		{"unknown command", []string{"fit"}, app.ErrUsage, "", `unknown command "fit"`},
		{"data without download", []string{"data"}, app.ErrUsage, "", "unmix data download"},
		{"train help", []string{"train", "-h"}, nil, "", "-steps-per-epoch"},
		{"eval help", []string{"eval", "-h"}, nil, "", "-rounds"},
		{"predict help", []string{"predict", "-h"}, nil, "", "-mixed"},
		{"export without flags", []string{"export"}, app.ErrUsage, "", "Usage: unmix export"},
		{"unknown flag", []string{"train", "--epoch", "3"}, app.ErrUsage, "", "flag provided but not defined: -epoch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runApp(t, tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(%q) error = %v, want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("Run(%q) stdout = %q, want it to contain %q", tt.args, stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) stderr = %q, want it to contain %q", tt.args, stderr, tt.wantStderr)
			}
		})
	}
}

// TestRunRejectsBadFlagValues covers values that parse but are invalid: the
// error must name the flag and the value. None of these reach the data or a
// backend.
func TestRunRejectsBadFlagValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero batch", []string{"train", "--batch", "0"}, "--batch 0"},
		{"negative batch", []string{"train", "--batch", "-8"}, "--batch -8"},
		{"negative learning rate", []string{"train", "--lr", "-1"}, "--lr -1"},
		{"zero steps per epoch", []string{"train", "--steps-per-epoch", "0"}, "--steps-per-epoch 0"},
		{"zero epochs", []string{"train", "--epochs", "0"}, "--epochs 0"},
		{"learning rate factor of one", []string{"train", "--lr-factor", "1"}, "--lr-factor 1"},
		{"validation fraction of one", []string{"train", "--val-fraction", "1"}, "--val-fraction 1"},
		{"zero validation mixtures", []string{"train", "--val-mixtures", "0"}, "--val-mixtures 0"},
		{"negative calibration mixtures", []string{"train", "--bn-calibration", "-1"}, "--bn-calibration -1"},
		{"unknown train preset", []string{"train", "--preset", "huge"}, `unknown preset "huge"`},
		{"unknown eval preset", []string{"eval", "--preset", "huge"}, `"huge"`},
		{"zero eval rounds", []string{"eval", "--rounds", "0"}, "--rounds 0"},
		{"zero eval batch", []string{"eval", "--batch", "0"}, "--batch 0"},
		{"predict ratio above one", []string{"predict", "--ratio", "2", "a.png", "b.png"}, "--ratio 2"},
		{"predict one image", []string{"predict", "only.png"}, "got 1 images"},
		{"predict mixed and two images", []string{"predict", "--mixed", "m.png", "a.png", "b.png"}, "--mixed and 2 more images"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runApp(t, tt.args...)
			if err == nil {
				t.Fatalf("Run(%q) succeeded, want an error containing %q", tt.args, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run(%q) error = %q, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestRunMissingDataFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	weights := filepath.Join(t.TempDir(), "weights.unmixw")
	if err := os.WriteFile(weights, []byte("placeholder"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"train", []string{"train", "--preset", "tiny", "--backend", "go", "--data-dir", missing, "--out", t.TempDir()}},
		// eval reads the weights file before the data, so it needs one that
		// exists. It decodes the file only after the data loads.
		{"eval", []string{"eval", "--weights", weights, "--backend", "go", "--data-dir", missing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runApp(t, tt.args...)
			if err == nil {
				t.Fatalf("Run(%q) succeeded, want an error for the missing data folder", tt.args)
			}
			for _, want := range []string{missing, "unmix data download"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run(%q) error = %q, want it to contain %q", tt.args, err, want)
				}
			}
		})
	}
}

func TestBackendsListsPureGo(t *testing.T) {
	stdout, _, err := runApp(t, "backends")
	if err != nil {
		t.Fatalf("Run(backends): %v", err)
	}
	if !strings.Contains(stdout, "go ") {
		t.Errorf("Run(backends) stdout = %q, want a line for the go backend", stdout)
	}
}

func TestDataDownloadSkipsPresentData(t *testing.T) {
	dir := tinyDataDir(t)

	stdout, _, err := runApp(t, "data", "download", "--data-dir", dir, "--url", "http://127.0.0.1:1/unused.tar.gz")
	if err != nil {
		t.Fatalf("data download into a folder with the data: %v", err)
	}
	if want := "already in " + dir; !strings.Contains(stdout, want) {
		t.Errorf("data download stdout = %q, want it to contain %q", stdout, want)
	}
}
