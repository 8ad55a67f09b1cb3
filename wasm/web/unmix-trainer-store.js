// Browser storage of the Unmix trainer: the weights a visitor trained and
// a saved run (a checkpoint with the optimizer state and history), kept in
// IndexedDB so that they outlive the tab. The demo widget offers the
// weights through trainedPreset.
//
//   import { loadEntry, saveEntry, MODEL_KEY } from "./unmix-trainer-store.js";
//   await saveEntry(MODEL_KEY, bytes, { preset: "tiny", images: 12000 });
//   const entry = await loadEntry(MODEL_KEY); // {bytes, meta, savedAt} or null

const DB_NAME = "unmix-trainer";
const DB_VERSION = 1;
const STORE = "entries";

// Keys of the two entries.
export const MODEL_KEY = "model"; // weights only, .unmixw
export const RUN_KEY = "run"; // a checkpoint for resuming training

let opened = null;

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("this browser has no IndexedDB, so trained models cannot be kept"));
        return;
      }
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(new Error(`opening IndexedDB ${DB_NAME}: ${request.error}`));
    });
    opened.catch(() => {
      opened = null;
    });
  }
  return opened;
}

function transact(mode, work) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(new Error(`IndexedDB ${DB_NAME}: ${tx.error}`));
    tx.onabort = () => reject(new Error(`IndexedDB ${DB_NAME}: ${tx.error || "transaction aborted"}, is the storage full?`));
  }));
}

// saveEntry stores bytes (a Uint8Array) with meta, a plain object.
export function saveEntry(key, bytes, meta = {}) {
  const entry = { bytes: bytes.slice(), meta, savedAt: Date.now() };
  return transact("readwrite", (store) => store.put(entry, key));
}

// loadEntry returns {bytes, meta, savedAt}, or null when nothing is stored
// or storage is unavailable.
export async function loadEntry(key) {
  try {
    const entry = await transact("readonly", (store) => store.get(key));
    return entry || null;
  } catch {
    return null;
  }
}

export function deleteEntry(key) {
  return transact("readwrite", (store) => store.delete(key));
}

// TRAINED_HASH at the end of the demo page's URL makes the widget load the
// trained model.
export const TRAINED_HASH = "#trained";

// trainedPreset adds the weights trained in this browser, if any, to a
// manifest's presets as "trained-<preset>", served from a blob: URL. It
// returns that name when the page's URL ends in TRAINED_HASH, else "". It
// does nothing on pages of another origin than the site's, which have no
// trained model and no business opening its database.
export async function trainedPreset(manifest, siteURL) {
  if (new URL(siteURL, location.href).origin !== location.origin) {
    return "";
  }
  const entry = await loadEntry(MODEL_KEY);
  if (!entry) {
    return "";
  }
  const name = `trained-${entry.meta.preset}`;
  const url = URL.createObjectURL(new Blob([entry.bytes], { type: "application/octet-stream" }));
  manifest.presets = [...(manifest.presets || []), { name, weights: url, bytes: entry.bytes.length, trained: entry.meta }];
  return location.hash === TRAINED_HASH ? name : "";
}
