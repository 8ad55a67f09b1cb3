package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/unmix/unmix/shared/cifar"
	"github.com/unmix/unmix/shared/imageio"
	"github.com/unmix/unmix/shared/mixture"
	"github.com/unmix/unmix/shared/model"
)

func runPredict(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "predict [flags] IMAGE_A IMAGE_B | predict [flags] --mixed IMAGE", stderr)
	weightsPath := fs.String("weights", "", "weights file (default: the shipped weights of --preset)")
	preset := fs.String("preset", "slim", "preset of the shipped weights to use when --weights is not set")
	mixed := fs.String("mixed", "", "an already mixed image; then give no other image")
	ratio := fs.Float64("ratio", 0.5, "weight of IMAGE_A in the blend; the model was trained on 0.5")
	backendSpec := fs.String("backend", "auto", backendHelp)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *ratio < 0 || *ratio > 1 {
		return fmt.Errorf("predict: --ratio %g: use a weight in [0, 1]", *ratio)
	}

	input, err := predictInput(*mixed, fs.Args(), float32(*ratio))
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	weights, source, err := readWeights(*weightsPath, *preset)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	backend, err := openBackend(*backendSpec, newLogger(stderr))
	if err != nil {
		return err
	}
	predictor, err := model.LoadPredictor(backend, weights)
	if err != nil {
		return fmt.Errorf("predict: %s: %w", source, err)
	}
	probsA, probsB, err := predictor.Predict(input, 1)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	printPrediction(stdout, probsA, probsB)
	return nil
}

// predictInput returns the 32x32 model input: the --mixed image, or the
// blend of two images.
func predictInput(mixed string, paths []string, ratio float32) ([]float32, error) {
	if mixed != "" {
		if len(paths) != 0 {
			return nil, fmt.Errorf("got --mixed and %d more images: give either --mixed IMAGE or IMAGE_A IMAGE_B", len(paths))
		}
		return loadImage(mixed)
	}
	if len(paths) != 2 {
		return nil, fmt.Errorf("got %d images: give IMAGE_A (airplane, automobile, bird, cat or deer) and IMAGE_B (dog, frog, horse, ship or truck), or --mixed IMAGE", len(paths))
	}
	imageA, err := loadImage(paths[0])
	if err != nil {
		return nil, err
	}
	imageB, err := loadImage(paths[1])
	if err != nil {
		return nil, err
	}
	return mixture.Mix(imageA, imageB, ratio)
}

func loadImage(path string) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return imageio.Decode(path, data)
}

func printPrediction(w io.Writer, probsA, probsB []float32) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	heads := []struct {
		title string
		names []string
		probs []float32
	}{
		{"head A", cifar.ClassNames[:cifar.GroupSize], probsA},
		{"head B", cifar.ClassNames[cifar.GroupSize:], probsB},
	}
	for _, head := range heads {
		best := model.ArgMaxRows(head.probs, model.NumClasses)[0]
		fmt.Fprintf(tw, "%s: %s\t\n", head.title, head.names[best])
		for i, name := range head.names {
			marker := ""
			if int32(i) == best {
				marker = "<"
			}
			fmt.Fprintf(tw, "  %s\t%6.2f%%\t%s\n", name, 100*head.probs[i], marker)
		}
	}
	tw.Flush()
}
