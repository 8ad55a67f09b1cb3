package site

import "testing"

func TestWithoutLocalPaths(t *testing.T) {
	tests := []struct{ in, want string }{
		{"unmix eval --data-dir /work/shared/data/cifar-10-batches-bin --rounds 10", "unmix eval --data-dir cifar-10-batches-bin --rounds 10"},
		{`xla:cpu - PJRT "cpu" plugin (/work/main/.cache/xla/pjrt_c_api_cpu_plugin.so) v0.81`, `xla:cpu - PJRT "cpu" plugin (pjrt_c_api_cpu_plugin.so) v0.81`},
		{"unmix train --preset slim --out runs/slim", "unmix train --preset slim --out runs/slim"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := WithoutLocalPaths(tt.in); got != tt.want {
			t.Errorf("WithoutLocalPaths(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
