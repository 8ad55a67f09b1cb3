package site

import (
	"bufio"
	"maps"
	"os"
	"strings"
	"testing"
)

// readNetlifyHeaders reads the [[headers]] tables of netlify.toml. It knows
// only the subset that file uses: for = "...", [headers.values] and
// Name = "value" lines, with # comments.
func readNetlifyHeaders(t *testing.T, path string) []HeaderRule {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	var rules []HeaderRule
	inHeaders := false
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case line == "[[headers]]":
			rules = append(rules, HeaderRule{Values: map[string]string{}})
			inHeaders = true
		case line == "[headers.values]":
		case strings.HasPrefix(line, "["):
			inHeaders = false
		case inHeaders:
			name, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: cannot read %q", path, line)
			}
			name, value = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(value), `"`)
			if name == "for" {
				rules[len(rules)-1].For = value
			} else {
				rules[len(rules)-1].Values[name] = value
			}
		}
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestNetlifyHeadersMatchHeaderRules(t *testing.T) {
	got := readNetlifyHeaders(t, "../netlify.toml")
	if len(got) != len(HeaderRules) {
		t.Fatalf("netlify.toml has %d [[headers]] tables, HeaderRules has %d: keep them equal", len(got), len(HeaderRules))
	}
	for i, want := range HeaderRules {
		if got[i].For != want.For {
			t.Errorf("table %d: for = %q, want %q", i+1, got[i].For, want.For)
		}
		if !maps.Equal(got[i].Values, want.Values) {
			t.Errorf("table %d (%s): values = %v, want %v", i+1, want.For, got[i].Values, want.Values)
		}
	}
}
