// <unmix-trainer>: trains an Unmix model in the browser, in a Web Worker
// running trainer.wasm, and plots its progress.
//
//   <script type="module" src="https://example.org/unmix-trainer.js"></script>
//   <unmix-trainer demo="../"></unmix-trainer>
//
// Attributes (all optional):
//   base  URL of the folder with unmix-manifest.json; default: the folder
//         this script was loaded from
//   demo  URL of the demo page that "Use in the demo" links to; default: base
// The element's data-state is loading, ready, starting, running, pausing,
// paused, evaluating or failed. Its properties progress (the latest
// counters), history ({train, val} points) and lastEvaluation (the
// protocol's result) are what the page shows.

import { MODEL_KEY, RUN_KEY, TRAINED_HASH, deleteEntry, loadEntry, saveEntry } from "./unmix-trainer-store.js";

const MANIFEST = "unmix-manifest.json";
const BATCH_SIZES = [8, 16, 32, 64, 128];
const CHANCE = 0.2; // accuracy of a guess among five classes

const COLORS = { trainA: "#9bb8f0", trainB: "#f2b48a", valA: "#2f6fde", valB: "#d9661f" };

const STYLE = `
:host { display: block; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--unmix-fg, #1c2330); --accent: var(--unmix-accent, #2f6fde); --muted: #647084;
  --line: #dde2ea; --bad: #c23b3b; max-width: 1040px; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.card { border: 1px solid var(--line); border-radius: 12px; padding: 14px; background: var(--unmix-bg, #fff); }
.error { color: var(--bad); background: #fdf0f0; border: 1px solid #f1c9c9; border-radius: 8px;
  padding: 6px 10px; margin-bottom: 10px; font-size: 13px; overflow-wrap: anywhere; }
.notice { background: #f3f6fb; border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px;
  margin-bottom: 10px; font-size: 13px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
form.settings { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; margin-bottom: 12px; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; color: inherit; }
input[type=number], select { border: 1px solid var(--line); border-radius: 8px; padding: 4px 8px; background: #fff; min-width: 7em; }
button { border: 1px solid var(--line); background: #f6f8fb; border-radius: 8px; padding: 5px 12px; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); min-width: 6.5em; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
.actions .spacer { flex: 1; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; margin-bottom: 12px; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; }
.stat .name { font-size: 12px; color: var(--muted); }
.stat .value { font-size: 17px; font-variant-numeric: tabular-nums; font-weight: 600; }
.stat .sub { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.plots { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
figure { margin: 0; }
figcaption { font-size: 13px; font-weight: 600; margin-bottom: 4px; }
canvas { width: 100%; height: 240px; display: block; border: 1px solid var(--line); border-radius: 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend span::before { content: ""; display: inline-block; width: 14px; height: 3px; margin-right: 5px;
  vertical-align: middle; background: var(--swatch); }
.evaluation { margin-top: 12px; font-size: 13px; }
progress { width: 220px; vertical-align: middle; }
.status { font-size: 12px; color: var(--muted); margin-top: 10px; min-height: 1.4em; font-variant-numeric: tabular-nums; }
@media (max-width: 720px) { .plots { grid-template-columns: 1fr; } }
`;

// TrainerClient sends requests to the worker and routes its replies and
// events.
class TrainerClient {
  #worker;
  #nextID = 1;
  #pending = new Map();
  #failure = null;
  onEvent = () => {};
  onExit = () => {};

  constructor(workerURL) {
    // A worker script must come from the page's origin, so a small
    // same-origin blob loads the real one, which may live elsewhere.
    const source = `importScripts(${JSON.stringify(workerURL)});`;
    const blobURL = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    this.#worker = new Worker(blobURL);
    this.#worker.onmessage = (event) => {
      URL.revokeObjectURL(blobURL);
      this.#receive(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(`the trainer worker failed: ${event.message || "it could not load " + workerURL}`);
    };
  }

  // call sends a request and resolves with {result, bytes}. The worker
  // fetches urls and passes their bytes to the Go program.
  call(op, args = {}, urls = []) {
    if (this.#failure) {
      return Promise.reject(new Error(this.#failure));
    }
    const id = this.#nextID++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args, urls });
    });
  }

  #receive(message) {
    if (!message) {
      return;
    }
    if (message.type === "exit") {
      this.#fail(`the trainer's wasm program stopped: ${message.error}; reload the page`);
      return;
    }
    if (message.type) {
      this.onEvent(message);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) {
      return;
    }
    this.#pending.delete(message.id);
    if (message.ok) {
      pending.resolve({ result: message.result, bytes: message.bytes || null });
    } else {
      pending.reject(new Error(message.error));
    }
  }

  #fail(reason) {
    this.#failure = this.#failure || reason;
    for (const { reject } of this.#pending.values()) {
      reject(new Error(this.#failure));
    }
    this.#pending.clear();
    this.#worker.terminate();
    this.onExit(this.#failure);
  }
}

class UnmixTrainer extends HTMLElement {
  #root;
  #client = null;
  #manifest = null;
  #manifestURL = null;
  #info = null;
  #started = false;
  #drawQueued = false;
  progress = null;
  history = { train: [], val: [] };
  lastEvaluation = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
  }

  connectedCallback() {
    if (this.#started) {
      return;
    }
    this.#started = true;
    this.#render();
    this.#start().catch((err) => this.#fail(err));
  }

  #$(selector) {
    return this.#root.querySelector(selector);
  }

  #render() {
    this.#root.innerHTML = `
      <style>${STYLE}</style>
      <div class="card" part="card">
        <div class="error" role="alert" hidden></div>
        <div class="notice saved-run" hidden>
          <span class="saved-run-text"></span>
          <button type="button" class="resume-saved">Resume saved run</button>
          <button type="button" class="delete-saved">Delete it</button>
        </div>
        <form class="settings">
          <label>Preset <select class="preset" disabled></select></label>
          <label>Start from <select class="source" disabled>
            <option value="scratch">random weights</option>
            <option value="shipped">the shipped weights</option>
            <option value="file">a weights file…</option>
          </select></label>
          <label class="file-label" hidden>Weights file (.unmixw) <input type="file" class="weights-file" accept=".unmixw"></label>
          <label>Learning rate <input type="number" class="lr" min="0.00001" max="0.1" step="any" value="0.002" disabled></label>
          <label>Batch size <select class="batch" disabled>${BATCH_SIZES.map((n) => `<option>${n}</option>`).join("")}</select></label>
        </form>
        <div class="actions">
          <button type="button" class="primary run" disabled>Start</button>
          <button type="button" class="reset" disabled>Reset</button>
          <button type="button" class="evaluate" disabled>Evaluate on test images</button>
          <span class="spacer"></span>
          <button type="button" class="save-run" disabled>Save run</button>
          <button type="button" class="download" disabled>Download weights</button>
          <button type="button" class="use" disabled>Use in the demo</button>
        </div>
        <div class="stats">
          ${stat("elapsed", "Elapsed")}${stat("images", "Training images")}${stat("rate", "Images per second")}
          ${stat("lr-now", "Learning rate")}${stat("train", "Training loss, A + B")}${stat("val", "Validation loss, A + B")}
          ${stat("acc-a", "Validation accuracy A")}${stat("acc-b", "Validation accuracy B")}
        </div>
        <div class="plots">
          <figure><figcaption>Loss (cross-entropy per head)</figcaption><canvas class="plot-loss" aria-label="loss plot"></canvas>
            ${legend()}</figure>
          <figure><figcaption>Accuracy (chance is 20%)</figcaption><canvas class="plot-accuracy" aria-label="accuracy plot"></canvas>
            ${legend()}</figure>
        </div>
        <div class="evaluation" hidden>
          <span class="evaluation-text"></span>
          <progress class="evaluation-progress" max="1" value="0" hidden></progress>
          <button type="button" class="cancel-evaluation" hidden>Cancel</button>
        </div>
        <div class="status" role="status" aria-live="polite"></div>
      </div>`;

    this.#$(".run").addEventListener("click", () => this.#onRun());
    this.#$(".reset").addEventListener("click", () => this.#guard(() => this.reset()));
    this.#$(".evaluate").addEventListener("click", () => this.#guard(() => this.evaluate()));
    this.#$(".cancel-evaluation").addEventListener("click", () => this.#guard(() => this.#client.call("cancelEvaluation")));
    this.#$(".download").addEventListener("click", () => this.#guard(() => this.download()));
    this.#$(".use").addEventListener("click", () => this.#guard(() => this.useInDemo()));
    this.#$(".save-run").addEventListener("click", () => this.#guard(() => this.saveRun()));
    this.#$(".resume-saved").addEventListener("click", () => this.#guard(() => this.resumeSaved()));
    this.#$(".delete-saved").addEventListener("click", () => this.#guard(async () => {
      await deleteEntry(RUN_KEY);
      await this.#showSavedRun();
    }));
    this.#$(".source").addEventListener("change", () => this.#updateSource());
    this.#$(".preset").addEventListener("change", () => this.#updateSource());
    this.#$("form").addEventListener("submit", (event) => event.preventDefault());
    document.addEventListener("visibilitychange", () => this.#queueDraw());
    new ResizeObserver(() => this.#queueDraw()).observe(this.#$(".plots"));
  }

  async #start() {
    this.#setState("loading", "Starting WebAssembly…");
    const base = new URL(this.getAttribute("base") || new URL(".", import.meta.url).href, document.baseURI);
    this.#manifestURL = new URL(MANIFEST, base);
    const response = await fetch(this.#manifestURL);
    if (!response.ok) {
      throw new Error(`fetching ${this.#manifestURL}: HTTP status ${response.status}: check the base URL`);
    }
    this.#manifest = await response.json();
    const trainer = this.#manifest.trainer;
    if (!trainer) {
      throw new Error("this build of the site has no trainer program: build trainer.wasm and rebuild the site");
    }

    this.#client = new TrainerClient(this.#url("unmix-trainer-worker.js"));
    this.#client.onEvent = (message) => this.#onEvent(message);
    this.#client.onExit = (reason) => this.#fail(new Error(reason));
    await this.#client.call("init", { wasmExec: this.#url(this.#manifest.wasmExec), wasm: this.#url(trainer.wasm) });
    this.#info = (await this.#client.call("info")).result;

    this.#setState("loading", "Loading the training images…");
    const { result } = await this.#client.call("loadData", {}, [
      this.#url(trainer.sample.sprite), this.#url(trainer.sample.index),
      this.#url(this.#manifest.samples.sprite), this.#url(this.#manifest.samples.index),
    ]);
    this.images = result.images;
    this.#renderSettings();
    await this.#showSavedRun();
    this.#setState("ready", `${result.images.train} training, ${result.images.val} validation and ` +
      `${result.images.test} test images loaded. Choose the settings and press Start.`);
    this.dispatchEvent(new CustomEvent("unmix-trainer-ready", { bubbles: true, composed: true }));
  }

  #url(path) {
    return new URL(path, this.#manifestURL).href;
  }

  #renderSettings() {
    const select = this.#$(".preset");
    select.replaceChildren();
    for (const preset of this.#info.presets) {
      const option = document.createElement("option");
      option.value = preset.name;
      option.textContent = `${preset.name} (${preset.filters.join("-")} filters, ${preset.forwardMFLOPs.toFixed(0)} MFLOP per image)`;
      select.append(option);
    }
    const defaults = this.#info.defaults;
    select.value = defaults.preset;
    this.#$(".lr").value = String(defaults.learningRate);
    this.#$(".batch").value = String(defaults.batchSize);
    this.#updateSource();
  }

  // shippedWeights returns the manifest entry of the chosen preset's
  // shipped weights, or null.
  #shippedWeights() {
    const preset = this.#$(".preset").value;
    return (this.#manifest.presets || []).find((p) => p.name === preset) || null;
  }

  #updateSource() {
    const source = this.#$(".source");
    const shipped = source.querySelector('option[value="shipped"]');
    shipped.disabled = !this.#shippedWeights();
    if (shipped.disabled && source.value === "shipped") {
      source.value = "scratch";
    }
    this.#$(".file-label").hidden = source.value !== "file";
  }

  #settings() {
    return {
      preset: this.#$(".preset").value,
      learningRate: Number(this.#$(".lr").value),
      batchSize: Number(this.#$(".batch").value),
      seed: this.#info.defaults.seed,
    };
  }

  #onRun() {
    const state = this.dataset.state;
    if (state === "ready") {
      this.#guard(() => this.start());
    } else if (state === "running") {
      this.#guard(() => this.pause());
    } else if (state === "paused") {
      this.#guard(() => this.resume());
    }
  }

  // start creates a run from the settings form and starts training.
  async start() {
    const settings = this.#settings();
    const source = this.#$(".source").value;
    let urls = [];
    let revoke = null;
    if (source === "shipped") {
      const shipped = this.#shippedWeights();
      settings.source = `the shipped ${shipped.name} weights`;
      urls = [this.#url(shipped.weights)];
    } else if (source === "file") {
      const file = this.#$(".weights-file").files[0];
      if (!file) {
        throw new Error("choose a .unmixw weights file to start from, or start from random weights");
      }
      settings.source = file.name;
      const url = URL.createObjectURL(file);
      revoke = () => URL.revokeObjectURL(url);
      urls = [url];
    }

    this.#setState("starting", `Preparing the ${settings.preset} model…`);
    try {
      const { result } = await this.#client.call("new", settings, urls);
      this.#takeProgress(result);
    } catch (err) {
      this.#setState("ready", "");
      throw err;
    } finally {
      if (revoke) {
        revoke();
      }
    }
    await this.resume();
  }

  async resume() {
    const lr = Number(this.#$(".lr").value);
    if (this.progress && Math.abs(lr - this.progress.learningRate) > 1e-12) {
      this.#takeProgress((await this.#client.call("setLearningRate", { learningRate: lr })).result);
    }
    this.#takeProgress((await this.#client.call("start")).result);
    this.#setState("running", "Training… The first step builds the model and takes longest.");
  }

  async pause() {
    this.#setState("pausing", "Pausing after the current step…");
    this.#takeProgress((await this.#client.call("pause")).result);
    this.#setState("paused", "Paused.");
  }

  async reset() {
    await this.#client.call("reset");
    this.progress = null;
    this.history = { train: [], val: [] };
    this.lastEvaluation = null;
    this.#$(".evaluation").hidden = true;
    this.#showProgress();
    this.#setState("ready", "Choose the settings and press Start.");
  }

  // validate scores the validation set now, between two steps.
  async validate() {
    this.#takeProgress((await this.#client.call("validate")).result);
  }

  // evaluate runs the evaluation protocol on the demo's test sample, with
  // training paused while it runs.
  async evaluate() {
    const previous = this.dataset.state;
    const rounds = this.#info.evalRounds;
    const perRound = this.#info.evalPerRound;
    this.#setState("evaluating", `Evaluating ${rounds} rounds of ${perRound} test mixtures…`);
    this.#showEvaluation(`Evaluating ${rounds} × ${perRound} test mixtures…`, 0, true);
    try {
      const { result } = await this.#client.call("evaluate", { rounds, perRound });
      this.lastEvaluation = result;
      const r = result.result;
      this.#showEvaluation(`Test sample, ${r.rounds} rounds of ${r.per_round} mixtures after ${count(result.images)} training images: ` +
        `mean accuracy ${percent(r.mean)} ± ${percent(r.std)} (head A ${percent(r.mean_a)} ± ${percent(r.std_a)}, ` +
        `head B ${percent(r.mean_b)} ± ${percent(r.std_b)}), ${result.seconds.toFixed(1)} s.`, null, false);
      this.dispatchEvent(new CustomEvent("unmix-trainer-evaluation", { detail: result, bubbles: true, composed: true }));
    } catch (err) {
      this.#showEvaluation(err.message === "evaluate: canceled" ? "Evaluation canceled." : "", null, false);
      if (err.message !== "evaluate: canceled") {
        throw err;
      }
    } finally {
      this.#setState(previous, previous === "running" ? "Training…" : "Paused.");
    }
  }

  // weights returns the current weights as the bytes of a .unmixw file.
  async weights() {
    const { bytes } = await this.#client.call("weights");
    return bytes;
  }

  async download() {
    const bytes = await this.weights();
    const name = `unmix-${this.progress.preset}-${this.progress.images}-images.unmixw`;
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    this.#status(`Downloaded ${name} (${kilobytes(bytes.length)}). Check it natively with unmix eval --weights ${name}.`);
  }

  // useInDemo keeps the weights in IndexedDB for the demo page.
  async useInDemo() {
    const bytes = await this.weights();
    const lastVal = this.history.val.at(-1);
    await saveEntry(MODEL_KEY, bytes, {
      preset: this.progress.preset,
      images: this.progress.images,
      seconds: this.progress.seconds,
      valAccuracy: lastVal ? (lastVal.accuracy_a + lastVal.accuracy_b) / 2 : null,
    });
    const demo = new URL(this.getAttribute("demo") || new URL(".", this.#manifestURL).href, document.baseURI);
    demo.hash = TRAINED_HASH;
    this.#status(`Saved in this browser. <a href="${demo.href}">Open the demo with your model</a>.`, true);
  }

  async saveRun() {
    const { bytes } = await this.#client.call("checkpoint");
    await saveEntry(RUN_KEY, bytes, { preset: this.progress.preset, images: this.progress.images, seconds: this.progress.seconds });
    await this.#showSavedRun();
    this.#status(`Run saved in this browser (${kilobytes(bytes.length)}): resume it after a reload with Resume saved run.`);
  }

  async resumeSaved() {
    const entry = await loadEntry(RUN_KEY);
    if (!entry) {
      throw new Error("no saved run in this browser");
    }
    const url = URL.createObjectURL(new Blob([entry.bytes]));
    this.#setState("starting", "Restoring the saved run…");
    try {
      const { result } = await this.#client.call("resume", {}, [url]);
      this.#takeProgress(result);
      this.#$(".preset").value = result.settings.preset;
      this.#$(".lr").value = String(result.settings.learningRate);
      this.#$(".batch").value = String(result.settings.batchSize);
      this.#setState("paused", `Saved run restored: ${count(result.images)} training images. Press Resume to go on.`);
    } catch (err) {
      this.#setState(this.progress ? "paused" : "ready", "");
      throw err;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async #showSavedRun() {
    const entry = await loadEntry(RUN_KEY);
    const notice = this.#$(".saved-run");
    notice.hidden = !entry;
    if (entry) {
      const m = entry.meta;
      this.#$(".saved-run-text").textContent = `A saved ${m.preset} run is in this browser: ${count(m.images)} training images, ` +
        `${duration(m.seconds)} of training, saved ${new Date(entry.savedAt).toLocaleString()}.`;
    }
    this.#updateButtons();
  }

  #onEvent(message) {
    if (message.type === "progress") {
      this.#takeProgress(message.progress);
    } else if (message.type === "stopped") {
      this.#takeProgress(message.progress);
      this.#setState("paused", "Training stopped.");
      this.#showError(message.error);
    } else if (message.type === "evaluation") {
      this.#showEvaluation(`Evaluating: ${message.done} of ${message.total} test mixtures…`, message.done / message.total, true);
    }
  }

  #takeProgress(progress) {
    if (progress.full) {
      this.history = { train: [...progress.train], val: [...progress.val] };
    } else {
      this.history.train.push(...progress.train);
      this.history.val.push(...progress.val);
    }
    this.progress = progress;
    this.#showProgress();
    this.dispatchEvent(new CustomEvent("unmix-trainer-progress", { detail: progress, bubbles: true, composed: true }));
  }

  #showProgress() {
    const p = this.progress;
    const lastTrain = this.history.train.at(-1);
    const lastVal = this.history.val.at(-1);
    this.#setStat("elapsed", p ? duration(p.seconds) : "–", p ? `${count(p.steps)} steps` : "");
    this.#setStat("images", p ? count(p.images) : "–", p ? `batch ${p.settings.batchSize}` : "");
    this.#setStat("rate", p && p.imagesPerSecond ? p.imagesPerSecond.toFixed(1) : "–", p ? `${p.preset}, training steps only` : "");
    this.#setStat("lr-now", p ? p.learningRate.toPrecision(2) : "–", p && p.fineTunedFrom ? `from ${p.fineTunedFrom}` : "AdamW");
    this.#setStat("train", lastTrain ? lastTrain.loss.toFixed(3) : "–",
      lastTrain ? `accuracy A ${percent(lastTrain.accuracy_a)}, B ${percent(lastTrain.accuracy_b)}` : "");
    this.#setStat("val", lastVal ? lastVal.loss.toFixed(3) : "–",
      lastVal ? `A ${lastVal.loss_a.toFixed(3)}, B ${lastVal.loss_b.toFixed(3)}` : "");
    this.#setStat("acc-a", lastVal ? percent(lastVal.accuracy_a) : "–", lastVal ? `at ${count(lastVal.images)} images` : "");
    this.#setStat("acc-b", lastVal ? percent(lastVal.accuracy_b) : "–", lastVal ? `at ${count(lastVal.images)} images` : "");
    this.#updateButtons();
    this.#queueDraw();
  }

  #setStat(name, value, sub) {
    const box = this.#$(`.stat[data-stat="${name}"]`);
    box.querySelector(".value").textContent = value;
    box.querySelector(".sub").textContent = sub;
  }

  // queueDraw redraws the plots at the next frame. Hidden tabs get no
  // frames, so they redraw when shown again.
  #queueDraw() {
    if (this.#drawQueued || document.visibilityState === "hidden") {
      return;
    }
    this.#drawQueued = true;
    requestAnimationFrame(() => {
      this.#drawQueued = false;
      this.#draw();
    });
  }

  #draw() {
    const { train, val } = this.history;
    const series = (points, key, color, smooth, markers) => ({
      color, markers,
      points: (smooth ? movingAverage(points, key) : points.map((p) => [p.images, p[key]])),
    });
    drawChart(this.#$(".plot-loss"), [
      series(train, "loss_a", COLORS.trainA, true, false), series(train, "loss_b", COLORS.trainB, true, false),
      series(val, "loss_a", COLORS.valA, false, true), series(val, "loss_b", COLORS.valB, false, true),
    ], { yMin: 0 });
    drawChart(this.#$(".plot-accuracy"), [
      series(train, "accuracy_a", COLORS.trainA, true, false), series(train, "accuracy_b", COLORS.trainB, true, false),
      series(val, "accuracy_a", COLORS.valA, false, true), series(val, "accuracy_b", COLORS.valB, false, true),
    ], { yMin: 0, yMax: 1, guide: CHANCE, percent: true });
  }

  #updateButtons() {
    const state = this.dataset.state;
    const hasRun = Boolean(this.progress);
    const hasWeights = hasRun && (this.progress.steps > 0 || this.history.val.length > 0 || Boolean(this.progress.fineTunedFrom));
    const settled = state === "running" || state === "paused";
    const run = this.#$(".run");
    run.textContent = { running: "Pause", pausing: "Pause", paused: "Resume" }[state] || "Start";
    run.disabled = !["ready", "running", "paused"].includes(state);
    for (const name of [".preset", ".source", ".batch", ".weights-file"]) {
      this.#$(name).disabled = state !== "ready";
    }
    this.#$(".lr").disabled = !(state === "ready" || state === "paused");
    this.#$(".reset").disabled = state !== "paused";
    this.#$(".evaluate").disabled = !(settled && hasWeights);
    this.#$(".download").disabled = !(settled && hasWeights);
    this.#$(".use").disabled = !(settled && hasWeights);
    this.#$(".save-run").disabled = !(settled && hasRun && this.progress.steps > 0);
    this.#$(".resume-saved").disabled = state !== "ready" && state !== "paused";
    this.#$(".cancel-evaluation").hidden = state !== "evaluating";
  }

  #showEvaluation(text, fraction, busy) {
    this.#$(".evaluation").hidden = false;
    this.#$(".evaluation-text").textContent = text;
    const bar = this.#$(".evaluation-progress");
    bar.hidden = !busy;
    if (fraction !== null) {
      bar.value = fraction;
    }
  }

  // guard runs an action and shows its error; the page stays usable.
  async #guard(action) {
    this.#clearError();
    try {
      await action();
    } catch (err) {
      this.#showError(err.message || String(err));
    }
  }

  #setState(state, text) {
    this.dataset.state = state;
    if (text !== undefined && text !== "") {
      this.#status(text);
    }
    this.#updateButtons();
  }

  #status(text, html = false) {
    const status = this.#$(".status");
    if (html) {
      status.innerHTML = text;
    } else {
      status.textContent = text;
    }
  }

  #showError(message) {
    const box = this.#$(".error");
    box.textContent = message;
    box.hidden = false;
    this.dispatchEvent(new CustomEvent("unmix-trainer-error", { detail: { message }, bubbles: true, composed: true }));
  }

  #clearError() {
    const box = this.#$(".error");
    box.hidden = true;
    box.textContent = "";
  }

  #fail(err) {
    this.dataset.state = "failed";
    this.#status("The trainer could not go on.");
    this.#showError(err.message || String(err));
    for (const button of this.#root.querySelectorAll("button, input, select")) {
      button.disabled = true;
    }
  }
}

function stat(name, label) {
  return `<div class="stat" data-stat="${name}"><div class="name">${label}</div><div class="value">–</div><div class="sub"></div></div>`;
}

function legend() {
  return `<div class="legend">
    <span style="--swatch: ${COLORS.trainA}">training A</span><span style="--swatch: ${COLORS.trainB}">training B</span>
    <span style="--swatch: ${COLORS.valA}">validation A</span><span style="--swatch: ${COLORS.valB}">validation B</span></div>`;
}

// movingAverage smooths the noisy per-step training metrics: each point is
// the mean of up to five neighbors on each side.
function movingAverage(points, key) {
  const half = 5;
  return points.map((p, i) => {
    const window = points.slice(Math.max(0, i - half), i + half + 1);
    return [p.images, window.reduce((sum, q) => sum + q[key], 0) / window.length];
  });
}

// drawChart draws line series of [x, y] points, x being training images, on
// a canvas sized by CSS. It records the number of points in data-points.
function drawChart(canvas, series, { yMin = 0, yMax = null, guide = null, percent: asPercent = false } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) {
    return;
  }
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);

  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  canvas.dataset.points = String(all.length);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#647084";
  if (all.length === 0) {
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("The curves appear once training starts.", width / 2, height / 2);
    return;
  }
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yStep = niceStep(((yMax ?? Math.max(0.1, ...all.map(([, y]) => y))) - yMin) / 4);
  const top = yMax ?? yMin + 4 * yStep;
  const margin = { left: 46, right: 16, top: 10, bottom: 30 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (x) => margin.left + (x / xMax) * plotW;
  const py = (y) => margin.top + (1 - (y - yMin) / (top - yMin)) * plotH;

  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#e6e9ef";
  ctx.lineWidth = 1;
  const decimals = asPercent ? 0 : Math.max(0, -Math.floor(Math.log10(yStep) + 1e-9));
  for (let y = yMin; y <= top + yStep / 2; y += yStep) {
    ctx.beginPath();
    ctx.moveTo(margin.left, py(y));
    ctx.lineTo(width - margin.right, py(y));
    ctx.stroke();
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(asPercent ? `${Math.round(y * 100)}%` : y.toFixed(decimals), margin.left - 6, py(y));
  }
  ctx.textBaseline = "top";
  const xStep = niceStep(xMax / 4);
  for (let x = 0; x <= xMax; x += xStep) {
    ctx.textAlign = px(x) > width - margin.right - 20 ? "right" : "center";
    ctx.fillText(count(x), px(x), height - margin.bottom + 6);
  }
  ctx.textAlign = "center";
  ctx.fillText("training images", margin.left + plotW / 2, height - 13);

  if (guide !== null) {
    ctx.save();
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = "#9aa4b5";
    ctx.beginPath();
    ctx.moveTo(margin.left, py(guide));
    ctx.lineTo(width - margin.right, py(guide));
    ctx.stroke();
    ctx.restore();
  }

  for (const s of series) {
    const points = s.points.filter(([, y]) => Number.isFinite(y));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.markers ? 2 : 1.5;
    ctx.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    if (s.markers) {
      for (const [x, y] of points) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
}

// niceStep returns the smallest of 1, 2, 2.5 or 5 times a power of ten that
// is at least value, for axis ticks.
function niceStep(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= value * (1 - 1e-9));
}

function percent(x) {
  return `${(x * 100).toFixed(1)}%`;
}

function count(n) {
  return Math.round(n).toLocaleString("en-US");
}

function duration(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function kilobytes(bytes) {
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

if (!customElements.get("unmix-trainer")) {
  customElements.define("unmix-trainer", UnmixTrainer);
}
