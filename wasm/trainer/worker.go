package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/model"
)

// Size of the request queue. The page sends one request at a time besides
// the occasional pause, so a full queue means the page misbehaves.
const queueSize = 32

// yieldDelay is the sleep between two training steps. Under wasm the Go
// program gives the thread back to JavaScript only when every goroutine
// waits, so this sleep is when the worker receives the page's messages.
const yieldDelay = time.Millisecond

// Default size of the evaluation protocol in the browser: fewer rounds and
// mixtures than the native protocol (10 rounds of 10000), so that it takes
// about a minute.
const (
	DefaultEvalRounds   = 3
	DefaultEvalPerRound = 1000
	maxEvalMixtures     = 100_000
)

// request is one message from the page.
type request struct {
	ID      int             `json:"id"`
	Op      string          `json:"op"`
	Args    json.RawMessage `json:"args"`
	Buffers [][]byte        `json:"-"`
}

// reply is the response to one request.
type reply struct {
	ID     int    `json:"id"`
	OK     bool   `json:"ok"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// event is a message the worker sends on its own: "progress" while
// training, "evaluation" while the protocol runs, "stopped" when a step
// fails.
type event struct {
	Type     string    `json:"type"`
	Progress *Progress `json:"progress,omitempty"`
	Done     int       `json:"done,omitempty"`
	Total    int       `json:"total,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// poster sends a message to the page, with data as its bytes field when
// data is not nil.
type poster func(message any, data []byte)

// worker serves the page's requests and trains between them. One goroutine
// runs loop; only enqueue and cancelEvaluation are called from others.
type worker struct {
	backend  backends.Backend
	post     poster
	requests chan request

	data    *Data
	session *Session

	mu         sync.Mutex
	cancelEval context.CancelFunc // not nil while an evaluation runs
}

func newWorker(backend backends.Backend, post poster) *worker {
	return &worker{backend: backend, post: post, requests: make(chan request, queueSize)}
}

// enqueue hands a request to the loop without blocking, or rejects it when
// the queue is full. "cancelEvaluation" acts at once, since the loop is busy
// with the evaluation it cancels.
func (w *worker) enqueue(r request) {
	if r.Op == "cancelEvaluation" {
		w.mu.Lock()
		cancel := w.cancelEval
		w.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		w.post(reply{ID: r.ID, OK: true, Result: map[string]bool{"canceled": cancel != nil}}, nil)
		return
	}
	select {
	case w.requests <- r:
	default:
		w.post(reply{ID: r.ID, Error: fmt.Sprintf("%s: the trainer has %d requests waiting: wait for them to finish", r.Op, queueSize)}, nil)
	}
}

// loop serves requests until ctx ends, training one step at a time while
// the session runs.
func (w *worker) loop(ctx context.Context) {
	for {
		if w.session != nil && w.session.Running() {
			select {
			case r := <-w.requests:
				w.serve(r)
			case <-ctx.Done():
				return
			default:
				w.train()
				time.Sleep(yieldDelay)
			}
			continue
		}
		select {
		case r := <-w.requests:
			w.serve(r)
		case <-ctx.Done():
			return
		}
	}
}

// train runs one step, and a validation when one is due, then reports.
func (w *worker) train() {
	s := w.session
	err := recovered(func() error {
		if _, err := s.Step(); err != nil {
			return err
		}
		if s.ValidationDue() {
			if _, err := s.Validate(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.Pause()
		progress := s.TakeProgress(false)
		w.post(event{Type: "stopped", Error: err.Error(), Progress: &progress}, nil)
		return
	}
	progress := s.TakeProgress(false)
	w.post(event{Type: "progress", Progress: &progress}, nil)
}

// serve runs one request and posts its reply.
func (w *worker) serve(r request) {
	var (
		result any
		data   []byte
	)
	err := recovered(func() error {
		var err error
		result, data, err = w.handle(r)
		return err
	})
	if err != nil {
		w.post(reply{ID: r.ID, Error: fmt.Sprintf("%s: %v", r.Op, err)}, nil)
		return
	}
	w.post(reply{ID: r.ID, OK: true, Result: result}, data)
}

// recovered runs fn and turns a panic into an error, so that a bug ends one
// request and not the worker.
func recovered(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			println("unmix trainer: panic:", fmt.Sprint(r), "\n", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return fn()
}

var errNoSession = errors.New("no run is set up: choose the settings and press New run first")

func (w *worker) handle(r request) (result any, data []byte, err error) {
	switch r.Op {
	case "info":
		return info(), nil, nil
	case "loadData":
		return w.loadData(r.Buffers)
	case "new":
		return w.newSession(r)
	case "resume":
		return w.resume(r)
	case "reset":
		w.session = nil
		return map[string]bool{"reset": true}, nil, nil
	}

	if w.session == nil {
		return nil, nil, errNoSession
	}
	s := w.session
	switch r.Op {
	case "start":
		s.Start()
		return s.TakeProgress(false), nil, nil
	case "pause":
		s.Pause()
		return s.TakeProgress(false), nil, nil
	case "progress":
		return s.TakeProgress(true), nil, nil
	case "validate":
		if _, err := s.Validate(); err != nil {
			return nil, nil, err
		}
		return s.TakeProgress(false), nil, nil
	case "setLearningRate":
		var args struct {
			LearningRate float64 `json:"learningRate"`
		}
		if err := decodeArgs(r.Args, &args); err != nil {
			return nil, nil, err
		}
		if err := s.SetLearningRate(args.LearningRate); err != nil {
			return nil, nil, err
		}
		return s.TakeProgress(false), nil, nil
	case "weights":
		data, err := s.Weights()
		return map[string]any{"preset": s.Config().Preset, "images": s.state.Images}, data, err
	case "checkpoint":
		data, err := s.Checkpoint()
		return map[string]any{"preset": s.Config().Preset, "images": s.state.Images}, data, err
	case "evaluate":
		return w.evaluate(r)
	}
	return nil, nil, fmt.Errorf("unknown operation: use info, loadData, new, resume, reset, start, pause, progress, validate, setLearningRate, weights, checkpoint, evaluate or cancelEvaluation")
}

func decodeArgs(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("invalid arguments %s: %w", raw, err)
	}
	return nil
}

// presetInfo describes one preset for the settings form.
type presetInfo struct {
	Name          string  `json:"name"`
	Filters       []int   `json:"filters"`
	ForwardMFLOPs float64 `json:"forwardMFLOPs"`
}

func info() map[string]any {
	var presets []presetInfo
	for _, name := range model.PresetNames() {
		cfg, _ := model.Preset(name)
		if cfg.ForwardFLOPs() > MaxForwardFLOPs {
			continue
		}
		presets = append(presets, presetInfo{Name: name, Filters: cfg.Filters, ForwardMFLOPs: float64(cfg.ForwardFLOPs()) / 1e6})
	}
	return map[string]any{
		"presets":         presets,
		"defaults":        DefaultSettings(),
		"maxBatchSize":    MaxBatchSize,
		"maxLearningRate": MaxLearningRate,
		"evalRounds":      DefaultEvalRounds,
		"evalPerRound":    DefaultEvalPerRound,
	}
}

// loadData decodes the training and test samples: sprite and index of each.
func (w *worker) loadData(buffers [][]byte) (any, []byte, error) {
	if len(buffers) != 4 {
		return nil, nil, fmt.Errorf("got %d files, want 4: the training sample's sprite and index, then the test sample's", len(buffers))
	}
	data, err := LoadData(buffers[0], buffers[1], buffers[2], buffers[3])
	if err != nil {
		return nil, nil, err
	}
	w.data = data
	return map[string]any{"images": data.Summary(), "classNames": cifar.ClassNames}, nil, nil
}

// newArgs are the arguments of "new". The optional first buffer holds
// weights to fine-tune, named by Source.
type newArgs struct {
	Settings
	Source string `json:"source"`
}

func (w *worker) newSession(r request) (any, []byte, error) {
	if w.data == nil {
		return nil, nil, errors.New("the training images are not loaded: call loadData first")
	}

	args := newArgs{Settings: DefaultSettings()}
	if err := decodeArgs(r.Args, &args); err != nil {
		return nil, nil, err
	}
	cfg, err := model.Preset(args.Preset)
	if err != nil {
		return nil, nil, err
	}
	if cfg.ForwardFLOPs() > MaxForwardFLOPs {
		return nil, nil, fmt.Errorf("preset %q needs %.2f GFLOP per image, too slow to train in the browser: choose a preset of at most %.2f GFLOP",
			cfg.Preset, float64(cfg.ForwardFLOPs())/1e9, MaxForwardFLOPs/1e9)
	}

	var initial *model.WeightsFile
	if len(r.Buffers) > 0 && r.Buffers[0] != nil {
		if args.Source == "" {
			args.Source = "the weights file"
		}
		if initial, err = model.DecodeWeights(r.Buffers[0]); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", args.Source, err)
		}
	}

	session, err := NewSession(w.backend, w.data, cfg, args.Settings, initial, args.Source)
	if err != nil {
		return nil, nil, err
	}
	w.session = session
	return session.TakeProgress(true), nil, nil
}

func (w *worker) resume(r request) (any, []byte, error) {
	if w.data == nil {
		return nil, nil, errors.New("the training images are not loaded: call loadData first")
	}
	if len(r.Buffers) == 0 || r.Buffers[0] == nil {
		return nil, nil, errors.New("no saved run given: pass the bytes of a checkpoint")
	}
	session, err := ResumeSession(w.backend, w.data, r.Buffers[0])
	if err != nil {
		return nil, nil, fmt.Errorf("the saved run: %w", err)
	}
	w.session = session
	return session.TakeProgress(true), nil, nil
}

// evaluate runs the protocol, posting "evaluation" events and giving the
// page a chance to cancel after each batch.
func (w *worker) evaluate(r request) (any, []byte, error) {
	args := struct {
		Rounds   int `json:"rounds"`
		PerRound int `json:"perRound"`
	}{DefaultEvalRounds, DefaultEvalPerRound}
	if err := decodeArgs(r.Args, &args); err != nil {
		return nil, nil, err
	}
	if args.Rounds < 1 || args.PerRound < 1 || args.Rounds*args.PerRound > maxEvalMixtures {
		return nil, nil, fmt.Errorf("%d rounds of %d mixtures: use positive counts, at most %d mixtures in all", args.Rounds, args.PerRound, maxEvalMixtures)
	}
	s := w.session
	wasRunning := s.Running()
	s.Pause()
	defer func() {
		if wasRunning {
			s.Start()
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	w.mu.Lock()
	w.cancelEval = cancel
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.cancelEval = nil
		w.mu.Unlock()
		cancel()
	}()

	start := time.Now()
	result, err := s.Evaluate(ctx, args.Rounds, args.PerRound, func(done, total int) {
		w.post(event{Type: "evaluation", Done: done, Total: total}, nil)
		time.Sleep(yieldDelay)
	})
	if errors.Is(err, context.Canceled) {
		return nil, nil, errors.New("canceled")
	}
	if err != nil {
		return nil, nil, err
	}
	return map[string]any{"result": result, "seconds": time.Since(start).Seconds(), "images": s.state.Images}, nil, nil
}
