// Package cifar reads the CIFAR-10 binary data set and splits its ten classes
// into the two five-class groups that Unmix mixes.
//
// The binary format stores each record as one label byte followed by the
// 3072 bytes of a 32x32 color image: the 1024 red bytes, then the 1024 green
// bytes, then the 1024 blue bytes, each plane in row-major order.
// See https://www.cs.toronto.edu/~kriz/cifar.html.
//
// The package has no cgo and builds for GOOS=js GOARCH=wasm.
package cifar

const (
	// ImageSize is the height and width of an image in pixels.
	ImageSize = 32
	// Channels is the number of color channels (red, green, blue).
	Channels = 3
	// ImageBytes is the size of one image: 3 planes of 32x32 bytes.
	ImageBytes = ImageSize * ImageSize * Channels
	// RecordBytes is the size of one record in a batch file: the label byte
	// followed by the image.
	RecordBytes = 1 + ImageBytes
	// NumClasses is the number of CIFAR-10 classes, labeled 0 to 9.
	NumClasses = 10
)

// ClassNames maps each CIFAR-10 label to its class name, in the order of
// batches.meta.txt in the official archive.
var ClassNames = [NumClasses]string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}
