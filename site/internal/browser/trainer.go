package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// BuildTrainerWasm compiles the trainer program of the module at repoRoot
// into outPath.
func BuildTrainerWasm(ctx context.Context, repoRoot, outPath string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", outPath, "./wasm/trainer")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("browser: GOOS=js GOARCH=wasm go build ./wasm/trainer: %w\n%s", err, output)
	}
	return nil
}

// TrainerElementJS is a JavaScript expression for the page's first
// <unmix-trainer> element.
const TrainerElementJS = `document.querySelector("unmix-trainer")`

// TrainerProgress is the element's progress property, the counters of the
// run.
type TrainerProgress struct {
	Preset          string  `json:"preset"`
	Running         bool    `json:"running"`
	Steps           int64   `json:"steps"`
	Images          int64   `json:"images"`
	Seconds         float64 `json:"seconds"`
	StepSeconds     float64 `json:"stepSeconds"`
	ImagesPerSecond float64 `json:"imagesPerSecond"`
	LearningRate    float64 `json:"learningRate"`
	FineTunedFrom   string  `json:"fineTunedFrom"`
}

// TrainerPoint is one history point of the element.
type TrainerPoint struct {
	Images    int64   `json:"images"`
	Seconds   float64 `json:"seconds"`
	Loss      float64 `json:"loss"`
	LossA     float64 `json:"loss_a"`
	LossB     float64 `json:"loss_b"`
	AccuracyA float64 `json:"accuracy_a"`
	AccuracyB float64 `json:"accuracy_b"`
}

// TrainerSnapshot is the element's state, history and plots at one moment.
type TrainerSnapshot struct {
	State    string           `json:"state"`
	Error    string           `json:"error"`
	Progress *TrainerProgress `json:"progress"`
	Train    []TrainerPoint   `json:"train"`
	Val      []TrainerPoint   `json:"val"`
	// Points is the number of points drawn on each canvas.
	LossPoints     int `json:"lossPoints"`
	AccuracyPoints int `json:"accuracyPoints"`
}

// Trainer drives the <unmix-trainer> element of the page open in Tab.
type Trainer struct {
	Tab context.Context
}

func (t Trainer) eval(expression string, out any) error {
	raw, err := chromedp.Run(t.Tab, chromedp.Evaluate[json.RawMessage](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("browser: evaluating %.60q: %w", expression, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// WaitReady waits until the element has loaded its data, or fails.
func (t Trainer) WaitReady(timeout time.Duration) error {
	return t.WaitState(timeout, "ready")
}

// WaitState waits until the element's data-state is one of states. It
// returns an error naming the shown error when the element fails first.
func (t Trainer) WaitState(timeout time.Duration, states ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		s, err := t.Snapshot()
		if err != nil {
			return err
		}
		for _, state := range states {
			if s.State == state {
				return nil
			}
		}
		if s.State == "failed" {
			return fmt.Errorf("browser: the trainer failed: %s", s.Error)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("browser: the trainer is %q after %s, want %v; error: %q", s.State, timeout, states, s.Error)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Snapshot returns the element's state, progress, history and error.
func (t Trainer) Snapshot() (TrainerSnapshot, error) {
	var s TrainerSnapshot
	err := t.eval(`(() => {
		const el = `+TrainerElementJS+`;
		if (!el || !el.shadowRoot) { return {state: "missing"}; }
		const root = el.shadowRoot;
		const error = root.querySelector(".error");
		const points = (selector) => Number((root.querySelector(selector) || {dataset: {}}).dataset.points || 0);
		return {state: el.dataset.state || "", error: error && !error.hidden ? error.textContent : "",
			progress: el.progress, train: el.history.train, val: el.history.val,
			lossPoints: points(".plot-loss"), accuracyPoints: points(".plot-accuracy")};
	})()`, &s)
	return s, err
}

// Configure sets the settings form: preset, batch size and learning rate.
func (t Trainer) Configure(preset string, batch int, learningRate float64) error {
	return t.eval(fmt.Sprintf(`(() => {
		const root = `+TrainerElementJS+`.shadowRoot;
		const set = (selector, value) => {
			const input = root.querySelector(selector);
			input.value = value;
			if (input.value !== value) { throw new Error(selector + " has no value " + value); }
			input.dispatchEvent(new Event("change"));
		};
		set(".preset", %q);
		set(".batch", %q);
		set(".lr", %q);
		return true;
	})()`, preset, fmt.Sprint(batch), fmt.Sprint(learningRate)), nil)
}

// Click clicks the button that matches selector inside the element.
func (t Trainer) Click(selector string) error {
	return t.eval(fmt.Sprintf(`(() => {
		const button = `+TrainerElementJS+`.shadowRoot.querySelector(%q);
		if (!button) { throw new Error("no element %s"); }
		if (button.disabled) { throw new Error("%s is disabled"); }
		button.click();
		return true;
	})()`, selector, selector, selector), nil)
}

// Call awaits the element's method, such as "pause" or "validate", and
// returns the error it throws.
func (t Trainer) Call(method string) error {
	return t.eval(fmt.Sprintf(`%s.%s().then(() => true)`, TrainerElementJS, method), nil)
}

// Evaluation is the element's lastEvaluation: the evaluation protocol's
// summary.
type Evaluation struct {
	Seconds float64 `json:"seconds"`
	Images  int64   `json:"images"`
	Result  struct {
		Rounds   int     `json:"rounds"`
		PerRound int     `json:"per_round"`
		Mean     float64 `json:"mean"`
		Std      float64 `json:"std"`
		MeanA    float64 `json:"mean_a"`
		StdA     float64 `json:"std_a"`
		MeanB    float64 `json:"mean_b"`
		StdB     float64 `json:"std_b"`
	} `json:"result"`
}

// Evaluate runs the evaluation protocol and returns its result.
func (t Trainer) Evaluate() (Evaluation, error) {
	var e Evaluation
	err := t.eval(TrainerElementJS+`.evaluate().then(() => `+TrainerElementJS+`.lastEvaluation)`, &e)
	return e, err
}

// Weights returns the bytes of the .unmixw file that Download weights
// saves.
func (t Trainer) Weights() ([]byte, error) {
	var values []byte
	var numbers []int
	if err := t.eval(TrainerElementJS+`.weights().then((bytes) => Array.from(bytes))`, &numbers); err != nil {
		return nil, err
	}
	for _, n := range numbers {
		values = append(values, byte(n))
	}
	return values, nil
}
