// Web Worker that runs the Unmix WebAssembly build.
//
// The client sends {id, op, args} messages. The first must be
//   {op: "init", args: [{wasmExec: URL, wasm: URL}]}
// which loads Go's wasm_exec.js and starts unmix.wasm. The other operations
// ("load", "predict", "predictMixed", "info") call the functions that the Go
// program sets on self.unmix. Each request gets one reply,
//   {id, ok: true, result} or {id, ok: false, error: "message"},
// and {type: "exit", error} is sent if the Go program stops.
"use strict";

let started = null;

self.onmessage = async (event) => {
  const { id, op, args = [] } = event.data || {};
  try {
    if (op === "init") {
      started = started || start(args[0] || {});
      await started;
      self.postMessage({ id, ok: true, result: { ready: true } });
      return;
    }
    if (!started) {
      throw new Error('the worker has not been started: send "init" first');
    }
    await started;
    const api = self.unmix;
    if (!api || typeof api[op] !== "function") {
      throw new Error(`unknown operation "${op}": use load, predict, predictMixed or info`);
    }
    const result = await api[op](...args);
    const transfer = result && result.mixed && result.mixed.buffer ? [result.mixed.buffer] : [];
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (err) {
    self.postMessage({ id, ok: false, error: messageOf(err) });
  }
};

async function start({ wasmExec, wasm }) {
  if (!wasmExec || !wasm) {
    throw new Error("init needs the URLs of wasm_exec.js and unmix.wasm");
  }
  importScripts(wasmExec);
  const go = new self.Go();

  const response = await fetch(wasm);
  if (!response.ok) {
    throw new Error(`fetching ${wasm}: HTTP status ${response.status}`);
  }
  let instance;
  const type = response.headers.get("Content-Type") || "";
  if (type.startsWith("application/wasm")) {
    ({ instance } = await WebAssembly.instantiateStreaming(response, go.importObject));
  } else {
    // Servers that do not send application/wasm still work, without streaming.
    ({ instance } = await WebAssembly.instantiate(await response.arrayBuffer(), go.importObject));
  }

  go.run(instance).then(
    () => self.postMessage({ type: "exit", error: "the Go program exited" }),
    (err) => self.postMessage({ type: "exit", error: messageOf(err) }),
  );
  if (!self.unmix) {
    throw new Error(`${wasm} started but did not set self.unmix: is it the Unmix build?`);
  }
}

function messageOf(err) {
  if (err && typeof err.message === "string") {
    return err.message;
  }
  return String(err);
}
