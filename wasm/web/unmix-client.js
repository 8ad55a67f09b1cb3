// Promise-based client for the Unmix Web Worker.
//
//   import { UnmixClient } from "https://example.org/unmix-client.js";
//   const client = await UnmixClient.create();    // base: this file's folder
//   await client.load("slim");
//   const r = await client.predict(imageDataA, imageDataB, 0.5);
//   r.probsA, r.probsB   // five probabilities per head
//   r.millis             // time in the model; r.roundTripMillis includes the worker
//
// Images are 32x32: ImageData, RGBA or RGB bytes, or a Float32Array of
// [32, 32, 3] values in [0, 1]. Errors reject the promise with an Error.

export const MANIFEST = "unmix-manifest.json";

export class UnmixClient {
  // create fetches the manifest from base and starts the worker.
  static async create(base = new URL(".", import.meta.url).href) {
    const baseURL = new URL(base, document.baseURI);
    const manifestURL = new URL(MANIFEST, baseURL);
    const response = await fetch(manifestURL);
    if (!response.ok) {
      throw new Error(`fetching ${manifestURL}: HTTP status ${response.status}: check the base URL`);
    }
    const manifest = await response.json();
    const client = new UnmixClient(manifest, manifestURL);
    await client.#start();
    return client;
  }

  #manifest;
  #manifestURL;
  #worker = null;
  #nextID = 1;
  #pending = new Map();
  #failure = null;

  constructor(manifest, manifestURL) {
    this.#manifest = manifest;
    this.#manifestURL = new URL(manifestURL);
  }

  get manifest() {
    return this.#manifest;
  }

  // url resolves a path from the manifest against the manifest's folder.
  url(path) {
    return new URL(path, this.#manifestURL).href;
  }

  // preset returns the manifest entry of a preset, or the default one.
  preset(name) {
    const presets = this.#manifest.presets || [];
    const wanted = name || this.#manifest.defaultPreset;
    const found = presets.find((p) => p.name === wanted);
    if (!found) {
      const names = presets.map((p) => p.name).join(", ") || "none";
      throw new Error(`preset "${wanted}" is not on this site: use one of ${names}`);
    }
    return found;
  }

  async #start() {
    // A worker script must come from the page's origin, so a small same-origin
    // blob loads the real worker script, which may live on another origin.
    const workerURL = this.url("unmix-worker.js");
    const source = `importScripts(${JSON.stringify(workerURL)});`;
    const blobURL = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    try {
      this.#worker = new Worker(blobURL);
      this.#worker.onmessage = (event) => this.#receive(event.data);
      this.#worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(`the Unmix worker failed: ${event.message || "it could not load " + workerURL}`);
      };
      await this.#call("init", [{
        wasmExec: this.url(this.#manifest.wasmExec),
        wasm: this.url(this.#manifest.wasm),
      }]);
    } finally {
      // Revoked only once the worker runs, for browsers that fetch it late.
      URL.revokeObjectURL(blobURL);
    }
  }

  // load fetches and loads the weights of a preset ("" for the default).
  async load(presetName) {
    const preset = this.preset(presetName);
    return this.#call("load", [this.url(preset.weights)]);
  }

  // predict mixes ratio*imageA + (1-ratio)*imageB and names both classes.
  async predict(imageA, imageB, ratio = 0.5) {
    return this.#timed("predict", [imageA, imageB, ratio]);
  }

  // predictMixed names both classes in an image that is already a mix.
  async predictMixed(image) {
    return this.#timed("predictMixed", [image]);
  }

  info() {
    return this.#call("info", []);
  }

  terminate() {
    this.#fail("the client was terminated");
  }

  async #timed(op, args) {
    const start = performance.now();
    const result = await this.#call(op, args);
    result.roundTripMillis = performance.now() - start;
    return result;
  }

  #call(op, args) {
    if (this.#failure) {
      return Promise.reject(new Error(this.#failure));
    }
    const id = this.#nextID++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ id, op, args: args.map(plain) });
      } catch (err) {
        this.#pending.delete(id);
        reject(new Error(`${op}: the arguments cannot be sent to the worker: ${err.message}`));
      }
    });
  }

  #receive(message) {
    if (message && message.type === "exit") {
      this.#fail(`the Unmix wasm program stopped: ${message.error}; reload the page`);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) {
      return;
    }
    this.#pending.delete(message.id);
    if (message.ok) {
      pending.resolve(message.result);
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
    if (this.#worker) {
      this.#worker.terminate();
    }
  }
}

// plain turns an ImageData into {data, width, height}, which the worker
// receives intact in every browser.
function plain(value) {
  if (typeof ImageData !== "undefined" && value instanceof ImageData) {
    return { data: value.data, width: value.width, height: value.height };
  }
  return value;
}
