package site

import (
	"net/http"
	"strings"
)

// HeaderRule sets response headers on the paths that match For, in the
// syntax of netlify.toml: "*" matches any run of characters, "/" included.
// All matching rules apply, in order, as on Netlify.
type HeaderRule struct {
	For    string
	Values map[string]string
}

// HeaderRules are the headers of the published site. netlify.toml repeats
// them for Netlify, and a test checks that both agree.
var HeaderRules = []HeaderRule{
	{For: "/*", Values: map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
	}},
	// Files under /assets/ have a content hash in their name.
	{For: "/assets/*", Values: map[string]string{
		"Cache-Control":               "public, max-age=31536000, immutable",
		"Access-Control-Allow-Origin": "*",
	}},
	{For: "/assets/*.wasm", Values: map[string]string{
		"Content-Type": "application/wasm",
	}},
	// The widget's entry points keep their names, so other sites can link
	// them; a short cache lets a deploy reach them within minutes.
	{For: "/unmix-*", Values: map[string]string{
		"Cache-Control":               "public, max-age=300",
		"Access-Control-Allow-Origin": "*",
	}},
}

// matchPath reports whether path matches a pattern of HeaderRule.For.
func matchPath(pattern, path string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == path
	}
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	rest := path[len(parts[0]):]
	for i, part := range parts[1:] {
		last := i == len(parts)-2
		if last {
			return strings.HasSuffix(rest, part)
		}
		at := strings.Index(rest, part)
		if at < 0 {
			return false
		}
		rest = rest[at+len(part):]
	}
	return true
}

// WithHeaders serves the site with HeaderRules applied, for local use and
// tests.
func WithHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rule := range HeaderRules {
			if matchPath(rule.For, r.URL.Path) {
				for name, value := range rule.Values {
					w.Header().Set(name, value)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
