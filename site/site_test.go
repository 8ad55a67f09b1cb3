package site

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/unmix/unmix/shared/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// fixtureModels copies testdata/models into a temporary folder and adds a
// small but valid weights file, so the pages show every field without a
// trained model.
func fixtureModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/models")); err != nil {
		t.Fatalf("copying the fixture models: %v", err)
	}

	cfg, err := model.Preset("slim")
	if err != nil {
		t.Fatal(err)
	}
	weights := &model.WeightsFile{Config: cfg, Variables: []model.WeightsVariable{{
		Scope: model.ModelScope, Name: "kernel", DType: dtypes.Float32.String(), Shape: []int{2, 3},
		Data: make([]byte, 2*3*4),
	}}}
	if err := weights.WriteFile(filepath.Join(dir, "slim", WeightsFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildFixtureSite renders the site from the fixtures with a stand-in wasm
// program, so its output depends on this repository alone.
func buildFixtureSite(t *testing.T) string {
	t.Helper()
	inputs := t.TempDir()
	wasmPath := filepath.Join(inputs, "unmix.wasm")
	wasmExecPath := filepath.Join(inputs, "wasm_exec.js")
	if err := os.WriteFile(wasmPath, []byte("\x00asm stand-in for the golden test"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wasmExecPath, []byte("// stand-in wasm_exec.js\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "public")
	err := Build(context.Background(), Options{
		OutDir:       out,
		ModelsDir:    fixtureModels(t),
		WasmPath:     wasmPath,
		WasmExecPath: wasmExecPath,
		SiteURL:      "https://unmix.test",
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out
}

func TestBuildMatchesGolden(t *testing.T) {
	out := buildFixtureSite(t)

	for _, name := range []string{"index.html", "model/index.html", "embed/index.html", "404.html", ManifestFile} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("the build wrote no %s: %v", name, err)
		}
		golden := filepath.Join("testdata", "golden", strings.ReplaceAll(name, "/", "-"))
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v: run go test ./site -run TestBuildMatchesGolden -update", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; if the change is intended, run go test ./site -run TestBuildMatchesGolden -update\n%s",
				name, golden, firstDifference(string(got), string(want)))
		}
	}
}

// firstDifference returns the first line where got and want differ.
func firstDifference(got, want string) string {
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + g + "\nwant: " + w
		}
	}
	return ""
}

func TestBuildWritesEveryLinkedFile(t *testing.T) {
	out := buildFixtureSite(t)
	link := regexp.MustCompile(`(?:href|src)="([^"#:]+)"`)

	for _, page := range []string{"index.html", "model/index.html", "embed/index.html"} {
		html, err := os.ReadFile(filepath.Join(out, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, match := range link.FindAllStringSubmatch(string(html), -1) {
			target := filepath.Join(out, filepath.Dir(page), match[1])
			if strings.HasSuffix(match[1], "/") {
				target = filepath.Join(target, "index.html")
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links %q, which the build did not write", page, match[1])
			}
		}
	}
}

func TestBuildRefusesForeignFolder(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}

	err := Build(context.Background(), Options{OutDir: out, ModelsDir: "testdata/models"})
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("Build into a folder with other files: error = %v, want one saying it is not empty", err)
	}
	if _, statErr := os.Stat(keep); statErr != nil {
		t.Errorf("Build deleted %s: %v", keep, statErr)
	}
}

func TestBuildNamesMissingWasm(t *testing.T) {
	err := Build(context.Background(), Options{
		OutDir:    filepath.Join(t.TempDir(), "public"),
		ModelsDir: "testdata/models",
		WasmPath:  filepath.Join(t.TempDir(), "missing.wasm"),
	})
	if err == nil || !strings.Contains(err.Error(), "GOOS=js GOARCH=wasm go build") {
		t.Errorf("error = %v, want the command that builds the wasm program", err)
	}
}

func TestDefaultPreset(t *testing.T) {
	withWeights := func(name string, size int64) Model {
		return Model{Preset: name, WeightsPath: name + ".unmixw", WeightsBytes: size}
	}
	for _, tc := range []struct {
		name      string
		models    []Model
		requested string
		want      string
		wantErr   bool
	}{
		{"none", nil, "", "", false},
		{"slim wins", []Model{withWeights("reference", 9), withWeights("slim", 20)}, "", "slim", false},
		{"smallest without slim", []Model{withWeights("reference", 9), withWeights("tiny", 3)}, "", "tiny", false},
		{"eval only is skipped", []Model{{Preset: "slim"}, withWeights("reference", 9)}, "", "reference", false},
		{"requested", []Model{withWeights("reference", 9), withWeights("slim", 2)}, "reference", "reference", false},
		{"requested without weights", []Model{{Preset: "slim"}}, "slim", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := defaultPreset(tc.models, tc.requested)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoadModelsReadsFixture(t *testing.T) {
	models, err := LoadModels(fixtureModels(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 1 {
		t.Fatalf("got %d models, want 1", len(models))
	}
	m := models[0]
	if m.Preset != "slim" || m.Parameters != 6 || !m.HasWeights() {
		t.Errorf("model = %s with %d parameters (weights %v), want slim with 6 and weights", m.Preset, m.Parameters, m.HasWeights())
	}
	if m.Eval == nil || m.Eval.Result.Mean != 0.775 || len(m.Eval.Result.ConfusionA) != 5 {
		t.Errorf("eval = %+v, want mean 0.775 and a 5x5 confusion matrix", m.Eval)
	}
	if m.History == nil || len(m.History.Rows) != 2 || m.History.Columns[0] != "epoch" {
		t.Errorf("history = %+v, want 2 rows with epoch first", m.History)
	}
	if len(m.Plots) != 3 {
		t.Errorf("got %d plots, want 3", len(m.Plots))
	}
}

func TestLoadModelsRejectsBadWeights(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "slim"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "slim", WeightsFile), []byte("not weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadModels(dir)
	if err == nil || !strings.Contains(err.Error(), WeightsFile) {
		t.Errorf("error = %v, want one naming %s", err, WeightsFile)
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/*", "/", true},
		{"/*", "/model/index.html", true},
		{"/assets/*", "/assets/unmix.1234.wasm", true},
		{"/assets/*", "/unmix-widget.js", false},
		{"/assets/*.wasm", "/assets/unmix.1234.wasm", true},
		{"/assets/*.wasm", "/assets/wasm_exec.1234.js", false},
		{"/unmix-*", "/unmix-widget.js", true},
		{"/unmix-*", "/assets/unmix-widget.js", false},
		{"/index.html", "/index.html", true},
	} {
		if got := matchPath(tc.pattern, tc.path); got != tc.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

func TestWithHeadersSetsWasmType(t *testing.T) {
	out := buildFixtureSite(t)
	server := httptest.NewServer(WithHeaders(http.FileServer(http.Dir(out))))
	defer server.Close()

	manifest, err := os.ReadFile(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	wasmPath := regexp.MustCompile(`"wasm": "([^"]+)"`).FindStringSubmatch(string(manifest))[1]

	for _, tc := range []struct {
		path, header, want string
	}{
		{"/" + wasmPath, "Content-Type", "application/wasm"},
		{"/" + wasmPath, "Cache-Control", "public, max-age=31536000, immutable"},
		{"/unmix-widget.js", "Access-Control-Allow-Origin", "*"},
		{"/unmix-widget.js", "Content-Type", "text/javascript; charset=utf-8"},
		{"/", "X-Content-Type-Options", "nosniff"},
	} {
		response, err := http.Get(server.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		if response.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", tc.path, response.StatusCode)
		}
		if got := response.Header.Get(tc.header); got != tc.want {
			t.Errorf("GET %s: %s = %q, want %q", tc.path, tc.header, got, tc.want)
		}
	}
}
