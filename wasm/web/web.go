// Package web holds the browser side of the wasm build: the Web Worker that
// runs unmix.wasm, the promise-based client for the page, the image helpers
// and the <unmix-demo> custom element. The site generator copies these files
// to the root of the published site under their own names, so that pages on
// other origins can load them at stable URLs.
package web

import "embed"

// FS contains the JavaScript files, at its root.
//
//go:embed *.js
var FS embed.FS

// Files lists the names in FS in the order pages load them.
var Files = []string{
	"unmix-widget.js",
	"unmix-client.js",
	"unmix-image.js",
	"unmix-worker.js",
}
