package model

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// ModelDType is the dtype of every variable and activation.
const ModelDType = dtypes.Float32

// Variable scopes of the two heads, under the model scope.
const (
	HeadAScope = "head_a"
	HeadBScope = "head_b"
)

// Options choose how the graph is built; they never change the variables, so
// weights trained with one option load with the other.
type Options struct {
	// Im2Col builds 3x3 convolutions as one matrix product over image
	// patches. simplego needs it: its convolution is a slow single-threaded
	// loop and cannot be differentiated.
	Im2Col bool
}

// OptionsFor returns the build options that suit a backend.
func OptionsFor(backend backends.Backend) Options {
	return Options{Im2Col: IsSimpleGo(backend)}
}

// IsSimpleGo reports whether backend is GoMLX's pure-Go backend.
func IsSimpleGo(backend backends.Backend) bool {
	_, ok := backend.(*simplego.Backend)
	return ok
}

// Logits builds the network on images [batch, 32, 32, 3] and returns the
// logits of head A and head B, each [batch, 5]. Dropout and batch statistics
// follow ctx.IsTraining. It panics on invalid shapes, as GoMLX graph code does.
func Logits(ctx *context.Context, cfg Config, opts Options, images *graph.Node) (logitsA, logitsB *graph.Node) {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	batch := images.Shape().Dimensions[0]
	images.AssertDims(batch, ImageSize, ImageSize, ImageChannels)

	x := images
	size := ImageSize
	for i, filters := range cfg.Filters {
		x = residualBlock(ctx.In(fmt.Sprintf("block%d", i+1)), cfg, opts, x, filters, cfg.PoolAfter[i])
		if cfg.PoolAfter[i] {
			size /= 2
		}
		x.AssertDims(batch, size, size, filters)
	}

	features := graph.Reshape(x, batch, -1)
	logitsA = dense(ctx.In(HeadAScope), features, NumClasses)
	logitsB = dense(ctx.In(HeadBScope), features, NumClasses)
	logitsA.AssertDims(batch, NumClasses)
	logitsB.AssertDims(batch, NumClasses)
	return logitsA, logitsB
}

// residualBlock is conv3x3-BN-LeakyReLU twice, conv1x1-BN, plus a shortcut
// (projected by a 1x1 convolution when the channel count changes), then
// LeakyReLU, an optional 2x2 max-pool, BN and dropout.
func residualBlock(ctx *context.Context, cfg Config, opts Options, x *graph.Node, filters int, pool bool) *graph.Node {
	g := x.Graph()
	inChannels := x.Shape().Dimensions[3]

	h := conv3x3(ctx.In("conv1"), x, filters, opts.Im2Col)
	h = leakyReLU(batchNorm(ctx.In("bn1"), h), cfg.LeakySlope)
	h = conv3x3(ctx.In("conv2"), h, filters, opts.Im2Col)
	h = leakyReLU(batchNorm(ctx.In("bn2"), h), cfg.LeakySlope)
	h = conv1x1(ctx.In("conv3"), h, filters)
	h = batchNorm(ctx.In("bn3"), h)

	shortcut := x
	if inChannels != filters {
		shortcut = conv1x1(ctx.In("shortcut"), x, filters)
	}
	y := leakyReLU(graph.Add(h, shortcut), cfg.LeakySlope)
	if pool {
		y = maxPool2x2(y)
	}
	y = batchNorm(ctx.In("bn_out"), y)
	if cfg.Dropout > 0 {
		y = layers.DropoutNormalize(ctx.In("dropout"), y, graph.Scalar(g, ModelDType, cfg.Dropout), true)
	}
	return y
}

// Probabilities returns the softmax of both heads' logits, each [batch, 5].
func Probabilities(logitsA, logitsB *graph.Node) (probsA, probsB *graph.Node) {
	return graph.Softmax(logitsA, -1), graph.Softmax(logitsB, -1)
}
