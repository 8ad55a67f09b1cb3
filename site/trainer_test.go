package site

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unmix/unmix/site/trainsample"
	"github.com/unmix/unmix/wasm/web"
)

// buildFixtureTrainerSite renders the fixture site with stand-in wasm
// programs, the trainer's included.
func buildFixtureTrainerSite(t *testing.T) string {
	t.Helper()
	inputs := t.TempDir()
	paths := map[string]string{
		"unmix.wasm":   "\x00asm stand-in for the golden test",
		"trainer.wasm": "\x00asm stand-in trainer for the golden test",
		"wasm_exec.js": "// stand-in wasm_exec.js\n",
	}
	for name, content := range paths {
		if err := os.WriteFile(filepath.Join(inputs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "public")
	err := Build(context.Background(), Options{
		OutDir:          out,
		ModelsDir:       fixtureModels(t),
		WasmPath:        filepath.Join(inputs, "unmix.wasm"),
		WasmExecPath:    filepath.Join(inputs, "wasm_exec.js"),
		TrainerWasmPath: filepath.Join(inputs, "trainer.wasm"),
		SiteURL:         "https://unmix.test",
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out
}

func TestTrainerPageMatchesGolden(t *testing.T) {
	out := buildFixtureTrainerSite(t)
	got, err := os.ReadFile(filepath.Join(out, "trainer", "index.html"))
	if err != nil {
		t.Fatalf("the build wrote no trainer page: %v", err)
	}
	golden := filepath.Join("testdata", "golden", "trainer-index.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v: run go test ./site -run TestTrainerPageMatchesGolden -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("trainer/index.html differs from %s; if the change is intended, run go test ./site -run TestTrainerPageMatchesGolden -update\n%s",
			golden, firstDifference(string(got), string(want)))
	}
}

func TestTrainerManifestNamesWrittenFiles(t *testing.T) {
	out := buildFixtureTrainerSite(t)
	data, err := os.ReadFile(filepath.Join(out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var manifest Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.Trainer == nil {
		t.Fatalf("the manifest has no trainer section:\n%s", data)
	}
	for name, path := range map[string]string{
		"trainer.wasm": manifest.Trainer.Wasm,
		"sprite":       manifest.Trainer.Sample.Sprite,
		"index":        manifest.Trainer.Sample.Index,
	} {
		if !strings.HasPrefix(path, "assets/") {
			t.Errorf("manifest trainer %s = %q, want a hashed path under assets/", name, path)
		}
		if _, err := os.Stat(filepath.Join(out, path)); err != nil {
			t.Errorf("manifest trainer %s: %v", name, err)
		}
	}
	sprite, _ := os.ReadFile(filepath.Join(out, manifest.Trainer.Sample.Sprite))
	index, _ := os.ReadFile(filepath.Join(out, manifest.Trainer.Sample.Index))
	if _, _, err := trainsample.Decode(sprite, index); err != nil {
		t.Errorf("the published training sample does not decode: %v", err)
	}
	for _, name := range web.TrainerFiles {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the trainer script %s was not published: %v", name, err)
		}
	}
}

func TestTrainerPageWithoutProgram(t *testing.T) {
	out := buildFixtureSite(t)
	page, err := os.ReadFile(filepath.Join(out, "trainer", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "has no trainer program") || strings.Contains(string(page), "<unmix-trainer") {
		t.Error("a build without trainer.wasm should say so on the trainer page and not load the trainer")
	}
	manifest, _ := os.ReadFile(filepath.Join(out, ManifestFile))
	if strings.Contains(string(manifest), `"trainer"`) {
		t.Errorf("a build without trainer.wasm lists a trainer in its manifest:\n%s", manifest)
	}
}

func TestTrainerBuildNamesMissingProgram(t *testing.T) {
	inputs := t.TempDir()
	wasm := filepath.Join(inputs, "unmix.wasm")
	wasmExec := filepath.Join(inputs, "wasm_exec.js")
	for _, path := range []string{wasm, wasmExec} {
		if err := os.WriteFile(path, []byte("stand-in"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := Build(context.Background(), Options{
		OutDir: filepath.Join(t.TempDir(), "public"), ModelsDir: fixtureModels(t),
		WasmPath: wasm, WasmExecPath: wasmExec, TrainerWasmPath: filepath.Join(inputs, "missing-trainer.wasm"),
	})
	if err == nil || !strings.Contains(err.Error(), "go build -o") || !strings.Contains(err.Error(), "./wasm/trainer") {
		t.Errorf("error = %v, want the command that builds the trainer program", err)
	}
}
