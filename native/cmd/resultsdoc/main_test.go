package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderFromModelFiles(t *testing.T) {
	page, err := render(filepath.Join("..", "..", "..", "site", "testdata", "models"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| slim | 0.7750 ± 0.0250 | 0.7500 ± 0.0500 | 0.8000 ± 0.0000 | 2 x 10 |",
		"per round: 0.7500, 0.8000",
		"Last epoch (2)",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}

func TestRenderWithoutEvaluation(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "slim"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := render(dir)
	if err == nil || !strings.Contains(err.Error(), "unmix eval") {
		t.Errorf("render(no eval.json) error = %v, want one pointing to unmix eval", err)
	}
}
