package site

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// History is history.json laid out as a table: one row per epoch and one
// column per numeric field, nested fields joined with spaces ("val loss").
// The table follows whatever fields the trainer wrote, so a new metric shows
// up without a change here.
type History struct {
	Command string
	Columns []string
	Rows    [][]string
}

// loadHistory reads history.json. It takes either a list of per-epoch
// objects or an object with such a list under any key, plus an optional
// "command" string.
func loadHistory(path string) (*History, error) {
	var raw any
	ok, err := readJSON(path, &raw)
	if err != nil || !ok {
		return nil, err
	}

	history := &History{}
	epochs, found := raw.([]any)
	if object, isObject := raw.(map[string]any); isObject {
		if command, ok := object["command"].(string); ok {
			history.Command = command
		}
		for _, key := range sortedKeys(object) {
			if list, ok := object[key].([]any); ok && len(list) > 0 {
				if _, ok := list[0].(map[string]any); ok {
					epochs, found = list, true
					break
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("site: %s has no list of per-epoch objects: write one object per epoch", path)
	}

	rows := make([]map[string]float64, 0, len(epochs))
	columns := map[string]bool{}
	for i, epoch := range epochs {
		object, ok := epoch.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("site: %s: epoch %d is a %T, want an object", path, i+1, epoch)
		}
		row := map[string]float64{}
		flatten("", object, row)
		for name := range row {
			columns[name] = true
		}
		rows = append(rows, row)
	}

	history.Columns = orderColumns(columns)
	for _, row := range rows {
		cells := make([]string, len(history.Columns))
		for i, name := range history.Columns {
			if v, ok := row[name]; ok {
				cells[i] = formatNumber(name, v)
			}
		}
		history.Rows = append(history.Rows, cells)
	}
	return history, nil
}

// flatten copies the numbers of object into out, naming nested values by
// their path joined with spaces.
func flatten(prefix string, object map[string]any, out map[string]float64) {
	for key, value := range object {
		name := strings.TrimSpace(prefix + " " + strings.ReplaceAll(key, "_", " "))
		switch v := value.(type) {
		case float64:
			out[name] = v
		case map[string]any:
			flatten(name, v, out)
		}
	}
}

// orderColumns puts "epoch" first and sorts the rest by name.
func orderColumns(columns map[string]bool) []string {
	names := make([]string, 0, len(columns))
	for name := range columns {
		if name != "epoch" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if columns["epoch"] {
		names = append([]string{"epoch"}, names...)
	}
	return names
}

func formatNumber(column string, v float64) string {
	switch {
	case strings.Contains(column, "accuracy") && v >= 0 && v <= 1:
		return percent(v)
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatInt(int64(v), 10)
	case strings.Contains(column, "rate") || math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	default:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
}

func sortedKeys(object map[string]any) []string {
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// marshalIndent is json.MarshalIndent with a trailing newline.
func marshalIndent(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
