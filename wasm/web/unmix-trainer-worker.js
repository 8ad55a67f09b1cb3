// Web Worker that runs the Unmix trainer, trainer.wasm.
//
// The page sends {id, op, args, urls} messages. The first must be
//   {op: "init", args: {wasmExec: URL, wasm: URL}}
// which loads Go's wasm_exec.js and starts trainer.wasm. The worker fetches
// the urls of any other message and hands the request to the Go program as
//   self.unmixTrainer(id, op, JSON.stringify(args), [bytes of each URL])
// The Go program posts the reply {id, ok, result | error} and its events
// {type: "progress" | "evaluation" | "stopped"} to the page itself. A
// {type: "exit", error} message means the Go program stopped.
"use strict";

let started = null;

self.onmessage = async (event) => {
  const { id, op, args = {}, urls = [] } = event.data || {};
  try {
    if (op === "init") {
      started = started || start(args);
      await started;
      self.postMessage({ id, ok: true, result: { ready: true } });
      return;
    }
    if (!started) {
      throw new Error('the trainer has not been started: send "init" first');
    }
    await started;
    const buffers = await Promise.all(urls.map(fetchBytes));
    self.unmixTrainer(id, op, JSON.stringify(args), buffers);
  } catch (err) {
    self.postMessage({ id, ok: false, error: `${op}: ${messageOf(err)}` });
  }
};

async function start({ wasmExec, wasm }) {
  if (!wasmExec || !wasm) {
    throw new Error("init needs the URLs of wasm_exec.js and trainer.wasm");
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
    ({ instance } = await WebAssembly.instantiate(await response.arrayBuffer(), go.importObject));
  }

  go.run(instance).then(
    () => self.postMessage({ type: "exit", error: "the Go program exited" }),
    (err) => self.postMessage({ type: "exit", error: messageOf(err) }),
  );
  if (typeof self.unmixTrainer !== "function") {
    throw new Error(`${wasm} started but did not set self.unmixTrainer: is it the Unmix trainer build?`);
  }
}

// fetchBytes returns the body of url as a Uint8Array. Blob URLs, which the
// page makes for files a visitor picks, work as well.
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`fetching ${url}: HTTP status ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

function messageOf(err) {
  if (err && typeof err.message === "string") {
    return err.message;
  }
  return String(err);
}
