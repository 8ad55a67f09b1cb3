//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/hack-pad/safejs"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

// service holds the loaded model. JavaScript calls may overlap while one of
// them waits on a fetch, so the fields are guarded by mu.
type service struct {
	mu        sync.Mutex
	backend   backends.Backend
	predictor *model.Predictor
	source    string // the URL or "bytes" the weights came from
}

var errNotLoaded = errors.New("no model is loaded: call load(url) and wait for it to finish first")

// load fetches a weights file, or takes its bytes, and builds the predictor.
//
//	load(url: string | ArrayBuffer | Uint8Array) -> Promise<{preset, bytes, millis}>
func (s *service) load(args []safejs.Value) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("load: got %d arguments, want 1: the URL of a .unmixw weights file, or its bytes", len(args))
	}
	start := time.Now()

	var (
		weights []byte
		source  string
		err     error
	)
	if args[0].Type() == safejs.TypeString {
		source, err = args[0].String()
		if err != nil {
			return nil, fmt.Errorf("load: reading the URL: %w", err)
		}
		weights, err = fetchBytes(source)
	} else {
		source = "bytes"
		weights, err = bytesOf("weights", args[0])
	}
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.backend == nil {
		s.backend, err = model.NewSimpleGoBackend()
		if err != nil {
			return nil, fmt.Errorf("load: starting the simplego backend: %w", err)
		}
	}
	predictor, err := model.LoadPredictor(s.backend, weights)
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", source, err)
	}
	s.predictor, s.source = predictor, source

	return map[string]any{
		"preset": predictor.Preset(),
		"bytes":  len(weights),
		"millis": millisSince(start),
	}, nil
}

// predict mixes two images and names both classes.
//
//	predict(imageA, imageB, ratio = 0.5) -> Promise<result>
//
// ratio is the weight of imageA: the model input is ratio*A + (1-ratio)*B.
func (s *service) predict(args []safejs.Value) (any, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, fmt.Errorf("predict: got %d arguments, want imageA, imageB and an optional ratio", len(args))
	}
	a, err := imageArg("imageA", args[0])
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	b, err := imageArg("imageB", args[1])
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	ratio := 0.5
	if len(args) == 3 {
		if ratio, err = ratioArg(args[2]); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
	}
	mixed, err := mixture.Mix(a, b, float32(ratio))
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return s.run("predict", mixed)
}

// predictMixed names both classes in an image that is already a mix.
//
//	predictMixed(image) -> Promise<result>
func (s *service) predictMixed(args []safejs.Value) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("predictMixed: got %d arguments, want 1: a 32x32 image", len(args))
	}
	mixed, err := imageArg("image", args[0])
	if err != nil {
		return nil, fmt.Errorf("predictMixed: %w", err)
	}
	return s.run("predictMixed", mixed)
}

// run predicts one mixed image. The result is
//
//	{preset, probsA: number[5], probsB: number[5], classesA: string[5],
//	 classesB: string[5], mixed: Uint8ClampedArray (32x32 RGBA), millis}
//
// where millis is the time spent in the model.
func (s *service) run(name string, mixed []float32) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.predictor == nil {
		return nil, fmt.Errorf("%s: %w", name, errNotLoaded)
	}

	start := time.Now()
	probsA, probsB, err := s.predictor.Predict(mixed, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	millis := millisSince(start)
	if len(probsA) != model.NumClasses || len(probsB) != model.NumClasses {
		return nil, fmt.Errorf("%s: model returned %d and %d probabilities, want %d per head", name, len(probsA), len(probsB), model.NumClasses)
	}

	mixedRGBA, err := bytesToJS(rgbaFromPixels(mixed))
	if err != nil {
		return nil, fmt.Errorf("%s: copying the mixed image to JavaScript: %w", name, err)
	}
	return map[string]any{
		"preset":   s.predictor.Preset(),
		"probsA":   floats(probsA),
		"probsB":   floats(probsB),
		"classesA": names(cifar.GroupA.ClassNames()),
		"classesB": names(cifar.GroupB.ClassNames()),
		"mixed":    mixedRGBA,
		"millis":   millis,
	}, nil
}

// info reports what is loaded, without waiting.
//
//	info() -> Promise<{loaded, preset, source}>
func (s *service) info([]safejs.Value) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.predictor == nil {
		return map[string]any{"loaded": false, "preset": "", "source": ""}, nil
	}
	return map[string]any{"loaded": true, "preset": s.predictor.Preset(), "source": s.source}, nil
}

func floats(values []float32) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = float64(v)
	}
	return out
}

func names(classes [cifar.GroupSize]string) []any {
	out := make([]any, len(classes))
	for i, n := range classes {
		out[i] = n
	}
	return out
}

func millisSince(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()) / 1000
}
