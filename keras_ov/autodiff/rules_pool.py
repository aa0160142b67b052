"""Gradient rules of pooling.

Max pooling never asks ``MaxPool`` for its indices (that output sends the
node to a reference kernel on CPU).  Instead each window's elements are
compared with the pooled value and the window's cotangent is shared evenly
by the elements that tie for its maximum (as the ``ReduceMax`` rule does;
JAX and TensorFlow give it all to the first one: after a ReLU, where ties
are common, both are zero).  Non-overlapping windows (stride = kernel, the
usual ``MaxPooling2D``) are a reshape of the input: the mask is computed in
place and no scatter is needed.  Overlapping windows slice out each tap
(input padded with -inf) and scatter the masked cotangents back with one
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
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} with ceil rounding"
        )
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
    return g.out(
        ov_ops.convolution_backprop_data(
            contrib,
            g.const(weights, g.dtype(contrib)),
            list(strides),
            pads_begin=pb,
            pads_end=pe,
            dilations=[1] * len(strides),
            auto_pad="explicit",
            output_padding=extra,
        )
    )


def _share(hit, axes):
    """A tie mask (1.0 at each window's maxima) divided by the ties per window."""
    count = g.out(ov_ops.reduce_sum(hit, g.i64(axes), True))
    return div(hit, count)


def _max_pool_tiled(x, y, c, kernel, xs, ys):
    """Stride = kernel, no padding: windows tile the input.

    Everything stays at the input's rank (6-D broadcasts and reductions over
    strided axes run on reference kernels): pooled values are upsampled by a
    nearest-neighbour Interpolate, ties are counted with an AvgPool of the
    tie mask.
    """
    n = len(kernel)
    used = [o * k for o, k in zip(ys, kernel)]
    inner = (
        x
        if used == xs
        else g.out(
            ov_ops.slice(
                x, g.i64([0] * n), g.i64(used), g.i64([1] * n), g.i64(list(range(2, 2 + n)))
            )
        )
    )

    def up(v):  # (N, C, *ys) -> (N, C, *used), each value repeated over its window
        return g.out(
            ov_ops.interpolate(
                v,
                g.i64(used),
                "nearest",
                "sizes",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
                axes=g.i64(list(range(2, 2 + n))),
            )
        )

    t = x.get_element_type()
    hit = g.out(ov_ops.convert(ov_ops.equal(inner, up(y)), t))
    zeros = [0] * n
    count = g.out(
        ov_ops.avg_pool(
            hit,
            kernel,
            zeros,
            zeros,
            kernel,
            exclude_pad=False,
            rounding_type="floor",
            auto_pad="explicit",
        )
    )
    share = div(c, mul(count, g.const(float(np.prod(kernel)), g.dtype(x))))
    d = mul(hit, up(share))
    if used != xs:  # rows/columns no window covers get nothing
        d = g.out(
            ov_ops.pad(
                d,
                g.i64([0] * (n + 2)),
                g.i64([0, 0, *[a - b for a, b in zip(xs, used)]]),
                "constant",
                g.const(0, g.dtype(x)),
            )
        )
    return d


@rule("MaxPool")
def _(node, ct):
    if any(len(list(o.get_target_inputs())) for o in node.outputs()[1:]):
        raise NotImplementedError("keras-ov: gradient of MaxPool whose indices are used")
    x, y = node.input_value(0), node.output(0)
    kernel, strides, pb, pe = _window(node)
    n = len(kernel)
    xs, ys = _spatial(x, "MaxPool"), _spatial(y, "MaxPool")
    if strides == kernel and not any(pb) and all(o * k <= i for o, k, i in zip(ys, kernel, xs)):
        return [_max_pool_tiled(x, y, ct[0], kernel, xs, ys)]
    lowest = g.const(-np.inf, g.dtype(x))
    padded = g.out(ov_ops.pad(x, g.i64([0, 0, *pb]), g.i64([0, 0, *pe]), "constant", lowest))
    taps = list(itertools.product(*[range(k) for k in kernel]))
    axes = g.i64(list(range(2, 2 + n)))
    patches = [
        g.unsqueeze_axes(
            g.out(
                ov_ops.slice(
                    padded,
                    g.i64(list(t)),
                    g.i64([t[d] + (ys[d] - 1) * strides[d] + 1 for d in range(n)]),
                    g.i64(strides),
                    axes,
                )
            ),
            [2],
        )
        for t in taps
    ]
    patches = g.out(ov_ops.concat(patches, 2))  # (N, C, T, *out)
    t = x.get_element_type()
    hit = g.out(ov_ops.convert(ov_ops.equal(patches, g.unsqueeze_axes(y, [2])), t))
    contrib = mul(_share(hit, [2]), g.unsqueeze_axes(ct[0], [2]))
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
        covered = g.out(
            ov_ops.avg_pool(
                ones,
                strides,
                pb,
                pe,
                kernel,
                exclude_pad=False,
                rounding_type="floor",
                auto_pad="explicit",
            )
        )
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
