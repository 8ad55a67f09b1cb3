package plot

import (
	"image"
	_ "image/png" // registers the PNG decoder with image.DecodeConfig
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkPNG fails unless path is a PNG image of width × height pixels.
func checkPNG(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	config, format, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if format != "png" {
		t.Errorf("format of %s = %q, want png", path, format)
	}
	if config.Width != width || config.Height != height {
		t.Errorf("size of %s = %dx%d, want %dx%d", path, config.Width, config.Height, width, height)
	}
}

// sampleHistory returns n epochs of plausible training values.
func sampleHistory(n int) History {
	var h History
	for i := range n {
		progress := float64(i) / float64(max(n-1, 1))
		h.Epochs = append(h.Epochs, Epoch{
			Epoch:          i + 1,
			TrainLoss:      1.6 - 1.2*progress,
			ValLoss:        1.5 - 0.9*progress,
			TrainAccuracyA: 0.3 + 0.6*progress,
			TrainAccuracyB: 0.35 + 0.6*progress,
			ValAccuracyA:   0.3 + 0.5*progress,
			ValAccuracyB:   0.35 + 0.5*progress,
			LearningRate:   1e-3 * math.Pow(0.5, float64(i/10)),
		})
	}
	return h
}

func TestWriteHistoryPNG(t *testing.T) {
	for _, epochs := range []int{1, 2, 40} {
		path := filepath.Join(t.TempDir(), "history.png")
		if err := WriteHistoryPNG(path, sampleHistory(epochs)); err != nil {
			t.Fatalf("%d epochs: %v", epochs, err)
		}
		checkPNG(t, path, 1440, 432)
	}
}

func TestWriteHistoryPNGErrors(t *testing.T) {
	nanLoss := sampleHistory(3)
	nanLoss.Epochs[1].ValLoss = math.NaN()
	infRate := sampleHistory(3)
	infRate.Epochs[2].LearningRate = math.Inf(1)

	tests := []struct {
		name     string
		history  History
		path     string
		wantText string
	}{
		{"empty", History{}, "history.png", "history has no epochs"},
		{"NaN loss", nanLoss, "history.png", "epoch 2: val loss is NaN"},
		{"infinite rate", infRate, "history.png", "epoch 3: learning rate is +Inf"},
		{"missing folder", sampleHistory(2), filepath.Join("missing", "history.png"), "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteHistoryPNG(filepath.Join(dir, tt.path), tt.history)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantText)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("folder contains %d entries after a failed write, want none", len(entries))
			}
		})
	}
}

var groupA = []string{"airplane", "automobile", "bird", "cat", "deer"}

func TestWriteConfusionPNG(t *testing.T) {
	tests := []struct {
		name   string
		matrix [][]int
	}{
		{"typical", [][]int{
			{1700, 120, 90, 60, 30},
			{100, 1800, 40, 30, 30},
			{150, 50, 1400, 200, 200},
			{80, 60, 250, 1350, 260},
			{40, 20, 210, 230, 1500},
		}},
		{"all zero", [][]int{{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "confusion.png")
			if err := WriteConfusionPNG(path, "Head A (test set)", groupA, tt.matrix); err != nil {
				t.Fatal(err)
			}
			checkPNG(t, path, 576, 576)
		})
	}
}

func TestWriteConfusionPNGErrors(t *testing.T) {
	square := func(n int) [][]int {
		m := make([][]int, n)
		for i := range m {
			m[i] = make([]int, n)
		}
		return m
	}
	shortRow := square(5)
	shortRow[3] = shortRow[3][:4]
	negative := square(5)
	negative[1][2] = -1

	tests := []struct {
		name     string
		names    []string
		matrix   [][]int
		wantText string
	}{
		{"no names", nil, square(5), "has no class names"},
		{"4 rows", groupA, square(4), "has 4 rows for 5 class names"},
		{"nil matrix", groupA, nil, "has 0 rows for 5 class names"},
		{"short row", groupA, shortRow, "row 3 has 4 columns for 5 class names"},
		{"negative count", groupA, negative, "cell [1][2] is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteConfusionPNG(filepath.Join(dir, "confusion.png"), "title", tt.names, tt.matrix)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantText)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("folder contains %d entries after a rejected matrix, want none", len(entries))
			}
		})
	}
}

func TestShortTicksLabelsDistinct(t *testing.T) {
	ticks := shortTicks{}.Ticks(1.5, 1.6)
	seen := make(map[string]bool)
	for _, tick := range ticks {
		if tick.Label == "" {
			continue
		}
		if seen[tick.Label] {
			t.Errorf("tick label %q appears twice in %v, want distinct labels", tick.Label, ticks)
		}
		seen[tick.Label] = true
	}
	if len(seen) < 2 {
		t.Errorf("got %d labeled ticks for [1.5, 1.6], want at least 2", len(seen))
	}
}

func TestPanelConstantCurveRange(t *testing.T) {
	h := History{Epochs: []Epoch{{Epoch: 1, LearningRate: 0.001}, {Epoch: 2, LearningRate: 0.001}}}
	p, err := newPanel(h, "Learning rate", "learning rate", []series{
		{"learning rate", func(e Epoch) float64 { return e.LearningRate }, colorOther, false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Y.Min-0.0009) > 1e-12 || math.Abs(p.Y.Max-0.0011) > 1e-12 {
		t.Errorf("Y range = [%v, %v], want [0.0009, 0.0011] around the constant 0.001", p.Y.Min, p.Y.Max)
	}
}
