// Package browser starts headless Chromium and builds the site for the
// browser tests and the measurement command.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is the path of the browser in Debian's chromium package.
const DefaultChromium = "/usr/bin/chromium"

// ErrNoChromium reports that the browser is not installed.
var ErrNoChromium = errors.New("browser: chromium not found: install it with .ci/browser-deps.sh")

// Find returns path if it is an executable file, or ErrNoChromium.
func Find(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w (looked for %s)", ErrNoChromium, path)
	}
	return path, nil
}

// Start launches headless Chromium with a fresh profile in userDataDir and
// returns a chromedp context for one tab. The flags keep the browser from
// reaching any network on its own: no component updates, no sync, no
// background requests. Cancel the context to stop the browser.
func Start(ctx context.Context, execPath, userDataDir string) (context.Context, context.CancelFunc, error) {
	allocator, cancelAllocator := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000),
	)
	tab, cancelTab := chromedp.NewContext(allocator)
	cancel := func() {
		cancelTab()
		cancelAllocator()
	}
	// The first Run starts the browser; it must not have a deadline.
	if err := chromedp.Do(tab); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("browser: starting %s: %w", execPath, err)
	}
	return tab, cancel, nil
}

// BuildWasm compiles the wasm program of the module at repoRoot into outPath.
func BuildWasm(ctx context.Context, repoRoot, outPath string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", outPath, "./wasm")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("browser: GOOS=js GOARCH=wasm go build ./wasm: %w\n%s", err, output)
	}
	return nil
}

// WasmExecPath returns the wasm_exec.js of the Go toolchain on PATH.
func WasmExecPath(ctx context.Context) (string, error) {
	output, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("browser: go env GOROOT: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(output)), "lib", "wasm", "wasm_exec.js"), nil
}

// WaitForResultJS is a JavaScript function expression. Called with an
// <unmix-demo> element, the names of images A and B as the element reports
// them ("cat #3" or a file name), a ratio and a timeout in milliseconds, it
// returns a promise of the element's first result for those inputs. It
// rejects with the element's state and error text on timeout.
const WaitForResultJS = `(element, a, b, ratio, timeout) => new Promise((resolve, reject) => {
	const start = performance.now();
	const check = () => {
		const r = element.lastResult;
		if (r && r.inputs.a === a && r.inputs.b === b && Math.abs(r.inputs.ratio - ratio) < 1e-9) {
			resolve({probsA: r.probsA, probsB: r.probsB, classesA: r.classesA, classesB: r.classesB,
				millis: r.millis, roundTripMillis: r.roundTripMillis, preset: r.preset,
				firstPredictionMillis: element.firstPredictionMillis || 0});
			return;
		}
		if (performance.now() - start > timeout) {
			const error = element.shadowRoot.querySelector(".error");
			reject(new Error("no result for " + a + " + " + b + " at ratio " + ratio + " after " + timeout +
				" ms; state " + element.dataset.state + "; error: " + (error ? error.textContent : "")));
			return;
		}
		setTimeout(check, 100);
	};
	check();
})`
