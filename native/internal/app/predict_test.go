package app_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/model"
)

var exported struct {
	once   sync.Once
	path   string
	stdout string
	err    error
}

// exportedWeights returns the weights file exported from the shared tiny
// run's checkpoint, exporting it on first use.
func exportedWeights(t *testing.T) string {
	t.Helper()
	run := trainedRun(t)
	exported.once.Do(func() {
		exported.path = filepath.Join(testRoot, "exported", "tiny.unmixw")
		exported.stdout, _, exported.err = runApp(t, "export", "--from", filepath.Join(run, checkpointName), "--out", exported.path)
	})
	if exported.err != nil {
		t.Fatalf("exporting the shared tiny run: %v", exported.err)
	}
	return exported.path
}

func TestExportKeepsOnlyModelVariables(t *testing.T) {
	path := exportedWeights(t)
	checkpointPath := filepath.Join(trainedRun(t), checkpointName)

	if !strings.Contains(exported.stdout, "preset tiny") {
		t.Errorf("export stdout = %q, want it to name preset tiny", exported.stdout)
	}
	exportedSize, checkpointSize := fileSize(t, path), fileSize(t, checkpointPath)
	if exportedSize >= checkpointSize {
		t.Errorf("exported weights are %d bytes, want fewer than the checkpoint's %d", exportedSize, checkpointSize)
	}

	file := decodeWeightsFile(t, path)
	if len(file.State) != 0 {
		t.Errorf("exported weights carry %d bytes of run state, want none", len(file.State))
	}
	for _, v := range file.Variables {
		if !strings.HasPrefix(v.Scope, model.ModelScope+"/") {
			t.Errorf("exported variable %s is outside %s", v.Path(), model.ModelScope)
		}
	}

	// train writes weights.unmixw with the same variables (values may differ,
	// since it keeps the best epoch's).
	trained := decodeWeightsFile(t, filepath.Join(trainedRun(t), weightsName))
	if got, want := variablePaths(file), variablePaths(trained); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exported variables = %v, want those of %s: %v", got, weightsName, want)
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("these are not weights\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"export", "--from", filepath.Join(dir, "none.unmixw"), "--out", filepath.Join(dir, "out.unmixw")}, "no such file"},
		{"text file", []string{"export", "--from", text, "--out", filepath.Join(dir, "out.unmixw")}, "not an Unmix weights file"},
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

// predictionLine matches one class line of `unmix predict`: the class name,
// its probability in percent and an optional "<" on the most likely class.
var predictionLine = regexp.MustCompile(`^\s+(\w+)\s+([0-9.]+)%\s*(<?)\s*$`)

func TestPredictPrintsBothHeads(t *testing.T) {
	weights := exportedWeights(t)
	dir := t.TempDir()
	imageA := writePNG(t, dir, "a.png", 32, 32, 1)
	imageB := writePNG(t, dir, "b.png", 48, 40, 2) // not square: predict crops and resizes
	tests := []struct {
		name string
		args []string
	}{
		{"two images", []string{"predict", "--backend", "go", "--weights", weights, imageA, imageB}},
		{"mixed image", []string{"predict", "--backend", "go", "--weights", weights, "--mixed", imageA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runApp(t, tt.args...)
			if err != nil {
				t.Fatalf("Run(%q): %v\nstderr:\n%s", tt.args, err, stderr)
			}
			checkPrediction(t, stdout)
		})
	}
}

// checkPrediction checks that stdout lists each head's five classes in
// order with probabilities summing to 100% and marks the predicted class.
func checkPrediction(t *testing.T, stdout string) {
	t.Helper()
	heads := []struct {
		title string
		names []string
	}{
		{"head A", cifar.ClassNames[:cifar.GroupSize]},
		{"head B", cifar.ClassNames[cifar.GroupSize:]},
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if got, want := len(lines), len(heads)*(1+cifar.GroupSize); got != want {
		t.Fatalf("predict printed %d lines, want %d:\n%s", got, want, stdout)
	}
	for h, head := range heads {
		block := lines[h*(1+cifar.GroupSize) : (h+1)*(1+cifar.GroupSize)]
		title, predicted, ok := strings.Cut(strings.TrimSpace(block[0]), ": ")
		if !ok || title != head.title {
			t.Errorf("line %q, want %q followed by the predicted class", block[0], head.title+": ")
			continue
		}
		sum := 0.0
		for i, line := range block[1:] {
			m := predictionLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s line %q does not read as a class and a percentage", head.title, line)
				continue
			}
			if m[1] != head.names[i] {
				t.Errorf("%s class %d = %q, want %q", head.title, i, m[1], head.names[i])
			}
			percent, _ := strconv.ParseFloat(m[2], 64)
			sum += percent
			if marked := m[3] == "<"; marked != (m[1] == predicted) {
				t.Errorf("%s line %q: marked %v, want the mark on the predicted class %q only", head.title, line, marked, predicted)
			}
		}
		if sum < 99.9 || sum > 100.1 {
			t.Errorf("%s probabilities sum to %.2f%%, want 100%%", head.title, sum)
		}
	}
}

func TestPredictErrors(t *testing.T) {
	weights := exportedWeights(t)
	dir := t.TempDir()
	imageA := writePNG(t, dir, "a.png", 32, 32, 1)
	imageB := writePNG(t, dir, "b.png", 32, 32, 2)
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("a text file, not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.unmixw")
	if err := os.WriteFile(truncated, data[:len(data)-100], 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"text file as image", []string{"predict", "--backend", "go", "--weights", weights, imageA, text}, []string{text, "not a supported image"}},
		{"missing image", []string{"predict", "--backend", "go", "--weights", weights, imageA, filepath.Join(dir, "none.png")}, []string{"none.png", "no such file"}},
		{"truncated weights", []string{"predict", "--backend", "go", "--weights", truncated, imageA, imageB}, []string{"truncated or corrupt"}},
		{"text file as weights", []string{"predict", "--backend", "go", "--weights", text, imageA, imageB}, []string{"not an Unmix weights file"}},
		{"missing weights", []string{"predict", "--backend", "go", "--weights", filepath.Join(dir, "none.unmixw"), imageA, imageB}, []string{"none.unmixw", "no such file"}},
		{"unknown preset", []string{"predict", "--backend", "go", "--preset", "huge", imageA, imageB}, []string{`unknown preset "huge"`}},
		{"unknown backend", []string{"predict", "--backend", "tpu", "--weights", weights, imageA, imageB}, []string{`unknown backend "tpu"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runApp(t, tt.args...)
			if err == nil {
				t.Fatalf("Run(%q) succeeded, want an error containing %q", tt.args, tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run(%q) error = %q, want it to contain %q", tt.args, err, want)
				}
			}
		})
	}
}

func decodeWeightsFile(t *testing.T, path string) *model.WeightsFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := model.DecodeWeights(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return file
}

func variablePaths(file *model.WeightsFile) []string {
	paths := make([]string, len(file.Variables))
	for i, v := range file.Variables {
		paths[i] = v.Path()
	}
	return paths
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
