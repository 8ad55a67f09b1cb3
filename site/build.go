package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/a-h/templ"

	"github.com/unmix/unmix/site/samples"
	"github.com/unmix/unmix/wasm/web"
)

// static contains the stylesheet, the icon and the bundled CIFAR-10 sample.
//
//go:embed static/style.css static/favicon.svg static/samples
var static embed.FS

// ManifestFile is the name of the manifest at the site root. The widget reads
// it to find the hashed asset names.
const ManifestFile = "unmix-manifest.json"

// Options configures Build.
type Options struct {
	OutDir       string // publish folder, created or emptied
	ModelsDir    string // folder with one subfolder per preset
	WasmPath     string // the GOOS=js GOARCH=wasm build of ./wasm
	WasmExecPath string // wasm_exec.js of the Go release that built WasmPath
	// TrainerWasmPath is the GOOS=js GOARCH=wasm build of ./wasm/trainer.
	// Empty leaves the trainer out of the site.
	TrainerWasmPath string
	// SiteURL is the absolute URL of the published site, used in the embed
	// snippets. Empty means a placeholder.
	SiteURL string
	// DefaultPreset is the preset the demo loads. Empty picks "slim" if it
	// has weights, else the preset with the smallest weights file.
	DefaultPreset string
	Logger        *slog.Logger
}

// Manifest lists the files the widget loads, relative to the manifest.
type Manifest struct {
	Wasm          string           `json:"wasm"`
	WasmExec      string           `json:"wasmExec"`
	Samples       ManifestSamples  `json:"samples"`
	DefaultPreset string           `json:"defaultPreset"`
	Presets       []ManifestPreset `json:"presets"`
	Trainer       *ManifestTrainer `json:"trainer,omitempty"`
}

// ManifestSamples locates the sample sprite and its index.
type ManifestSamples struct {
	Sprite string `json:"sprite"`
	Index  string `json:"index"`
}

// ManifestPreset is one set of weights.
type ManifestPreset struct {
	Name    string `json:"name"`
	Weights string `json:"weights"`
	Bytes   int64  `json:"bytes"`
}

// builder holds the state of one Build call.
type builder struct {
	opts   Options
	logger *slog.Logger
}

// Build renders the whole site into opts.OutDir.
func Build(ctx context.Context, opts Options) error {
	b := &builder{opts: opts, logger: opts.Logger}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if err := prepareOutDir(opts.OutDir); err != nil {
		return err
	}

	models, err := LoadModels(opts.ModelsDir)
	if err != nil {
		return err
	}
	info := &Info{Models: models, SiteURL: siteURL(opts.SiteURL)}
	if info.DefaultPreset, err = defaultPreset(models, opts.DefaultPreset); err != nil {
		return err
	}

	manifest, err := b.writeAssets(info)
	if err != nil {
		return err
	}
	if err := b.writeTrainer(info, manifest); err != nil {
		return err
	}
	if err := b.writeJSON(ManifestFile, manifest); err != nil {
		return err
	}
	for _, name := range web.Files {
		data, err := fs.ReadFile(web.FS, name)
		if err != nil {
			return fmt.Errorf("site: reading embedded %s: %w", name, err)
		}
		if err := b.write(name, data); err != nil {
			return err
		}
	}
	return b.writePages(ctx, info)
}

// prepareOutDir creates dir, or empties it when it holds an earlier build.
// It refuses to empty a folder that does not look like one, so a wrong -out
// flag cannot delete unrelated files.
func prepareOutDir(dir string) error {
	if dir == "" {
		return errors.New("site: no output folder: set one, for example site/public")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("site: reading the output folder: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		return fmt.Errorf("site: output folder %s is not empty and has no %s from an earlier build: pick an empty or new folder", dir, ManifestFile)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("site: emptying the output folder: %w", err)
	}
	return os.MkdirAll(dir, 0o755)
}

func siteURL(url string) string {
	if url == "" {
		return "https://unmix.example/"
	}
	if !strings.HasSuffix(url, "/") {
		url += "/"
	}
	return url
}

// defaultPreset returns the preset the demo loads: the requested one, else
// "slim", else the smallest weights file. It returns "" when no model has
// weights.
func defaultPreset(models []Model, requested string) (string, error) {
	var withWeights []Model
	for _, m := range models {
		if m.HasWeights() {
			withWeights = append(withWeights, m)
		}
	}
	if requested != "" {
		for _, m := range withWeights {
			if m.Preset == requested {
				return requested, nil
			}
		}
		return "", fmt.Errorf("site: default preset %q has no weights file under the models folder: train it or pick another", requested)
	}
	best := ""
	var bestBytes int64
	for _, m := range withWeights {
		if m.Preset == "slim" {
			return m.Preset, nil
		}
		if best == "" || m.WeightsBytes < bestBytes {
			best, bestBytes = m.Preset, m.WeightsBytes
		}
	}
	return best, nil
}

// writeAssets copies the wasm program, wasm_exec.js, the weights, the plots
// and the static files under assets/ with content hashes in their names.
func (b *builder) writeAssets(info *Info) (*Manifest, error) {
	manifest := &Manifest{DefaultPreset: info.DefaultPreset, Presets: []ManifestPreset{}}

	wasm, err := os.ReadFile(b.opts.WasmPath)
	if err != nil {
		return nil, fmt.Errorf("site: reading the wasm program: %w: build it with GOOS=js GOARCH=wasm go build -o %s ./wasm", err, b.opts.WasmPath)
	}
	info.WasmBytes, info.WasmGzipBytes = int64(len(wasm)), gzipSize(wasm)
	if manifest.Wasm, err = b.writeHashed("unmix.wasm", wasm); err != nil {
		return nil, err
	}

	wasmExec, err := os.ReadFile(b.opts.WasmExecPath)
	if err != nil {
		return nil, fmt.Errorf("site: reading wasm_exec.js: %w: it is in $(go env GOROOT)/lib/wasm", err)
	}
	if manifest.WasmExec, err = b.writeHashed("wasm_exec.js", wasmExec); err != nil {
		return nil, err
	}

	for i := range info.Models {
		m := &info.Models[i]
		if m.HasWeights() {
			weights, err := os.ReadFile(m.WeightsPath)
			if err != nil {
				return nil, fmt.Errorf("site: %w", err)
			}
			url, err := b.writeHashed(m.Preset+".unmixw", weights)
			if err != nil {
				return nil, err
			}
			manifest.Presets = append(manifest.Presets, ManifestPreset{Name: m.Preset, Weights: url, Bytes: int64(len(weights))})
		}
		for j := range m.Plots {
			plot := &m.Plots[j]
			data, err := os.ReadFile(plot.Path)
			if err != nil {
				return nil, fmt.Errorf("site: %w", err)
			}
			if plot.URL, err = b.writeHashed(m.Preset+"-"+plot.File, data); err != nil {
				return nil, err
			}
		}
	}

	if err := b.writeStatic(info, manifest); err != nil {
		return nil, err
	}
	return manifest, nil
}

func (b *builder) writeStatic(info *Info, manifest *Manifest) error {
	var err error
	for _, file := range []struct {
		name string
		url  *string
	}{
		{"static/style.css", &info.Stylesheet},
		{"static/favicon.svg", &info.Favicon},
		{"static/samples/" + samples.SpriteFile, &manifest.Samples.Sprite},
		{"static/samples/" + samples.IndexFile, &manifest.Samples.Index},
	} {
		data, readErr := static.ReadFile(file.name)
		if readErr != nil {
			return fmt.Errorf("site: reading embedded %s: %w", file.name, readErr)
		}
		if *file.url, err = b.writeHashed(path.Base(file.name), data); err != nil {
			return err
		}
	}

	indexJSON, _ := static.ReadFile("static/samples/" + samples.IndexFile)
	spritePNG, _ := static.ReadFile("static/samples/" + samples.SpriteFile)
	sample, err := samples.Decode(spritePNG, indexJSON)
	if err != nil {
		return fmt.Errorf("site: the bundled sample: %w", err)
	}
	info.SamplesPerClass = sample.Index.PerClass
	return nil
}

// writeHashed writes data as assets/<stem>.<hash><ext> and returns that path.
func (b *builder) writeHashed(name string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	ext := path.Ext(name)
	hashed := fmt.Sprintf("assets/%s.%s%s", strings.TrimSuffix(name, ext), hex.EncodeToString(sum[:5]), ext)
	return hashed, b.write(hashed, data)
}

func (b *builder) write(name string, data []byte) error {
	full := filepath.Join(b.opts.OutDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	b.logger.Debug("wrote", "path", full, "bytes", len(data))
	return nil
}

func (b *builder) writeJSON(name string, v any) error {
	data, err := marshalIndent(v)
	if err != nil {
		return fmt.Errorf("site: encoding %s: %w", name, err)
	}
	return b.write(name, data)
}

// writePages renders the HTML pages.
func (b *builder) writePages(ctx context.Context, info *Info) error {
	for _, page := range []struct {
		file      string
		page      Page
		component func(Page) templ.Component
	}{
		{"index.html", Page{Root: "./", Path: "", Title: "Demo"}, DemoPage},
		{"model/index.html", Page{Root: "../", Path: "model/", Title: "Model"}, ModelPage},
		{"embed/index.html", Page{Root: "../", Path: "embed/", Title: "Embed"}, EmbedPage},
		{"trainer/index.html", Page{Root: "../", Path: "trainer/", Title: "Train"}, TrainerPage},
		{"404.html", Page{Root: "/", Path: "404", Title: "Not found"}, NotFoundPage},
	} {
		page.page.Site = info
		var buf bytes.Buffer
		if err := page.component(page.page).Render(ctx, &buf); err != nil {
			return fmt.Errorf("site: rendering %s: %w", page.file, err)
		}
		if err := b.write(page.file, buf.Bytes()); err != nil {
			return err
		}
	}
	b.logger.Info("site built", "out", b.opts.OutDir, "presets", len(info.Models), "default", info.DefaultPreset,
		"wasm_bytes", info.WasmBytes, "wasm_gzip_bytes", info.WasmGzipBytes)
	return nil
}

func gzipSize(data []byte) int64 {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return int64(buf.Len())
}
