package site

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// File names inside one preset's folder under shared/models.
const (
	WeightsFile    = "weights.unmixw"
	EvalFile       = "eval.json"
	TrainFile      = "train.json"
	HistoryFile    = "history.json"
	HistoryPlot    = "history.png"
	ConfusionPlotA = "confusion_a.png"
	ConfusionPlotB = "confusion_b.png"
)

// Model describes one trained preset found under the models folder. Every
// field comes from the files there, so the pages show what was measured.
type Model struct {
	Preset string
	Dir    string

	// WeightsPath is "" when the folder has no weights file.
	WeightsPath  string
	WeightsBytes int64
	Parameters   int64
	Config       model.Config

	Eval     *Eval     // nil without eval.json
	Training *Training // nil without train.json
	History  *History  // nil without history.json
	Plots    []Plot    // the PNG files that exist, in display order
}

// Eval is the content of eval.json, as `unmix eval -out` writes it: the
// evaluation protocol's result and how it was produced.
type Eval struct {
	Preset          string         `json:"preset"`
	WeightsSHA256   string         `json:"weights_sha256"`
	ForwardGFLOPs   float64        `json:"forward_gflops"`
	Backend         string         `json:"backend"`
	Device          string         `json:"device"`
	Machine         string         `json:"machine"`
	Command         string         `json:"command"`
	Seconds         float64        `json:"seconds"`
	ImagesPerSecond float64        `json:"images_per_second"`
	Date            string         `json:"date"`
	Result          mixture.Result `json:"result"`
}

// Training is the content of train.json, the summary `unmix train` writes
// when a run ends.
type Training struct {
	Command           string  `json:"command"`
	Backend           string  `json:"backend"`
	Device            string  `json:"device"`
	Machine           string  `json:"machine"`
	EpochsDone        int     `json:"epochs_done"`
	BestEpoch         int     `json:"best_epoch"`
	TrainSeconds      float64 `json:"train_seconds"`
	MixturesPerSecond float64 `json:"mixtures_per_second"`
	Stopped           string  `json:"stopped"`
	Date              string  `json:"date"`
	Recipe            struct {
		BatchSize    int     `json:"batch_size"`
		LearningRate float64 `json:"learning_rate"`
	} `json:"recipe"`
}

// Plot is one image of a model's folder.
type Plot struct {
	File  string // name inside the preset folder
	Title string
	Path  string // source path on disk
	URL   string // set by the generator: path relative to the site root
}

// LoadModels reads every preset folder under dir, sorted by name. A folder
// counts when it has a weights file or an eval.json. A missing dir is not an
// error: the site then has no model to show.
func LoadModels(dir string) ([]Model, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site: reading the models folder: %w", err)
	}

	var models []Model
	for _, entry := range entries {
		if !entry.IsDir() {
			continue
		}
		m, ok, err := loadModel(filepath.Join(dir, entry.Name()))
		if err != nil {
			return nil, err
		}
		if ok {
			models = append(models, m)
		}
	}
	sort.Slice(models, func(i, j int) bool { return models[i].Preset < models[j].Preset })
	return models, nil
}

func loadModel(dir string) (Model, bool, error) {
	m := Model{Preset: filepath.Base(dir), Dir: dir}

	weightsPath := filepath.Join(dir, WeightsFile)
	if data, err := os.ReadFile(weightsPath); err == nil {
		weights, err := model.DecodeWeights(data)
		if err != nil {
			return m, false, fmt.Errorf("site: %s: %w", weightsPath, err)
		}
		m.WeightsPath, m.WeightsBytes, m.Config = weightsPath, int64(len(data)), weights.Config
		for _, v := range weights.Variables {
			m.Parameters += product(v.Shape)
		}
		if weights.Config.Preset != "" {
			m.Preset = weights.Config.Preset
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return m, false, fmt.Errorf("site: %w", err)
	}

	var eval Eval
	switch ok, err := readJSON(filepath.Join(dir, EvalFile), &eval); {
	case err != nil:
		return m, false, err
	case ok:
		eval.Command, eval.Device = WithoutLocalPaths(eval.Command), WithoutLocalPaths(eval.Device)
		m.Eval = &eval
	}

	var training Training
	switch ok, err := readJSON(filepath.Join(dir, TrainFile), &training); {
	case err != nil:
		return m, false, err
	case ok:
		training.Command, training.Device = WithoutLocalPaths(training.Command), WithoutLocalPaths(training.Device)
		m.Training = &training
	}

	history, err := loadHistory(filepath.Join(dir, HistoryFile))
	if err != nil {
		return m, false, err
	}
	m.History = history

	for _, plot := range []Plot{
		{File: HistoryPlot, Title: "Training curves"},
		{File: ConfusionPlotA, Title: "Confusion matrix, group A"},
		{File: ConfusionPlotB, Title: "Confusion matrix, group B"},
	} {
		plot.Path = filepath.Join(dir, plot.File)
		if _, err := os.Stat(plot.Path); err == nil {
			m.Plots = append(m.Plots, plot)
		}
	}
	return m, m.WeightsPath != "" || m.Eval != nil, nil
}

// readJSON decodes path into v. It returns false, without an error, when the
// file does not exist.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("site: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("site: %s: %w", path, err)
	}
	return true, nil
}

func product(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

// HasWeights reports whether the browser can run the model.
func (m Model) HasWeights() bool { return m.WeightsPath != "" }

// Title returns the preset name with its first letter upper-cased.
func (m Model) Title() string {
	if m.Preset == "" {
		return ""
	}
	return strings.ToUpper(m.Preset[:1]) + m.Preset[1:]
}

// absolutePath matches an absolute file path inside a command line or a
// device description, such as the data folder or the PJRT plugin file.
// The path starts a word: it follows the start, a space, "(", "=" or a quote.
var absolutePath = regexp.MustCompile(`(^|[\s(="'])(/[^\s()"',]+)`)

// WithoutLocalPaths shortens absolute paths of the machine that trained or
// evaluated a model to their last element, so the published page does not
// show that machine's folder layout.
func WithoutLocalPaths(text string) string {
	return absolutePath.ReplaceAllStringFunc(text, func(match string) string {
		at := strings.IndexByte(match, '/')
		return match[:at] + path.Base(match[at:])
	})
}
