"""Gradient rules of pooling.

Max pooling never asks ``MaxPool`` for its indices (that output sends the
node to a reference kernel on CPU).  Instead the taps of each window are
sliced out of the input (padded with -inf), compared with the pooled value,
the first maximum of each window kept (as JAX's and TensorFlow's
select-and-scatter do), and the masked cotangents scattered back with one
transposed convolution whose kernel has a single 1 per tap.  Average pooling
scatters ``ct / count`` with a kernel of ones.
"""

import itertools

import numpy as np

from keras_ov.autodiff.core import rule
from keras_ov.autodiff.helpers import div, mul
from keras_ov.autodiff.rules_conv import _spatial
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _window(node):
    a = node.get_attributes()
    if str(a.get("rounding_type", "floor")).lower() != "floor":
        raise NotImplementedError(f"keras-ov: gradient of {node.get_type_name()} with ceil rounding")
    if any(d != 1 for d in a.get("dilations", [1])):
        raise NotImplementedError(f"keras-ov: gradient of dilated {node.get_type_name()}")
    return list(a["kernel"]), list(a["strides"]), list(a["pads_begin"]), list(a["pads_end"])


def _scatter_taps(contrib, weights, x_spatial, strides, pb, pe):
    """Sum of per-tap cotangents (…, T, *out) back into (…, *x_spatial).

    ``contrib`` is (B, T, *out) with B = N*C flattened; ``weights`` is the
    (T, 1, *kernel) transposed-convolution kernel.
    """
    kernel = list(weights.shape[2:])
    out = _spatial(contrib, "pooling")
    natural = [s * (o - 1) + k - b - e for s, o, k, b, e in zip(strides, out, kernel, pb, pe)]
    extra = [xs - m for xs, m in zip(x_spatial, natural)]
    return g.out(ov_ops.convolution_backprop_data(
        contrib, g.const(weights, g.dtype(contrib)), list(strides), pads_begin=pb, pads_end=pe,
        dilations=[1] * len(strides), auto_pad="explicit", output_padding=extra))


@rule("MaxPool")
def _(node, ct):
    if any(len(list(o.get_target_inputs())) for o in node.outputs()[1:]):
        raise NotImplementedError("keras-ov: gradient of MaxPool whose indices are used")
    x, y = node.input_value(0), node.output(0)
    kernel, strides, pb, pe = _window(node)
    n = len(kernel)
    xs, ys = _spatial(x, "MaxPool"), _spatial(y, "MaxPool")
    lowest = g.const(-np.inf, g.dtype(x))
    padded = g.out(ov_ops.pad(x, g.i64([0, 0, *pb]), g.i64([0, 0, *pe]), "constant", lowest))
    taps = list(itertools.product(*[range(k) for k in kernel]))
    axes = g.i64(list(range(2, 2 + n)))
    patches = [g.unsqueeze_axes(g.out(ov_ops.slice(
        padded, g.i64(list(t)), g.i64([t[d] + (ys[d] - 1) * strides[d] + 1 for d in range(n)]),
        g.i64(strides), axes)), [2]) for t in taps]
    patches = g.out(ov_ops.concat(patches, 2))  # (N, C, T, *out)
    t = x.get_element_type()
    hit = g.out(ov_ops.convert(ov_ops.equal(patches, g.unsqueeze_axes(y, [2])), t))
    seen = g.out(ov_ops.cumsum(hit, g.i64(2)))
    first = mul(hit, g.out(ov_ops.convert(ov_ops.equal(seen, g.const(1, g.dtype(x))), t)))
    contrib = mul(first, g.unsqueeze_axes(ct[0], [2]))
    contrib = g.reshape(contrib, [-1, len(taps), *ys])
    onehot = np.zeros((len(taps), 1, *kernel), np.float32)
    for i, t in enumerate(taps):
        onehot[(i, 0, *t)] = 1
    dx = _scatter_taps(contrib, onehot, xs, strides, pb, pe)
    return [g.reshape_to(dx, g.shape_of(x))]


@rule("AvgPool")
def _(node, ct):
    x, y = node.input_value(0), node.output(0)
    kernel, strides, pb, pe = _window(node)
    xs, ys = _spatial(x, "AvgPool"), _spatial(y, "AvgPool")
    if node.get_attributes()["exclude-pad"] and any(pb + pe):
        # windows count only the input elements they cover (constant-folded)
        ones = g.const(np.ones((1, 1, *xs), np.float32), g.dtype(x))
        covered = g.out(ov_ops.avg_pool(ones, strides, pb, pe, kernel, exclude_pad=False,
                                        rounding_type="floor", auto_pad="explicit"))
        count = mul(covered, g.const(float(np.prod(kernel)), g.dtype(x)))
    else:
        count = g.const(float(np.prod(kernel)), g.dtype(x))
    scaled = g.reshape(div(ct[0], count), [-1, 1, *ys])
    dx = _scatter_taps(scaled, np.ones((1, 1, *kernel), np.float32), xs, strides, pb, pe)
    return [g.reshape_to(dx, g.shape_of(x))]


def _bins(n_in, n_out):
    """AdaptiveAvgPool's averaging matrix (n_out, n_in) along one axis."""
    m = np.zeros((n_out, n_in), np.float32)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


@rule("AdaptiveAvgPool")
def _(node, ct):
    x = node.input_value(0)
    xs, ys = _spatial(x, "AdaptiveAvgPool"), _spatial(node.output(0), "AdaptiveAvgPool")
    d = ct[0]
    rank = g.rank(x)
    for axis in range(2, rank):  # separable: one averaging matrix per spatial axis
        m = g.const(_bins(xs[axis - 2], ys[axis - 2]), g.dtype(x))
        perm = [a for a in range(rank) if a != axis] + [axis]
        moved = g.out(ov_ops.matmul(g.transpose(d, perm), m, False, False))
        d = g.transpose(moved, list(np.argsort(perm)))
    return [d, None]
