package site

import (
	"fmt"
	"strconv"

	"github.com/unmix/unmix/shared/cifar"
)

// percent formats a fraction in [0, 1] as a percentage with one decimal.
func percent(v float64) string {
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

// meanStd formats a mean and standard deviation of fractions as percentages.
func meanStd(mean, std float64) string {
	return fmt.Sprintf("%.1f%% ± %.1f", 100*mean, 100*std)
}

// megabytes formats a size in bytes as MB (10^6 bytes) with one decimal.
func megabytes(n int64) string {
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

// thousands formats n with thin spaces between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u202f" + s[i:]
	}
	return s
}

// groupClasses returns the class names of group A (0) or B (1).
func groupClasses(group int) []string {
	names := cifar.Group(group).ClassNames()
	return names[:]
}

// confusionCell is one cell of a confusion table.
type confusionCell struct {
	Count int
	Share string // share of the row, as a percentage
	Heat  string // CSS class heat-0 to heat-9 by share of the row
	Title string // the counts, as a tooltip
}

// confusionRows turns a count matrix into rows of cells, each with its share
// of the true class's row.
func confusionRows(matrix [][]int) [][]confusionCell {
	rows := make([][]confusionCell, len(matrix))
	for i, counts := range matrix {
		total := 0
		for _, c := range counts {
			total += c
		}
		rows[i] = make([]confusionCell, len(counts))
		for j, c := range counts {
			share := 0.0
			if total > 0 {
				share = float64(c) / float64(total)
			}
			rows[i][j] = confusionCell{
				Count: c,
				Share: percent(share),
				Heat:  "heat-" + strconv.Itoa(min(9, int(share*10))),
				Title: fmt.Sprintf("%d of %d test blends", c, total),
			}
		}
	}
	return rows
}

// filters formats block widths as "16, 32, 64".
func filters(widths []int) string {
	s := ""
	for i, w := range widths {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(w)
	}
	return s
}

// gflops formats a FLOP count in GFLOP.
func gflops(flops int64) string {
	return strconv.FormatFloat(float64(flops)/1e9, 'f', 3, 64) + " GFLOP"
}

// fileSize formats a size in bytes with decimal units.
func fileSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	default:
		return megabytes(n)
	}
}

// backendText names the evaluation backend and, when known, its device.
func backendText(eval *Eval) string {
	if eval.Device == "" {
		return eval.Backend
	}
	return eval.Backend + " (" + eval.Device + ")"
}

// trainingText summarizes train.json in one paragraph.
func trainingText(t *Training) string {
	text := fmt.Sprintf("Trained for %d epochs (best epoch %d) in %.1f h", t.EpochsDone, t.BestEpoch, t.TrainSeconds/3600)
	if t.MixturesPerSecond > 0 {
		text += fmt.Sprintf(" at %.0f mixtures/s", t.MixturesPerSecond)
	}
	if t.Recipe.BatchSize > 0 {
		text += fmt.Sprintf(", batch %d, initial learning rate %g", t.Recipe.BatchSize, t.Recipe.LearningRate)
	}
	text += "."
	if t.Backend != "" {
		backend := t.Backend
		if t.Device != "" {
			backend += " (" + t.Device + ")"
		}
		text += " Backend: " + backend + "."
	}
	if t.Machine != "" {
		text += " Machine: " + t.Machine + "."
	}
	if t.Stopped != "" {
		text += " Stopped: " + t.Stopped + "."
	}
	if t.Date != "" {
		text += " Date: " + t.Date + "."
	}
	return text
}

// trainingCommand returns the command that trained m, from train.json or
// else from history.json, or "".
func trainingCommand(m Model) string {
	if m.Training != nil && m.Training.Command != "" {
		return m.Training.Command
	}
	if m.History != nil {
		return m.History.Command
	}
	return ""
}
