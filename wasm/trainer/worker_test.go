package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unmix/unmix/shared/model"
)

// message is one message the worker posted, with its bytes.
type message struct {
	value any
	data  []byte
}

// startWorker runs a worker on band data and returns a function that sends
// a request and waits for its reply, and the events the worker posts. setup,
// when not nil, runs before the worker starts.
func startWorker(t *testing.T, setup func(w *worker)) (call func(op string, args any, buffers ...[]byte) reply, events <-chan event) {
	t.Helper()
	posted := make(chan message, 1024)
	w := newWorker(newTestBackend(t), func(value any, data []byte) { posted <- message{value, data} })
	w.data = bandData(4)
	if setup != nil {
		setup(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.loop(ctx)

	eventCh := make(chan event, 1024)
	replies := make(chan message, 16)
	go func() {
		for m := range posted {
			switch v := m.value.(type) {
			case reply:
				replies <- m
			case event:
				eventCh <- v
			}
		}
	}()

	nextID := 0
	call = func(op string, args any, buffers ...[]byte) reply {
		t.Helper()
		nextID++
		raw, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		w.enqueue(request{ID: nextID, Op: op, Args: raw, Buffers: buffers})
		select {
		case m := <-replies:
			r := m.value.(reply)
			if r.ID != nextID {
				t.Fatalf("%s: got the reply to request %d, want %d", op, r.ID, nextID)
			}
			if m.data != nil {
				r.Result = m.data
			}
			return r
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: no reply after 2 minutes", op)
			return reply{}
		}
	}
	return call, eventCh
}

func TestWorkerTrainsPausesAndExports(t *testing.T) {
	call, events := startWorker(t, nil)

	if r := call("start", nil); r.OK || !strings.Contains(r.Error, "no run is set up") {
		t.Errorf("start before new: reply %+v, want the no-run error", r)
	}
	r := call("new", map[string]any{"preset": "tiny", "learningRate": 3e-3, "batchSize": 4, "seed": 2})
	if !r.OK {
		t.Fatalf("new: %s", r.Error)
	}
	if r := call("start", nil); !r.OK {
		t.Fatalf("start: %s", r.Error)
	}
	var progress *Progress
	for progress == nil || progress.Steps < 2 {
		select {
		case e := <-events:
			if e.Type == "stopped" {
				t.Fatalf("training stopped: %s", e.Error)
			}
			progress = e.Progress
		case <-time.After(2 * time.Minute):
			t.Fatal("no progress after 2 minutes")
		}
	}
	r = call("pause", nil)
	if !r.OK {
		t.Fatalf("pause: %s", r.Error)
	}
	paused := r.Result.(Progress)
	if paused.Running || paused.Steps < 2 || paused.Preset != "tiny" {
		t.Errorf("after pause: running %v, %d steps, preset %q; want paused, >= 2 steps, tiny", paused.Running, paused.Steps, paused.Preset)
	}
	time.Sleep(100 * time.Millisecond)
	if r := call("progress", nil); r.Result.(Progress).Steps != paused.Steps {
		t.Errorf("the run took steps while paused: %d, then %d", paused.Steps, r.Result.(Progress).Steps)
	}

	r = call("weights", nil)
	if !r.OK {
		t.Fatalf("weights: %s", r.Error)
	}
	file, err := model.DecodeWeights(r.Result.([]byte))
	if err != nil {
		t.Fatalf("the exported weights do not decode: %v", err)
	}
	if file.Config.Preset != "tiny" || len(file.State) != 0 {
		t.Errorf("exported weights: preset %q with %d bytes of state, want tiny without state", file.Config.Preset, len(file.State))
	}
}

func TestWorkerRejectsBadWeights(t *testing.T) {
	call, _ := startWorker(t, nil)

	r := call("new", map[string]any{"preset": "tiny", "learningRate": 1e-3, "batchSize": 2, "seed": 1})
	if !r.OK {
		t.Fatalf("new: %s", r.Error)
	}
	// The weights of a run that has taken no step are its initial ones.
	r = call("weights", nil)
	if !r.OK {
		t.Fatalf("weights: %s", r.Error)
	}
	tiny := r.Result.([]byte)
	corrupt := append([]byte{}, tiny...)
	corrupt[len(corrupt)/2] ^= 0xff

	for _, tc := range []struct {
		name    string
		preset  string
		weights []byte
		want    []string
	}{
		{"corrupt", "tiny", corrupt, []string{"mine.unmixw", "checksum mismatch"}},
		{"other preset", "slim", tiny, []string{"mine.unmixw", `preset "tiny"`, `preset "slim"`}},
		{"not weights", "tiny", []byte("<html>not found</html>"), []string{"not an Unmix weights file"}},
	} {
		r := call("new", map[string]any{"preset": tc.preset, "learningRate": 1e-3, "batchSize": 2, "seed": 1, "source": "mine.unmixw"}, tc.weights)
		if r.OK {
			t.Errorf("%s: new accepted the weights", tc.name)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(r.Error, want) {
				t.Errorf("%s: error %q does not contain %q", tc.name, r.Error, want)
			}
		}
	}

	// Fine-tuning good weights of the same preset works after the errors.
	r = call("new", map[string]any{"preset": "tiny", "learningRate": 1e-3, "batchSize": 2, "seed": 1, "source": "mine.unmixw"}, tiny)
	if !r.OK {
		t.Fatalf("new with matching weights: %s", r.Error)
	}
	if got := r.Result.(Progress).FineTunedFrom; got != "mine.unmixw" {
		t.Errorf("fineTunedFrom = %q, want mine.unmixw", got)
	}
}

func TestWorkerEvaluates(t *testing.T) {
	// smallConfig is no preset, so the session is built here rather than
	// by a "new" request.
	call, events := startWorker(t, func(w *worker) {
		session, err := NewSession(w.backend, w.data, smallConfig(), smallSettings(), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		w.session = session
	})

	r := call("evaluate", map[string]int{"rounds": 2, "perRound": 40})
	if !r.OK {
		t.Fatalf("evaluate: %s", r.Error)
	}
	result := r.Result.(map[string]any)["result"]
	raw, _ := json.Marshal(result)
	var got struct {
		Rounds int     `json:"rounds"`
		Mean   float64 `json:"mean"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rounds != 2 || got.Mean < 0 || got.Mean > 1 {
		t.Errorf("evaluation result: %d rounds, mean %g; want 2 rounds and a mean in [0, 1]", got.Rounds, got.Mean)
	}
	var last event
	for len(events) > 0 {
		if e := <-events; e.Type == "evaluation" {
			last = e
		}
	}
	if last.Done != 80 || last.Total != 80 {
		t.Errorf("last evaluation event: %d of %d, want 80 of 80", last.Done, last.Total)
	}

	if r := call("evaluate", map[string]int{"rounds": 0, "perRound": 40}); r.OK {
		t.Error("evaluate accepted 0 rounds")
	}
}

func TestWorkerRejectsUnknownOp(t *testing.T) {
	call, _ := startWorker(t, nil)
	call("new", map[string]any{"preset": "tiny", "learningRate": 1e-3, "batchSize": 2})
	if r := call("explode", nil); r.OK || !strings.Contains(r.Error, "unknown operation") {
		t.Errorf("explode: reply %+v, want an unknown-operation error", r)
	}
}

func TestWorkerOffersSmallPresets(t *testing.T) {
	call, _ := startWorker(t, nil)
	r := call("info", nil)
	raw, _ := json.Marshal(r.Result)
	var got struct {
		Presets []presetInfo `json:"presets"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got.Presets {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, DefaultPreset) || slices.Contains(names, "reference") {
		t.Errorf("offered presets %v, want %s and not reference", names, DefaultPreset)
	}
	if r := call("new", map[string]any{"preset": "reference", "learningRate": 1e-3, "batchSize": 2}); r.OK || !strings.Contains(r.Error, "too slow") {
		t.Errorf("new reference: reply %+v, want a too-slow error", r)
	}
}
