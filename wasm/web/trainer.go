package web

// TrainerFiles lists the in-browser trainer's scripts in FS: the
// <unmix-trainer> element, its IndexedDB store, which the demo widget
// imports too, and the Web Worker that runs trainer.wasm. The site
// generator copies them to the site root next to Files.
var TrainerFiles = []string{
	"unmix-trainer.js",
	"unmix-trainer-store.js",
	"unmix-trainer-worker.js",
}
