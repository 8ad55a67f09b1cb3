package plot

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of the confusion matrix figure, 576x576 pixels.
const confusionSide = 6 * vg.Inch

// WriteConfusionPNG draws matrix as a labeled heat map with the count in
// each cell and writes it as a PNG file at path. Row i of matrix counts the
// images of true class classNames[i] and column j those predicted as
// classNames[j]. The true classes run down the vertical axis, first class at
// the top. matrix must be n×n for n class names, with no negative counts.
func WriteConfusionPNG(path string, title string, classNames []string, matrix [][]int) error {
	if err := validateConfusion(classNames, matrix); err != nil {
		return err
	}

	p, err := confusionPlot(title, classNames, matrix)
	if err != nil {
		return err
	}

	canvas := newCanvas(confusionSide, confusionSide)
	margin := vg.Inch / 8
	p.Draw(draw.Crop(draw.New(canvas), margin, -2*margin, margin, -margin))
	return writePNG(path, canvas)
}

func validateConfusion(classNames []string, matrix [][]int) error {
	n := len(classNames)
	if n == 0 {
		return fmt.Errorf("plot: confusion matrix has no class names; pass one name per row")
	}
	if len(matrix) != n {
		return fmt.Errorf("plot: confusion matrix has %d rows for %d class names; pass an n×n matrix with one row and column per class", len(matrix), n)
	}
	for i, row := range matrix {
		if len(row) != n {
			return fmt.Errorf("plot: confusion matrix row %d has %d columns for %d class names; pass an n×n matrix with one row and column per class", i, len(row), n)
		}
		for j, count := range row {
			if count < 0 {
				return fmt.Errorf("plot: confusion matrix cell [%d][%d] is %d; counts must not be negative", i, j, count)
			}
		}
	}
	return nil
}

func confusionPlot(title string, classNames []string, matrix [][]int) (*plot.Plot, error) {
	n := len(classNames)
	grid := confusionGrid(matrix)

	colors, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	heatMap := plotter.NewHeatMap(grid, colors)
	heatMap.Min = 0
	heatMap.Max = max(heatMap.Max, 1) // an all-zero matrix would divide by zero

	counts, err := countLabels(grid, heatMap.Max)
	if err != nil {
		return nil, err
	}

	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	p.Add(heatMap, counts)

	var xTicks, yTicks []plot.Tick
	for i, name := range classNames {
		xTicks = append(xTicks, plot.Tick{Value: float64(i), Label: name})
		yTicks = append(yTicks, plot.Tick{Value: float64(n - 1 - i), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xTicks)
	p.Y.Tick.Marker = plot.ConstantTicks(yTicks)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	return p, nil
}

// confusionGrid is a confusion matrix as a plotter.GridXYZ. Column c is the
// predicted class c at x = c, and grid row r is the true class n−1−r at
// y = r, so that the first true class is drawn at the top.
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g[len(g)-1-r][c]) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// countLabels returns the count of each cell of grid as text centered in
// the cell, white on cells darker than half of maxCount and black on the
// others.
func countLabels(grid confusionGrid, maxCount float64) (*plotter.Labels, error) {
	n := len(grid)
	var cells plotter.XYLabels
	for r := range n {
		for c := range n {
			cells.XYs = append(cells.XYs, plotter.XY{X: grid.X(c), Y: grid.Y(r)})
			cells.Labels = append(cells.Labels, strconv.Itoa(int(grid.Z(c, r))))
		}
	}

	labels, err := plotter.NewLabels(cells)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	for i, xy := range cells.XYs {
		style := &labels.TextStyle[i]
		style.XAlign = text.XCenter
		style.YAlign = text.YCenter
		style.Font = font.From(plotter.DefaultFont, vg.Points(11))
		style.Color = color.Black
		if grid.Z(int(xy.X), int(xy.Y)) > maxCount/2 {
			style.Color = color.White
		}
	}
	return labels, nil
}
