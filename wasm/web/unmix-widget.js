// <unmix-demo>: the Unmix mixing demo as a custom element.
//
//   <script type="module" src="https://example.org/unmix-widget.js"></script>
//   <unmix-demo></unmix-demo>
//
// Attributes (all optional):
//   base    URL of the folder with unmix-manifest.json; default: the folder
//           this script was loaded from
//   preset  weights preset; default: the manifest's default preset
//   layout  "compact" (default) or "full", which adds the sample pickers,
//           a preset menu and uploads
//   upload  show upload buttons in the compact layout
//   ratio   initial weight of image A, 0 to 1; default 0.5, the training mix
//   pair    initial pair as "class:tile,class:tile", for example "cat:12,ship:3";
//           default: a random pair
// Events: unmix-ready, unmix-result (detail: the result, with inputs {a, b,
// ratio} naming the images, such as "cat #12" or an upload's file name), and
// unmix-error (detail: {message}). The property lastResult is the latest
// result.

import { UnmixClient } from "./unmix-client.js";
import { draw, imageFromFile, loadSample, mix } from "./unmix-image.js";
import { trainedPreset } from "./unmix-trainer-store.js";

const GROUP_SIZE = 5;
const THUMB = 40; // CSS pixels of a picker thumbnail

const STYLE = `
:host { display: block; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--unmix-fg, #1c2330); --accent: var(--unmix-accent, #2f6fde); --muted: #647084;
  --line: #dde2ea; --good: #1f8a4c; --bad: #c23b3b; max-width: 440px; }
:host([layout="full"]) { max-width: 980px; }
* { box-sizing: border-box; }
.card { border: 1px solid var(--line); border-radius: 12px; padding: 12px; background: var(--unmix-bg, #fff); }
.bar-row, .toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.toolbar { margin-bottom: 10px; }
.toolbar .spacer { flex: 1; }
button, select, .upload { font: inherit; border: 1px solid var(--line); background: #f6f8fb; color: inherit;
  border-radius: 8px; padding: 4px 10px; cursor: pointer; }
button:hover, .upload:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.upload input { position: absolute; width: 1px; height: 1px; opacity: 0; }
.upload { position: relative; display: inline-block; font-size: 12px; }
.upload:focus-within { outline: 2px solid var(--accent); }
.stage { display: grid; grid-template-columns: 1fr 1.6fr 1fr; gap: 10px; align-items: start; }
figure { margin: 0; text-align: center; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; overflow-wrap: anywhere; }
canvas { width: 100%; aspect-ratio: 1; image-rendering: pixelated; border-radius: 6px;
  background: repeating-conic-gradient(#eef1f5 0 25%, #fff 0 50%) 0 0 / 16px 16px; display: block; }
.ratio { width: 100%; margin-top: 6px; }
.ratio-label { font-size: 12px; color: var(--muted); display: flex; justify-content: space-between; gap: 6px; }
.heads { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 12px; }
.head h3 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
.head ol { list-style: none; margin: 0; padding: 0; }
.head li { display: grid; grid-template-columns: 6.4em 1fr 3.4em 1em; gap: 6px; align-items: center;
  font-size: 12px; height: 20px; }
.head li .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.head li .track { height: 8px; background: #edf0f5; border-radius: 4px; overflow: hidden; }
.head li .fill { display: block; height: 100%; width: 0; background: #a9b6cc; border-radius: 4px; transition: width .2s; }
.head li.top .fill { background: var(--accent); }
.head li.top .name { font-weight: 600; }
.head li .pct { text-align: right; font-variant-numeric: tabular-nums; }
.head li .mark.right { color: var(--good); }
.head li .mark.wrong { color: var(--bad); }
.head li.truth .name { text-decoration: underline dotted; }
.status { font-size: 12px; color: var(--muted); margin-top: 10px; min-height: 1.4em; font-variant-numeric: tabular-nums; }
.error { color: var(--bad); background: #fdf0f0; border: 1px solid #f1c9c9; border-radius: 8px;
  padding: 6px 10px; margin-bottom: 10px; font-size: 13px; }
.pickers { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 14px; }
.picker h3 { font-size: 13px; margin: 0 0 6px; }
.tabs { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 6px; }
.tabs button { font-size: 12px; padding: 2px 8px; }
.tabs button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
.thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(${THUMB}px, 1fr)); gap: 3px;
  max-height: 188px; overflow-y: auto; padding: 2px; }
.thumb { width: ${THUMB}px; height: ${THUMB}px; padding: 0; border: 2px solid transparent; border-radius: 4px;
  image-rendering: pixelated; background-repeat: no-repeat; }
.thumb[aria-pressed="true"] { border-color: var(--accent); }
@media (max-width: 640px) {
  .pickers, .heads { grid-template-columns: 1fr; }
}
`;

class UnmixDemo extends HTMLElement {
  static observedAttributes = ["ratio"];

  #root;
  #client = null;
  #sample = null;
  #sources = { a: null, b: null }; // {pixels, label (0-9) or null, name}
  #ratio = 0.5;
  #wanted = null;
  #busy = false;
  #connected = false;
  #loadStart = 0;
  #loadedPreset = ""; // the preset in the worker, "" before the first load
  #firstPrediction = true;
  #pickerClass = { a: 0, b: 5 };
  lastResult = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
  }

  connectedCallback() {
    if (this.#connected) {
      return;
    }
    this.#connected = true;
    this.#render();
    this.#start().catch((err) => this.#fail(err));
  }

  disconnectedCallback() {
    // NOTE: a removed element keeps its worker, so moving it in the DOM does
    // not reload the model. Call terminate() to end the worker for good.
  }

  attributeChangedCallback(name, _old, value) {
    if (name === "ratio" && value !== null) {
      const ratio = Number(value);
      if (ratio >= 0 && ratio <= 1) {
        this.#ratio = ratio;
        const slider = this.#root.querySelector(".ratio");
        if (slider) {
          slider.value = String(ratio);
          this.#update();
        }
      }
    }
  }

  terminate() {
    if (this.#client) {
      this.#client.terminate();
    }
  }

  get layout() {
    return this.getAttribute("layout") === "full" ? "full" : "compact";
  }

  // selectSample shows tile j of a CIFAR-10 class (label 0-9) as the image of
  // its group and predicts the new pair.
  selectSample(label, j) {
    const group = label < GROUP_SIZE ? "a" : "b";
    const name = this.#sample.index.classNames[label];
    this.#sources[group] = { pixels: this.#sample.tile(label, j), label, name: `${name} #${j}` };
    this.#markPicked();
    this.#update();
  }

  // randomPair picks one random sample from each group.
  randomPair() {
    const perClass = this.#sample.index.perClass;
    const pick = (first) => [first + Math.floor(Math.random() * GROUP_SIZE), Math.floor(Math.random() * perClass)];
    const [labelA, tileA] = pick(0);
    const [labelB, tileB] = pick(GROUP_SIZE);
    // Show the classes just picked in the pickers, so the chosen thumbnails are visible.
    this.#pickerClass = { a: labelA, b: labelB };
    this.#renderPickers();
    this.selectSample(labelA, tileA);
    this.selectSample(labelB, tileB);
  }

  async #start() {
    this.#loadStart = performance.now();
    this.#setState("loading", "Starting WebAssembly…");
    const base = this.getAttribute("base") || new URL(".", import.meta.url).href;
    this.#client = await UnmixClient.create(base);
    const manifest = this.#client.manifest;
    // Weights trained on the trainer page join the presets; the trainer's
    // link to this page asks for them.
    const trained = await trainedPreset(manifest, this.#client.url("."));

    this.#sample = await loadSample(this.#client.url(manifest.samples.sprite), this.#client.url(manifest.samples.index));
    this.#renderPickers();
    this.#renderPresets();

    const initialRatio = Number(this.getAttribute("ratio") ?? 0.5);
    this.#ratio = initialRatio >= 0 && initialRatio <= 1 ? initialRatio : 0.5;
    this.#root.querySelector(".ratio").value = String(this.#ratio);
    if (!this.#selectPairAttribute()) {
      this.randomPair();
    }

    await this.#loadPreset(trained || this.getAttribute("preset") || "");
    this.dispatchEvent(new CustomEvent("unmix-ready", { bubbles: true, composed: true }));
  }

  async #loadPreset(name) {
    const preset = this.#client.preset(name);
    this.#setState("loading", `Loading the ${preset.name} model (${megabytes(preset.bytes)})…`);
    const select = this.#root.querySelector(".preset");
    if (select) {
      select.value = preset.name;
      select.disabled = true;
    }
    try {
      await this.#client.load(preset.name);
    } catch (err) {
      // After a failed switch the worker keeps the previous model, which
      // still serves predictions.
      if (this.#loadedPreset) {
        if (select) {
          select.value = this.#loadedPreset;
        }
        this.#setState("ready", `${this.#loadedPreset} model loaded`);
      }
      throw err;
    } finally {
      if (select) {
        select.disabled = false;
      }
    }
    this.#loadedPreset = preset.name;
    this.#setState("ready", `${preset.name} model loaded`);
    this.#update();
  }

  #selectPairAttribute() {
    const pair = this.getAttribute("pair");
    if (!pair) {
      return false;
    }
    const names = this.#sample.index.classNames;
    const parts = pair.split(",").map((part) => part.trim().split(":"));
    const picks = parts.map(([cls, tile]) => [isNaN(Number(cls)) ? names.indexOf(cls) : Number(cls), Number(tile)]);
    const valid = picks.length === 2 && picks.every(([label, tile]) =>
      Number.isInteger(label) && label >= 0 && label < names.length &&
      Number.isInteger(tile) && tile >= 0 && tile < this.#sample.index.perClass);
    const groups = new Set(picks.map(([label]) => (label < GROUP_SIZE ? "a" : "b")));
    if (!valid || groups.size !== 2) {
      this.#showError(`pair="${pair}" is not valid: use "class:tile,class:tile" with one class of ${names.slice(0, GROUP_SIZE).join("/")} and one of ${names.slice(GROUP_SIZE).join("/")}, tiles 0 to ${this.#sample.index.perClass - 1}`);
      return false;
    }
    for (const [label, tile] of picks) {
      this.selectSample(label, tile);
    }
    return true;
  }

  #render() {
    const full = this.layout === "full";
    const upload = full || this.hasAttribute("upload");
    const uploadButton = (group) => upload
      ? `<label class="upload">Upload ${group.toUpperCase()}<input type="file" accept="image/*" data-group="${group}"></label>`
      : "";
    this.#root.innerHTML = `
      <style>${STYLE}</style>
      <div class="card" part="card">
        <div class="error" role="alert" hidden></div>
        <div class="toolbar">
          <button type="button" class="random" disabled>Random pair</button>
          ${full ? '<label>Model <select class="preset" disabled></select></label>' : ""}
          <span class="spacer"></span>
          ${uploadButton("a")}${uploadButton("b")}
        </div>
        <div class="stage">
          <figure><canvas class="source-a" width="32" height="32" aria-label="image A"></canvas><figcaption class="caption-a">A</figcaption></figure>
          <figure>
            <canvas class="mixed" width="32" height="32" aria-label="the blend the model sees"></canvas>
            <input class="ratio" type="range" min="0" max="1" step="0.05" value="0.5" aria-label="weight of image A">
            <div class="ratio-label"><span aria-hidden="true">B</span><span class="ratio-value">A 50% · B 50%</span><span aria-hidden="true">A</span></div>
          </figure>
          <figure><canvas class="source-b" width="32" height="32" aria-label="image B"></canvas><figcaption class="caption-b">B</figcaption></figure>
        </div>
        <div class="heads">
          <section class="head" data-group="a"><h3>Group A guess</h3><ol></ol></section>
          <section class="head" data-group="b"><h3>Group B guess</h3><ol></ol></section>
        </div>
        ${full ? `<div class="pickers">
          <section class="picker" data-group="a"><h3>Pick image A</h3><div class="tabs"></div><div class="thumbs"></div></section>
          <section class="picker" data-group="b"><h3>Pick image B</h3><div class="tabs"></div><div class="thumbs"></div></section>
        </div>` : ""}
        <div class="status" role="status" aria-live="polite"></div>
      </div>`;

    this.#root.querySelector(".random").addEventListener("click", () => this.randomPair());
    this.#root.querySelector(".ratio").addEventListener("input", (event) => {
      this.#ratio = Number(event.target.value);
      this.#update();
    });
    for (const input of this.#root.querySelectorAll("input[type=file]")) {
      input.addEventListener("change", () => this.#upload(input));
    }
    const select = this.#root.querySelector(".preset");
    if (select) {
      select.addEventListener("change", () => this.#loadPreset(select.value).catch((err) => this.#showError(err.message)));
    }
  }

  #renderPresets() {
    const select = this.#root.querySelector(".preset");
    if (!select) {
      return;
    }
    for (const preset of this.#client.manifest.presets) {
      const option = document.createElement("option");
      option.value = preset.name;
      option.textContent = `${preset.name} (${megabytes(preset.bytes)})`;
      select.append(option);
    }
  }

  #renderPickers() {
    for (const picker of this.#root.querySelectorAll(".picker")) {
      const group = picker.dataset.group;
      const first = group === "a" ? 0 : GROUP_SIZE;
      const tabs = picker.querySelector(".tabs");
      tabs.replaceChildren();
      for (let label = first; label < first + GROUP_SIZE; label++) {
        const tab = document.createElement("button");
        tab.type = "button";
        tab.textContent = this.#sample.index.classNames[label];
        tab.setAttribute("aria-pressed", String(label === this.#pickerClass[group]));
        tab.addEventListener("click", () => {
          this.#pickerClass[group] = label;
          this.#renderPickers();
        });
        tabs.append(tab);
      }
      this.#renderThumbs(picker.querySelector(".thumbs"), this.#pickerClass[group]);
    }
    this.#markPicked();
  }

  #renderThumbs(container, label) {
    const { perClass, tile } = this.#sample.index;
    const scale = THUMB / tile;
    const spriteURL = this.#client.url(this.#client.manifest.samples.sprite);
    container.replaceChildren();
    for (let j = 0; j < perClass; j++) {
      const thumb = document.createElement("button");
      thumb.type = "button";
      thumb.className = "thumb";
      thumb.dataset.label = String(label);
      thumb.dataset.tile = String(j);
      thumb.title = `${this.#sample.index.classNames[label]} #${j}`;
      thumb.setAttribute("aria-label", thumb.title);
      thumb.style.backgroundImage = `url("${spriteURL}")`;
      thumb.style.backgroundSize = `${perClass * THUMB}px ${this.#sample.index.classNames.length * THUMB}px`;
      thumb.style.backgroundPosition = `${-j * tile * scale}px ${-label * tile * scale}px`;
      thumb.addEventListener("click", () => this.selectSample(label, j));
      container.append(thumb);
    }
  }

  #markPicked() {
    for (const thumb of this.#root.querySelectorAll(".thumb")) {
      const label = Number(thumb.dataset.label);
      const source = this.#sources[label < GROUP_SIZE ? "a" : "b"];
      const picked = source && source.label === label && source.name.endsWith(`#${thumb.dataset.tile}`);
      thumb.setAttribute("aria-pressed", String(Boolean(picked)));
    }
  }

  async #upload(input) {
    const file = input.files && input.files[0];
    input.value = ""; // so choosing the same file again fires change
    if (!file) {
      return;
    }
    const group = input.dataset.group;
    try {
      const pixels = await imageFromFile(file);
      this.#sources[group] = { pixels, label: null, name: file.name };
      this.#clearError();
      this.#markPicked();
      this.#update();
    } catch (err) {
      this.#showError(err.message);
    }
  }

  // update redraws the sources and the blend at once and queues a prediction.
  #update() {
    const { a, b } = this.#sources;
    this.#root.querySelector(".ratio-value").textContent =
      `A ${Math.round(this.#ratio * 100)}% · B ${Math.round((1 - this.#ratio) * 100)}%`;
    for (const [group, source] of Object.entries(this.#sources)) {
      if (source) {
        draw(this.#root.querySelector(`.source-${group}`), source.pixels);
        this.#root.querySelector(`.caption-${group}`).textContent = source.name;
      }
    }
    if (!a || !b) {
      return;
    }
    draw(this.#root.querySelector(".mixed"), mix(a.pixels, b.pixels, this.#ratio));
    this.#root.querySelector(".random").disabled = false;
    this.#wanted = { a, b, ratio: this.#ratio };
    // While weights load, the request waits: #loadPreset calls update again.
    const state = this.dataset.state;
    if (!this.#busy && state !== "loading" && state !== "error") {
      this.#predictLoop();
    }
  }

  // predictLoop runs one prediction at a time. Changes made while one runs
  // collapse into the latest request.
  async #predictLoop() {
    this.#busy = true;
    try {
      while (this.#wanted) {
        const request = this.#wanted;
        this.#wanted = null;
        this.#setState("predicting", this.#root.querySelector(".status").textContent);
        try {
          const result = await this.#client.predict(request.a.pixels, request.b.pixels, request.ratio);
          this.#show(result, request);
        } catch (err) {
          this.#showError(err.message);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  #show(result, request) {
    result.inputs = { a: request.a.name, b: request.b.name, ratio: request.ratio };
    this.lastResult = result;
    this.#clearError();
    this.#showHead("a", result.classesA, result.probsA, request.a.label);
    this.#showHead("b", result.classesB, result.probsB, request.b.label === null ? null : request.b.label - GROUP_SIZE);
    draw(this.#root.querySelector(".mixed"), result.mixed);

    let timing = `${result.preset}: ${result.millis.toFixed(1)} ms in the model, ${result.roundTripMillis.toFixed(1)} ms round trip`;
    if (this.#firstPrediction) {
      this.#firstPrediction = false;
      this.firstResultAt = performance.now(); // milliseconds since navigation start
      this.firstPredictionMillis = performance.now() - this.#loadStart;
      timing += `; first result ${(this.firstPredictionMillis / 1000).toFixed(1)} s after start`;
    }
    this.#setState("ready", timing);
    this.dispatchEvent(new CustomEvent("unmix-result", { detail: result, bubbles: true, composed: true }));
  }

  // showHead draws five bars. truth is the true index within the group, or
  // null when unknown, as for uploads.
  #showHead(group, classes, probs, truth) {
    const top = probs.indexOf(Math.max(...probs));
    const list = this.#root.querySelector(`.head[data-group="${group}"] ol`);
    list.replaceChildren();
    probs.forEach((p, i) => {
      const row = document.createElement("li");
      row.classList.toggle("top", i === top);
      row.classList.toggle("truth", i === truth);
      let mark = "";
      let markClass = "";
      if (truth !== null && i === top) {
        [mark, markClass] = top === truth ? ["✓", "right"] : ["✗", "wrong"];
      }
      row.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span></span>` +
        `<span class="pct"></span><span class="mark ${markClass}" aria-label="${markClass}">${mark}</span>`;
      row.querySelector(".name").textContent = classes[i];
      row.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
      row.querySelector(".pct").textContent = `${(p * 100).toFixed(1)}%`;
      list.append(row);
    });
  }

  #setState(state, text) {
    this.dataset.state = state;
    this.#root.querySelector(".status").textContent = text;
  }

  #showError(message) {
    const box = this.#root.querySelector(".error");
    box.textContent = message;
    box.hidden = false;
    this.dispatchEvent(new CustomEvent("unmix-error", { detail: { message }, bubbles: true, composed: true }));
  }

  #clearError() {
    const box = this.#root.querySelector(".error");
    box.hidden = true;
    box.textContent = "";
  }

  #fail(err) {
    this.#setState("error", "The demo could not start.");
    this.#showError(err.message || String(err));
  }
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (!customElements.get("unmix-demo")) {
  customElements.define("unmix-demo", UnmixDemo);
}
