package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.out != "docs/screenshots" {
		t.Errorf("out = %q, want docs/screenshots", cfg.out)
	}
	if cfg.siteDir != "" {
		t.Errorf("siteDir = %q, want empty, which builds the site", cfg.siteDir)
	}
	if cfg.width != 1280 || cfg.height != 900 {
		t.Errorf("viewport = %dx%d, want 1280x900", cfg.width, cfg.height)
	}
	if cfg.timeout != 5*time.Minute {
		t.Errorf("timeout = %s, want 5m", cfg.timeout)
	}
	if cfg.seed != 1 {
		t.Errorf("seed = %d, want 1", cfg.seed)
	}
}

func TestParseFlagsRejectsInvalid(t *testing.T) {
	tests := []struct {
		args []string
		want string // substring of the error
	}{
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-width", "100"}, "at least 320 by 200"},
		{[]string{"-height", "10"}, "at least 320 by 200"},
		{[]string{"-timeout", "0s"}, "positive duration"},
		{[]string{"-seed", "4294967296"}, "below 2^32"},
		{[]string{"-nosuchflag"}, "not defined"},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, io.Discard)
		if err == nil {
			t.Errorf("parseFlags(%q) = nil error, want one containing %q", tt.args, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
