package cifar

import (
	"strings"
	"testing"
)

func TestToHWC(t *testing.T) {
	image := make([]byte, ImageBytes)
	const plane = ImageSize * ImageSize
	// Pixel (row 1, column 2) is red 255, green 51, blue 0.
	pixel := 1*ImageSize + 2
	image[0*plane+pixel] = 255
	image[1*plane+pixel] = 51
	image[2*plane+pixel] = 0
	// Last pixel is blue 102.
	image[3*plane-1] = 102

	dst := make([]float32, ImageBytes)
	if err := ToHWC(dst, image); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		row, column, channel int
		want                 float32
	}{
		{1, 2, 0, 1},
		{1, 2, 1, 0.2},
		{1, 2, 2, 0},
		{31, 31, 2, 0.4},
		{31, 31, 0, 0},
		{0, 0, 0, 0},
	}
	for _, tt := range tests {
		got := dst[(tt.row*ImageSize+tt.column)*Channels+tt.channel]
		if got != tt.want {
			t.Errorf("dst[%d, %d, %d] = %v, want %v", tt.row, tt.column, tt.channel, got, tt.want)
		}
	}
}

func TestToHWCErrors(t *testing.T) {
	tests := []struct {
		name     string
		dst      int
		image    int
		wantText string
	}{
		{"short image", ImageBytes, 1024, "image has 1024 bytes, want 3072"},
		{"short destination", 100, ImageBytes, "destination has 100 values, want 3072"},
	}
	for _, tt := range tests {
		err := ToHWC(make([]float32, tt.dst), make([]byte, tt.image))
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.wantText)
		}
	}
}

func TestImageHWC(t *testing.T) {
	d, err := Parse("f.bin", makeRecords(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	got := d.ImageHWC(1)
	// Record 1 has byte(7+j) at planar offset j. HWC value 1 is channel 1
	// (green) of pixel 0, planar offset 1024.
	if want := float32((7+1024)%256) / 255; got[1] != want {
		t.Errorf("ImageHWC(1)[1] = %v, want %v", got[1], want)
	}
}
