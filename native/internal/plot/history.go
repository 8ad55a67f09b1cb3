package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Epoch is the record of one training epoch. TrainLoss and ValLoss are the
// loss the trainer minimizes, on training and on validation mixtures.
// Accuracies are fractions in [0, 1].
type Epoch struct {
	Epoch          int     `json:"epoch"`
	TrainLoss      float64 `json:"train_loss"`
	ValLoss        float64 `json:"val_loss"`
	TrainAccuracyA float64 `json:"train_accuracy_a"`
	TrainAccuracyB float64 `json:"train_accuracy_b"`
	ValAccuracyA   float64 `json:"val_accuracy_a"`
	ValAccuracyB   float64 `json:"val_accuracy_b"`
	LearningRate   float64 `json:"learning_rate"`
}

// History is the per-epoch record of a training run, in epoch order.
type History struct {
	Epochs []Epoch `json:"epochs"`
}

// Size of the history figure: three panels side by side, 1440x432 pixels.
const (
	historyWidth  = 15 * vg.Inch
	historyHeight = 4.5 * vg.Inch
)

// Colors of head A and head B, the first two of matplotlib's "tab10" palette.
var (
	colorA = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorB = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	// colorOther is the color of curves that belong to neither head.
	colorOther = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// WriteHistoryPNG draws h as a PNG file at path with three panels side by
// side: the training and validation loss, the training and validation
// accuracy of each head, and the learning rate, all against the epoch. It
// returns an error for an empty history or a value that is NaN or infinite.
func WriteHistoryPNG(path string, h History) error {
	if err := validateHistory(h); err != nil {
		return err
	}

	panels, err := historyPanels(h)
	if err != nil {
		return err
	}

	canvas := newCanvas(historyWidth, historyHeight)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Inch / 4, PadTop: vg.Inch / 8,
		PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	cells := plot.Align([][]*plot.Plot{panels}, tiles, draw.New(canvas))
	for i, p := range panels {
		p.Draw(cells[0][i])
	}
	return writePNG(path, canvas)
}

func validateHistory(h History) error {
	if len(h.Epochs) == 0 {
		return fmt.Errorf("plot: history has no epochs; record at least one epoch before plotting")
	}
	for _, e := range h.Epochs {
		for _, field := range []struct {
			name  string
			value float64
		}{
			{"train loss", e.TrainLoss}, {"val loss", e.ValLoss},
			{"train accuracy A", e.TrainAccuracyA}, {"train accuracy B", e.TrainAccuracyB},
			{"val accuracy A", e.ValAccuracyA}, {"val accuracy B", e.ValAccuracyB},
			{"learning rate", e.LearningRate},
		} {
			if math.IsNaN(field.value) || math.IsInf(field.value, 0) {
				return fmt.Errorf("plot: epoch %d: %s is %v; a plot needs finite values, so check the training run for divergence",
					e.Epoch, field.name, field.value)
			}
		}
	}
	return nil
}

// series is one curve of a panel.
type series struct {
	name   string
	value  func(Epoch) float64
	color  color.Color
	dashed bool
}

func historyPanels(h History) ([]*plot.Plot, error) {
	// Loss falls and accuracy rises during training, so the top right and the
	// bottom right corner are usually free for the legend.
	loss, err := newPanel(h, "Loss", "loss", []series{
		{"train", func(e Epoch) float64 { return e.TrainLoss }, colorA, false},
		{"val", func(e Epoch) float64 { return e.ValLoss }, colorA, true},
	})
	if err != nil {
		return nil, err
	}
	loss.Legend.Top = true

	accuracy, err := newPanel(h, "Accuracy", "accuracy", []series{
		{"train A", func(e Epoch) float64 { return e.TrainAccuracyA }, colorA, false},
		{"val A", func(e Epoch) float64 { return e.ValAccuracyA }, colorA, true},
		{"train B", func(e Epoch) float64 { return e.TrainAccuracyB }, colorB, false},
		{"val B", func(e Epoch) float64 { return e.ValAccuracyB }, colorB, true},
	})
	if err != nil {
		return nil, err
	}
	accuracy.Y.Min, accuracy.Y.Max = 0, 1

	learningRate, err := newPanel(h, "Learning rate", "learning rate", []series{
		{"learning rate", func(e Epoch) float64 { return e.LearningRate }, colorOther, false},
	})
	if err != nil {
		return nil, err
	}

	return []*plot.Plot{loss, accuracy, learningRate}, nil
}

// newPanel returns a plot of the given series against the epoch, each
// drawn as a line with a marker at every epoch so a single epoch shows too.
func newPanel(h History, title, yLabel string, curves []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = yLabel
	p.Y.Tick.Marker = shortTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.XOffs = -vg.Millimeter

	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, curve := range curves {
		points := make(plotter.XYs, len(h.Epochs))
		for i, e := range h.Epochs {
			points[i] = plotter.XY{X: float64(e.Epoch), Y: curve.value(e)}
			minY, maxY = min(minY, points[i].Y), max(maxY, points[i].Y)
		}
		line, markers, err := plotter.NewLinePoints(points)
		if err != nil {
			return nil, fmt.Errorf("plot: %s panel, %s curve: %w", title, curve.name, err)
		}

		line.Color = curve.color
		line.Width = vg.Points(1.5)
		if curve.dashed {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		markers.Color = curve.color
		markers.Radius = vg.Points(2)
		markers.Shape = draw.CircleGlyph{}

		p.Add(line, markers)
		// The title names a lone curve, so it gets no legend.
		if len(curves) > 1 {
			p.Legend.Add(curve.name, line)
		}
	}

	// gonum pads the axis of a constant curve by ±1, which shows a learning
	// rate of 0.001 as 0, so give it a range around its value.
	if minY == maxY {
		pad := math.Abs(minY) / 10
		if pad == 0 {
			pad = 1
		}
		p.Y.Min, p.Y.Max = minY-pad, maxY+pad
	}
	return p, nil
}

// shortTicks places ticks as plot.DefaultTicks does but labels them with
// four significant digits. plot.DefaultTicks rounds some labels too much,
// so that a range from 1.5 to 1.6 reads 1.5, 1.6, 1.6.
type shortTicks struct{}

func (shortTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 4, 64)
		}
	}
	return ticks
}
