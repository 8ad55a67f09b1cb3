package site

import (
	"fmt"
	"strings"
)

// Info is the build summary that every page shows: models, sizes and asset paths.
type Info struct {
	Models        []Model
	DefaultPreset string // "" when no model has weights
	// SiteURL is the absolute URL the site is published at, ending in "/".
	SiteURL string

	WasmBytes       int64
	WasmGzipBytes   int64
	SamplesPerClass int
	Trainer         *TrainerInfo // nil when the build has no trainer program

	Stylesheet string // asset paths relative to the site root
	Favicon    string
}

func embedSnippet(info *Info) string {
	return fmt.Sprintf(`<script type="module" src="%sunmix-widget.js"></script>
<unmix-demo preset="%s"></unmix-demo>`, info.SiteURL, info.DefaultPreset)
}

func clientSnippet(info *Info) string {
	return fmt.Sprintf(`import { UnmixClient } from "%sunmix-client.js";

const client = await UnmixClient.create("%s");
await client.load("%s");
// imageA, imageB: 32x32 ImageData from a canvas
const result = await client.predict(imageA, imageB, 0.5);
console.log(result.classesA, result.probsA, result.millis);`, info.SiteURL, info.SiteURL, info.DefaultPreset)
}

func presetList(info *Info) string {
	var names []string
	for _, m := range info.Models {
		if m.HasWeights() {
			names = append(names, fmt.Sprintf("%s (%s of weights)", m.Preset, fileSize(m.WeightsBytes)))
		}
	}
	if len(names) == 0 {
		return "none in this build"
	}
	return strings.Join(names, ", ")
}

func lastSample(info *Info) string {
	return fmt.Sprint(info.SamplesPerClass - 1)
}
