package model

import (
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
)

// GoMLX v0.26.0 differentiates DotGeneral through an [M, K, N] broadcast
// product followed by a sum. For the im2col convolutions of a batch of 32
// that is gigabytes, so matMul marks its nodes and the gradient of marked
// nodes is computed with two matrix products instead.
var (
	plainMatMuls       sync.Map // *graph.Node -> struct{}, rank-2 products built by matMul
	stockDotGeneralVJP = graph.VJPRegistration[graph.NodeTypeDotGeneral]
)

// GoMLX differentiates Slice with Pad, which simplego v0.26.0 lacks.
// shiftedSlice records the start of its slices and their gradient is
// zero-padded with Concatenate instead.
var (
	shiftedSlices = sync.Map{} // *graph.Node -> []int, start index of each axis
	stockSliceVJP = graph.VJPRegistration[graph.NodeTypeSlice]
)

func init() {
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = dotGeneralVJP
	graph.VJPRegistration[graph.NodeTypeSlice] = sliceVJP
}

// shiftedSlice returns x[starts[i] : starts[i]+sizes[i]] along each axis
// (stride 1), with a gradient that simplego can run.
func shiftedSlice(x *graph.Node, starts, sizes []int) *graph.Node {
	specs := make([]graph.SliceAxisSpec, len(starts))
	for axis := range starts {
		specs[axis] = graph.AxisRange(starts[axis], starts[axis]+sizes[axis])
	}
	out := graph.Slice(x, specs...)
	shiftedSlices.Store(out, starts)
	return out
}

// sliceVJP places the output gradient of a shiftedSlice back at its offset
// in a zero tensor of the input's shape; other slices use GoMLX's gradient.
func sliceVJP(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
	startsAny, ok := shiftedSlices.Load(node)
	if !ok {
		return stockSliceVJP(node, vjpOutputs, outputShape)
	}
	starts := startsAny.([]int)
	input := node.Inputs()[0]
	grad := vjpOutputs[0]
	g := grad.Graph()
	for axis, start := range starts {
		inDim := input.Shape().Dimensions[axis]
		outDim := grad.Shape().Dimensions[axis]
		if inDim == outDim {
			continue
		}
		parts := make([]*graph.Node, 0, 3)
		zerosDims := grad.Shape().Clone().Dimensions
		if start > 0 {
			zerosDims[axis] = start
			parts = append(parts, graph.Zeros(g, shapes.Make(grad.DType(), zerosDims...)))
		}
		parts = append(parts, grad)
		if after := inDim - start - outDim; after > 0 {
			zerosDims[axis] = after
			parts = append(parts, graph.Zeros(g, shapes.Make(grad.DType(), zerosDims...)))
		}
		grad = graph.Concatenate(parts, axis)
	}
	return []*graph.Node{grad}
}

// dotGeneralVJP returns dA = dY·Bᵀ and dB = Aᵀ·dY for nodes built by matMul
// and defers to GoMLX's own gradient for every other DotGeneral.
func dotGeneralVJP(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
	if _, ok := plainMatMuls.Load(node); !ok {
		return stockDotGeneralVJP(node, vjpOutputs, outputShape)
	}
	v := vjpOutputs[0]
	inputs := node.Inputs()
	lhs, rhs := inputs[0], inputs[1]
	gradLHS := graph.DotGeneral(v, []int{1}, nil, rhs, []int{1}, nil) // [M, N] x [K, N] -> [M, K]
	gradRHS := graph.DotGeneral(lhs, []int{0}, nil, v, []int{0}, nil) // [M, K] x [M, N] -> [K, N]
	return []*graph.Node{gradLHS, gradRHS}
}

// matMul multiplies lhs [M, K] by rhs [K, N], with a memory-light gradient.
func matMul(lhs, rhs *graph.Node) *graph.Node {
	lhs.AssertRank(2)
	rhs.AssertRank(2)
	out := graph.DotGeneral(lhs, []int{1}, nil, rhs, []int{0}, nil)
	plainMatMuls.Store(out, struct{}{})
	return out
}

// kernelAndBias creates (or reuses) a kernel of the given shape, initialized
// Glorot-uniform as in Keras, and a zero bias of size outChannels.
func kernelAndBias(ctx *context.Context, g *graph.Graph, kernelDims []int, outChannels int) (kernel, bias *graph.Node) {
	glorot := ctx.WithInitializer(initializers.GlorotUniformFn(ctx))
	kernel = glorot.VariableWithShape("kernel", shapes.Make(ModelDType, kernelDims...)).ValueGraph(g)
	bias = ctx.WithInitializer(initializers.Zero).VariableWithShape("bias", shapes.Make(ModelDType, outChannels)).ValueGraph(g)
	return kernel, bias
}

// conv3x3 is a 3x3 "same" convolution with bias: x [batch, h, w, in] to
// [batch, h, w, out]. With im2col it builds the 9 shifted copies of x and
// does one matrix product, the fast path on simplego. Otherwise it uses the
// backend's convolution. Both read the same [3, 3, in, out] kernel.
func conv3x3(ctx *context.Context, x *graph.Node, out int, im2col bool) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, height, width, in := dims[0], dims[1], dims[2], dims[3]
	kernel, bias := kernelAndBias(ctx, g, []int{3, 3, in, out}, out)

	var y *graph.Node
	if im2col {
		patches := im2colPatches(x) // [batch*h*w, 9*in]
		y = matMul(patches, graph.Reshape(kernel, 9*in, out))
		y = graph.Reshape(y, batch, height, width, out)
	} else {
		y = graph.Convolve(x, kernel).Strides(1).PadSame().Done()
	}
	y = graph.Add(y, graph.Reshape(bias, 1, 1, 1, out))
	y.AssertDims(batch, height, width, out)
	return y
}

// im2colPatches returns the 3x3 neighborhoods of x [batch, h, w, c] as a
// [batch*h*w, 9*c] matrix, ordered (dy, dx, c) like a [3, 3, c, out] kernel
// flattened row-major. Borders are zero-padded, built with Concatenate
// because simplego lacks some padding gradients.
func im2colPatches(x *graph.Node) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, height, width, channels := dims[0], dims[1], dims[2], dims[3]

	zeroRow := graph.Zeros(g, shapes.Make(x.DType(), batch, 1, width, channels))
	padded := graph.Concatenate([]*graph.Node{zeroRow, x, zeroRow}, 1)
	zeroColumn := graph.Zeros(g, shapes.Make(x.DType(), batch, height+2, 1, channels))
	padded = graph.Concatenate([]*graph.Node{zeroColumn, padded, zeroColumn}, 2)

	shifted := make([]*graph.Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			shifted = append(shifted, shiftedSlice(padded, []int{0, dy, dx, 0}, []int{batch, height, width, channels}))
		}
	}
	patches := graph.Concatenate(shifted, 3)
	return graph.Reshape(patches, batch*height*width, 9*channels)
}

// conv1x1 is a pointwise convolution with bias, as one matrix product.
func conv1x1(ctx *context.Context, x *graph.Node, out int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, height, width, in := dims[0], dims[1], dims[2], dims[3]
	kernel, bias := kernelAndBias(ctx, g, []int{in, out}, out)
	y := matMul(graph.Reshape(x, batch*height*width, in), kernel)
	y = graph.Add(y, graph.Reshape(bias, 1, out))
	return graph.Reshape(y, batch, height, width, out)
}

// dense is a fully connected layer: x [batch, in] to [batch, out].
func dense(ctx *context.Context, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	kernel, bias := kernelAndBias(ctx, x.Graph(), []int{in, out}, out)
	return graph.Add(matMul(x, kernel), graph.Reshape(bias, 1, out))
}

// maxPool2x2 halves height and width with a 2x2 max-pool, written as
// Reshape + ReduceMax because simplego has no gradient for graph.MaxPool.
func maxPool2x2(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	batch, height, width, channels := dims[0], dims[1], dims[2], dims[3]
	y := graph.Reshape(x, batch, height/2, 2, width/2, 2, channels)
	return graph.ReduceMax(y, 2, 4)
}

// batchNorm normalizes over the channel axis with Keras' defaults (momentum
// 0.99, epsilon 1e-3), using the differentiable graph form that every
// backend runs.
func batchNorm(ctx *context.Context, x *graph.Node) *graph.Node {
	return batchnorm.New(ctx, x, -1).UseBackendInference(false).Done()
}

func leakyReLU(x *graph.Node, slope float64) *graph.Node {
	return activations.LeakyReluWithAlpha(x, slope)
}
