"""nn ops: activations, convolution and pooling, losses, normalisation, attention.

CTC (``ctc_loss``, ``ctc_decode``) lives in ``ctc.py``.

Layout: Keras hands us channels_last by default while OpenVINO's Convolution,
pooling and DepthToSpace work on NC(spatial).  Translators transpose the data
once on the way in and once on the way out; kernels are transposed on their own
side so that, for constant weights, the transpose folds away at compile time.
Bias-adds and activations stay plain Add/activation nodes after the conv, which
is the shape of graph the CPU plugin fuses.
"""

import math

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.reduction import reduce_mean
from keras_ov.ops.registry import apply, register, with_params
from keras_ov.ops.shape import squeeze


def _as(x, dtype, op):
    """``x`` in its compute dtype, converted before the op's graph.

    Keras promotes float64 NumPy inputs to float32; converting in a separate
    step keeps the op's own graph off the float64 reference executor.
    """
    return to_tensor(x, dtype, op=op)


# -- activations ----------------------------------------------------------------
#
# ``build(x, **params)`` sees ``x`` already cast to the result dtype.  "inexact"
# activations promote ints to float; "same" ones keep the input dtype (as JAX).


def _activation(name, build, rule="inexact"):
    def translator(x, *, dtype, **params):
        return g.out(build(g.cast(x, dtype), **params))

    def op(x, **params):
        x = to_tensor(x, op=name)
        dtype = dtypes.promote_inexact(x) if rule == "inexact" else dtypes.promote(x)
        x = to_tensor(x, dtype, op=name)
        return apply(f"nn.{name}", translator, [x], dtype=dtype, **params)

    op.__name__ = op.__qualname__ = name
    return op


def _square(x):
    x = g.out(x)
    return ov_ops.multiply(x, x)


def _soft_shrink(x, threshold):
    t = g.const_like(threshold, x)
    return g.select(
        ov_ops.greater(x, t),
        ov_ops.subtract(x, t),
        g.select(ov_ops.less(x, ov_ops.negative(t)), ov_ops.add(x, t), g.const_like(0, x)),
    )


def _sparse_plus(x):
    quad = ov_ops.multiply(_square(ov_ops.add(x, g.const_like(1, x))), g.const_like(0.25, x))
    return g.select(
        ov_ops.less_equal(x, g.const_like(-1, x)),
        g.const_like(0, x),
        g.select(ov_ops.greater_equal(x, g.const_like(1, x)), x, quad),
    )


def _squareplus(x, b):
    root = ov_ops.sqrt(ov_ops.add(_square(x), g.const_like(b, x)))
    return ov_ops.multiply(ov_ops.add(x, root), g.const_like(0.5, x))


def _celu(x, alpha):
    a = g.const_like(alpha, x)
    neg = ov_ops.multiply(a, ov_ops.subtract(ov_ops.exp(ov_ops.divide(x, a)), g.const_like(1, x)))
    return g.select(ov_ops.greater(x, g.const_like(0, x)), x, neg)


def _log1p_small(e):
    """log(1 + e) for 0 <= e <= 1, accurate for tiny e (Goldberg's correction).

    The Maximum keeps OpenVINO's SoftPlusFusion from turning log(exp(.) + 1)
    into its SoftPlus kernel, which is inaccurate in the tails on CPU.
    """
    one = g.const_like(1, e)
    u = ov_ops.add(e, one)
    log_u = ov_ops.log(ov_ops.maximum(u, one))
    du = ov_ops.subtract(u, one)
    safe = ov_ops.select(ov_ops.equal(du, g.const_like(0, e)), one, du)
    return ov_ops.select(
        ov_ops.equal(du, g.const_like(0, e)), e, ov_ops.multiply(log_u, ov_ops.divide(e, safe))
    )


def _softplus(x):
    """max(x, 0) + log1p(exp(-|x|)), exact in both tails."""
    tail = _log1p_small(g.out(ov_ops.exp(ov_ops.negative(ov_ops.abs(x)))))
    return ov_ops.add(ov_ops.relu(x), tail)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_UNARY = {
    "relu": (ov_ops.relu, "same"),
    "relu6": (lambda x: ov_ops.clamp(x, 0.0, 6.0), "same"),
    "sigmoid": (ov_ops.sigmoid, "inexact"),
    "sparse_sigmoid": (
        lambda x: ov_ops.clamp(
            ov_ops.multiply(ov_ops.add(x, g.const_like(1, x)), g.const_like(0.5, x)), 0.0, 1.0
        ),
        "inexact",
    ),
    "tanh": (ov_ops.tanh, "inexact"),
    "tanh_shrink": (lambda x: ov_ops.subtract(x, ov_ops.tanh(x)), "inexact"),
    "softplus": (_softplus, "inexact"),
    "softsign": (ov_ops.softsign, "inexact"),
    "sparse_plus": (_sparse_plus, "inexact"),
    "silu": (lambda x: ov_ops.swish(x, g.const_like(1.0, x)), "inexact"),
    "log_sigmoid": (lambda x: ov_ops.negative(_softplus(g.out(ov_ops.negative(x)))), "inexact"),
    "hard_sigmoid": (ov_ops.hsigmoid, "inexact"),
    "hard_silu": (ov_ops.hswish, "inexact"),
    "selu": (
        lambda x: ov_ops.selu(x, g.const_like(_SELU_ALPHA, x), g.const_like(_SELU_SCALE, x)),
        "inexact",
    ),
    "hard_tanh": (lambda x: ov_ops.clamp(x, -1.0, 1.0), "inexact"),
}

for _name, (_build, _rule) in _UNARY.items():
    register("nn", _name)(with_params(_activation(_name, _build, _rule), ("x",)))

_soft_shrink_op = _activation("soft_shrink", _soft_shrink)
_squareplus_op = _activation("squareplus", _squareplus)
_leaky_relu_op = _activation("leaky_relu", lambda x, slope: ov_ops.prelu(x, g.const_like(slope, x)))
_elu_op = _activation("elu", lambda x, alpha: ov_ops.elu(x, alpha))
_gelu_op = _activation("gelu", lambda x, mode: ov_ops.gelu(x, mode))
_celu_op = _activation("celu", _celu)
_hard_shrink_op = _activation(
    "hard_shrink",
    lambda x, threshold: g.select(
        ov_ops.greater(ov_ops.abs(x), g.const_like(threshold, x)), x, g.const_like(0, x)
    ),
)
_threshold_op = _activation(
    "threshold",
    lambda x, threshold, default: g.select(
        ov_ops.greater(x, g.const_like(threshold, x)), x, g.const_like(default, x)
    ),
)


@register("nn")
def soft_shrink(x, threshold=0.5):
    return _soft_shrink_op(x, threshold=float(threshold))


@register("nn")
def squareplus(x, b=4):
    return _squareplus_op(x, b=float(b))


@register("nn")
def leaky_relu(x, negative_slope=0.2):
    return _leaky_relu_op(x, slope=float(negative_slope))


@register("nn")
def elu(x, alpha=1.0):
    return _elu_op(x, alpha=float(alpha))


@register("nn")
def gelu(x, approximate=True):
    return _gelu_op(x, mode="tanh" if approximate else "erf")


@register("nn")
def celu(x, alpha=1.0):
    return _celu_op(x, alpha=float(alpha))


@register("nn")
def hard_shrink(x, threshold=0.5):
    return _hard_shrink_op(x, threshold=float(threshold))


@register("nn")
def threshold(x, threshold, default_value):
    return _threshold_op(x, threshold=float(threshold), default=float(default_value))


def _glu(x, *, axis, dtype):
    a, b = ov_ops.split(g.cast(x, dtype), g.i64(axis), 2).outputs()
    return g.out(ov_ops.multiply(a, ov_ops.sigmoid(b)))


@register("nn")
def glu(x, axis=-1):
    x = to_tensor(x, op="glu")
    axis = g.normalize_axis(axis, x.ndim, "glu")
    if x.shape[axis] is not None and x.shape[axis] % 2:
        raise ValueError(f"`glu`: axis {axis} must have an even size, got shape {x.shape}")
    return apply(
        "nn.glu",
        _glu,
        [_as(x, dtypes.promote_inexact(x), "glu")],
        axis=axis,
        dtype=dtypes.promote_inexact(x),
    )


def _softmax(x, *, axis, dtype, log):
    x = g.cast(x, dtype)
    fn = ov_ops.log_softmax if log else ov_ops.softmax
    if axis is not None:
        return g.out(fn(x, axis))
    return g.reshape_to(g.out(fn(g.reshape(x, [-1]), 0)), g.shape_of(x))


def _softmax_op(name, x, axis, log):
    x = to_tensor(x, op=name)
    if axis is not None and x.ndim:
        axis = g.normalize_axis(axis, x.ndim, name)
    else:
        axis = None
    dtype = dtypes.promote_inexact(x)
    return apply(f"nn.{name}", _softmax, [_as(x, dtype, name)], axis=axis, dtype=dtype, log=log)


@register("nn")
def softmax(x, axis=-1):
    return _softmax_op("softmax", x, axis, log=False)


@register("nn")
def log_softmax(x, axis=-1):
    return _softmax_op("log_softmax", x, axis, log=True)


def _axis_iota(n, rank, axis, like, start=0):
    """``start, start+1, ...`` laid along ``axis`` of a rank-``rank`` tensor."""
    shape = [1] * rank
    shape[axis] = n
    return g.const(np.arange(start, start + n).reshape(shape), g.dtype(like))


def _sparsemax(x, *, axis, dtype):
    x = g.cast(x, dtype)
    n = g.static_shape(x)[axis]
    srt = ov_ops.topk(x, g.i64(n), axis, "max", "value").output(0)
    csum = ov_ops.cumsum(srt, g.i64(axis))
    r = _axis_iota(n, g.rank(x), axis, x, start=1)
    support = ov_ops.greater(ov_ops.multiply(srt, r), ov_ops.subtract(csum, g.const_like(1, x)))
    k = ov_ops.reduce_sum(g.cast(g.out(support), dtype), g.i64([axis]), True)
    top = ov_ops.reduce_sum(g.select(support, srt, g.const_like(0, x)), g.i64([axis]), True)
    tau = ov_ops.divide(ov_ops.subtract(top, g.const_like(1, x)), k)
    return g.out(ov_ops.maximum(ov_ops.subtract(x, tau), g.const_like(0, x)))


@register("nn")
def sparsemax(x, axis=-1):
    x = to_tensor(x, op="sparsemax")
    axis = g.normalize_axis(axis, x.ndim, "sparsemax")
    if x.shape[axis] is None:
        raise ValueError("`sparsemax`: the normalised axis must have a static size")
    dtype = dtypes.promote_inexact(x)
    return apply("nn.sparsemax", _sparsemax, [_as(x, dtype, "sparsemax")], axis=axis, dtype=dtype)


# -- layout helpers -------------------------------------------------------------


def _spatial(value, n, op, what):
    """An int or a length-``n`` sequence as an ``n``-tuple of ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"`{op}`: `{what}` must have {n} entries, got {value}")
    return value


def _to_first(x, n, channels_last):
    """NHWC -> NCHW (no node for channels_first)."""
    return g.transpose(x, [0, n + 1, *range(1, n + 1)]) if channels_last else x


def _to_last(x, n, channels_last):
    return g.transpose(g.out(x), [0, *range(2, n + 2), 1]) if channels_last else g.out(x)


def _auto_pad(padding, op):
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"`{op}`: `padding` must be 'valid' or 'same', got {padding!r}")
    return "same_upper" if padding == "same" else "valid"


def _check_rank(x, op, low=3, high=5):
    if not low <= x.ndim <= high:
        raise ValueError(
            f"`{op}`: inputs must have rank {low}..{high} (batch, spatial..., channels), "
            f"got shape {x.shape}"
        )


def _channels(x, channels_last):
    return x.shape[-1] if channels_last else x.shape[1]


# -- pooling -----------------------------------------------------------------------


def _pool(x, *, kind, n, channels_last, kernel, strides, pad):
    x = _to_first(x, n, channels_last)
    batch = x.get_partial_shape()[0]
    if batch.is_static and batch.get_length() == 0:
        # The pooling ops' shape inference refuses a batch of 0: pool one
        # zero image and keep none of it.
        one = ov_ops.pad(x, g.i64([0] * (n + 2)), g.i64([1] + [0] * (n + 1)), "constant")
        y = _pool(
            g.out(one), kind=kind, n=n, channels_last=False, kernel=kernel, strides=strides, pad=pad
        )
        empty = ov_ops.slice(y, g.i64([0]), g.i64([0]), g.i64([1]), g.i64([0]))
        return _to_last(empty, n, channels_last)
    zeros = [0] * n
    if kind == "max":
        y = ov_ops.max_pool(
            x, list(strides), [1] * n, zeros, zeros, list(kernel), auto_pad=pad
        ).output(0)
    else:
        y = ov_ops.avg_pool(
            x, list(strides), zeros, zeros, list(kernel), exclude_pad=True, auto_pad=pad
        )
    return _to_last(y, n, channels_last)


def _pool_op(kind, inputs, pool_size, strides, padding, data_format):
    op = f"{kind}_pool"
    x = to_tensor(inputs, op=op)
    _check_rank(x, op)
    n = x.ndim - 2
    kernel = _spatial(pool_size, n, op, "pool_size")
    strides = kernel if strides is None else _spatial(strides, n, op, "strides")
    if 0 in x.shape[1:]:  # (a batch of 0 is fine: see _pool)
        raise ValueError(
            f"`{op}`: cannot pool over a zero-size spatial or channel dimension, "
            f"got inputs of shape {x.shape}"
        )
    if dtypes.is_float(x.dtype) or kind == "average":
        x = _as(x, dtypes.promote_inexact(x), op)
    return apply(
        f"nn.{op}",
        _pool,
        [x],
        kind=kind,
        n=n,
        channels_last=g.data_format(data_format) == "channels_last",
        kernel=kernel,
        strides=strides,
        pad=_auto_pad(padding, op),
    )


@register("nn")
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool_op("max", inputs, pool_size, strides, padding, data_format)


@register("nn")
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool_op("average", inputs, pool_size, strides, padding, data_format)


def _adaptive_pool(x, *, kind, n, channels_last, size):
    x = _to_first(x, n, channels_last)
    if kind == "max":
        y = ov_ops.adaptive_max_pool(x, g.i64(list(size)), "i32").output(0)
    else:
        y = ov_ops.adaptive_avg_pool(x, g.i64(list(size)))
    return _to_last(y, n, channels_last)


def _adaptive_op(kind, inputs, output_size, data_format):
    op = f"adaptive_{kind}_pool"
    x = to_tensor(inputs, op=op)
    _check_rank(x, op)
    n = x.ndim - 2
    x = _as(x, dtypes.promote_inexact(x), op)
    return apply(
        f"nn.{op}",
        _adaptive_pool,
        [x],
        kind=kind,
        n=n,
        channels_last=g.data_format(data_format) == "channels_last",
        size=_spatial(output_size, n, op, "output_size"),
    )


@register("nn")
def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_op("average", inputs, output_size, data_format)


@register("nn")
def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_op("max", inputs, output_size, data_format)


# -- convolution ---------------------------------------------------------------------


def _kernel_oi(kernel, n):
    """Keras (*k, in, out) -> OpenVINO (out, in, *k)."""
    return g.transpose(kernel, [n + 1, n, *range(n)])


def _grouped(w, groups):
    """(out, in/g, *k) -> (g, out/g, in/g, *k) for GroupConvolution."""
    shape = g.static_shape(w)
    return g.reshape(w, [groups, shape[0] // groups, *shape[1:]])


def _conv_nchw(x, w, n, strides, pad, dilations, groups):
    zeros = [0] * n
    if groups == 1:
        return g.out(
            ov_ops.convolution(x, w, list(strides), zeros, zeros, list(dilations), auto_pad=pad)
        )
    return g.out(
        ov_ops.group_convolution(
            x, _grouped(w, groups), list(strides), zeros, zeros, list(dilations), auto_pad=pad
        )
    )


def _conv(x, kernel, *, n, channels_last, strides, pad, dilations, groups, dtype):
    x = _to_first(g.cast(x, dtype), n, channels_last)
    w = _kernel_oi(g.cast(kernel, dtype), n)
    return _to_last(_conv_nchw(x, w, n, strides, pad, dilations, groups), n, channels_last)


def _conv_args(op, inputs, kernel, strides, padding, data_format, dilation_rate):
    x = to_tensor(inputs, op=op)
    k = to_tensor(kernel, op=op)
    _check_rank(x, op)
    n = x.ndim - 2
    if k.ndim != n + 2:
        raise ValueError(
            f"`{op}`: kernel must have rank {n + 2} for inputs of rank {x.ndim}, "
            f"got kernel shape {k.shape}"
        )
    channels_last = g.data_format(data_format) == "channels_last"
    dtype = dtypes.promote(k) if dtypes.is_float(k.dtype) else dtypes.promote_inexact(x, k)
    x, k = _as(x, dtype, op), _as(k, dtype, op)
    attrs = dict(
        n=n,
        channels_last=channels_last,
        pad=_auto_pad(padding, op),
        strides=_spatial(strides, n, op, "strides"),
        dilations=_spatial(dilation_rate, n, op, "dilation_rate"),
        dtype=dtype,
    )
    return x, k, attrs


def _check_empty(op, out, x):
    if out.size == 0 and x.size:
        raise ValueError(
            f"`{op}`: the convolution produced an empty output {out.shape}; the input "
            f"{x.shape} is too small for this kernel size, strides, dilation and padding"
        )
    return out


@register("nn")
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, k, attrs = _conv_args("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    channels = _channels(x, attrs["channels_last"])
    if channels is not None and channels % k.shape[-2]:
        raise ValueError(
            "`conv`: the number of input channels must be evenly divisible by the "
            f"kernel's in_channels. Received input channels {channels} and kernel "
            f"in_channels {k.shape[-2]}."
        )
    groups = 1 if channels is None else channels // k.shape[-2]
    if groups > 1 and k.shape[-1] % groups:
        raise ValueError(
            f"`conv`: kernel out_channels {k.shape[-1]} must be divisible by the "
            f"number of groups {groups}"
        )
    return _check_empty("conv", apply("nn.conv", _conv, [x, k], groups=groups, **attrs), x)


def _depthwise(x, kernel, *, n, channels_last, strides, pad, dilations, dtype):
    x = _to_first(g.cast(x, dtype), n, channels_last)
    # Keras (*k, C, M) -> GroupConvolution (C, M, 1, *k)
    w = g.unsqueeze_axes(g.transpose(g.cast(kernel, dtype), [n, n + 1, *range(n)]), [2])
    zeros = [0] * n
    y = ov_ops.group_convolution(x, w, list(strides), zeros, zeros, list(dilations), auto_pad=pad)
    return _to_last(y, n, channels_last)


def _check_depthwise_channels(op, x, k, channels_last):
    channels = _channels(x, channels_last)
    if channels is not None and channels != k.shape[-2]:
        raise ValueError(
            f"`{op}`: the number of input channels must match the kernel's "
            f"in_channels. Received input channels {channels} and kernel "
            f"in_channels {k.shape[-2]}."
        )


@register("nn")
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, k, attrs = _conv_args(
        "depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate
    )
    _check_depthwise_channels("depthwise_conv", x, k, attrs["channels_last"])
    return apply("nn.depthwise_conv", _depthwise, [x, k], **attrs)


def _separable(x, dk, pk, *, n, channels_last, strides, pad, dilations, dtype):
    x = _to_first(g.cast(x, dtype), n, channels_last)
    y = _depthwise(
        x, dk, n=n, channels_last=False, strides=strides, pad=pad, dilations=dilations, dtype=dtype
    )
    w = _kernel_oi(g.cast(pk, dtype), n)
    return _to_last(_conv_nchw(y, w, n, [1] * n, "valid", [1] * n, 1), n, channels_last)


@register("nn")
def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    x, dk, attrs = _conv_args(
        "separable_conv", inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    pk = _as(pointwise_kernel, attrs["dtype"], "separable_conv")
    _check_depthwise_channels("separable_conv", x, dk, attrs["channels_last"])
    if pk.ndim != dk.ndim:
        raise ValueError(
            f"`separable_conv`: pointwise kernel rank {pk.ndim} must match the "
            f"depthwise kernel rank {dk.ndim}"
        )
    return apply("nn.separable_conv", _separable, [x, dk, pk], **attrs)


def _conv_transpose(
    x, kernel, *, n, channels_last, strides, dilations, pads_begin, pads_end, output_padding, dtype
):
    x = _to_first(g.cast(x, dtype), n, channels_last)
    # Keras (*k, out, in) -> ConvolutionBackpropData (in, out, *k)
    w = g.transpose(g.cast(kernel, dtype), [n + 1, n, *range(n)])
    y = ov_ops.convolution_backprop_data(
        x,
        w,
        list(strides),
        pads_begin=list(pads_begin),
        pads_end=list(pads_end),
        dilations=list(dilations),
        auto_pad="explicit",
        output_padding=list(output_padding),
    )
    return _to_last(y, n, channels_last)


@register("nn")
def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.common.backend_utils import (
        compute_conv_transpose_padding_args_for_jax,
    )

    op = "conv_transpose"
    x, k, attrs = _conv_args(op, inputs, kernel, strides, padding, data_format, dilation_rate)
    del attrs["pad"]
    n = attrs["n"]
    channels = _channels(x, attrs["channels_last"])
    if channels is not None and channels != k.shape[-1]:
        raise ValueError(
            f"`{op}`: the number of input channels must match the kernel's "
            f"in_channels (its last dimension). Received input channels {channels} "
            f"and kernel shape {k.shape}."
        )
    # JAX pads the stride-dilated input by (left, right) before a VALID
    # correlation; OpenVINO's "full" padding is dk - 1 per side, so it crops
    # (dk - 1 - left, dk - 1 - right) and grows the end by output_padding.
    jax_pads = compute_conv_transpose_padding_args_for_jax(
        input_shape=x.shape,
        kernel_shape=k.shape,
        strides=attrs["strides"],
        padding=padding,
        output_padding=output_padding,
        dilation_rate=attrs["dilations"],
    )
    begin, end, extra = [], [], []
    for (left, right), ks, d in zip(jax_pads, k.shape[:n], attrs["dilations"]):
        full = (ks - 1) * d
        begin.append(full - left)
        end.append(max(full - right, 0))
        extra.append(max(right - full, 0))
    return apply(
        f"nn.{op}",
        _conv_transpose,
        [x, k],
        pads_begin=tuple(begin),
        pads_end=tuple(end),
        output_padding=tuple(extra),
        **attrs,
    )


# -- encodings -------------------------------------------------------------------------


def _one_hot_args(op, x, num_classes, axis, dtype, sparse):
    if sparse:
        raise ValueError(f"`{op}`: `sparse=True` is not supported by the OpenVINO backend")
    x = to_tensor(x, op=op)
    num_classes = int(num_classes)
    dtype = dtypes.floatx() if dtype is None else dtypes.standardize(dtype)
    return x, num_classes, dtype


@register("nn")
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x, depth, dtype = _one_hot_args("one_hot", x, num_classes, axis, dtype, sparse)
    axis = g.normalize_axis(axis, x.ndim + 1, "one_hot")
    return apply("nn.one_hot", g.one_hot, [x], depth=depth, axis=axis, dtype=dtype)


def _multi_hot(x, *, depth, axis, reduce_axis, dtype):
    work = "float32" if dtype == "bool" else dtype  # ReduceMax has no boolean form
    hot = g.one_hot(x, depth=depth, axis=axis, dtype=work)
    return g.cast(g.out(ov_ops.reduce_max(hot, g.i64([reduce_axis]), False)), dtype)


@register("nn")
def multi_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x, depth, dtype = _one_hot_args("multi_hot", x, num_classes, axis, dtype, sparse)
    axis = g.normalize_axis(axis, x.ndim + 1, "multi_hot")
    reduce_axis = 1 if x.ndim > 1 else 0
    return apply(
        "nn.multi_hot",
        _multi_hot,
        [x],
        depth=depth,
        axis=axis,
        reduce_axis=reduce_axis,
        dtype=dtype,
    )


# -- losses -------------------------------------------------------------------------------


def _epsilon():
    from keras.src.backend.config import epsilon  # lazy: keras loads keras_ov.backend

    return epsilon()


def _log_probs(output, axis, from_logits, eps):
    if from_logits:
        return g.out(ov_ops.log_softmax(output, axis))
    total = ov_ops.reduce_sum(output, g.i64([axis]), True)
    p = ov_ops.clamp(ov_ops.divide(output, total), eps, 1.0 - eps)
    return g.out(ov_ops.log(p))


def _categorical_ce(target, output, *, axis, from_logits, eps, dtype):
    target, output = g.cast(target, dtype), g.cast(output, dtype)
    logp = _log_probs(output, axis, from_logits, eps)
    return g.out(
        ov_ops.negative(ov_ops.reduce_sum(ov_ops.multiply(target, logp), g.i64([axis]), False))
    )


@register("nn")
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    op = "categorical_crossentropy"
    target, output = to_tensor(target, op=op), to_tensor(output, op=op)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if output.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    axis = g.normalize_axis(axis, output.ndim, op)
    dtype = dtypes.promote_inexact(target, output)
    return apply(
        f"nn.{op}",
        _categorical_ce,
        [_as(target, dtype, op), _as(output, dtype, op)],
        axis=axis,
        from_logits=bool(from_logits),
        eps=_epsilon(),
        dtype=dtype,
    )


def _sparse_ce(target, output, *, axis, depth, from_logits, eps, dtype):
    output = g.cast(output, dtype)
    hot = g.one_hot(target, depth=depth, axis=axis, dtype=dtype)
    logp = _log_probs(output, axis, from_logits, eps)
    return g.out(
        ov_ops.negative(ov_ops.reduce_sum(ov_ops.multiply(hot, logp), g.i64([axis]), False))
    )


@register("nn")
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    op = "sparse_categorical_crossentropy"
    target = to_tensor(target, "int32", op=op)  # class ids, int32 as in Keras
    output = to_tensor(output, op=op)
    if target.ndim == output.ndim and target.ndim and target.shape[-1] == 1:
        target = squeeze(target, axis=-1)
    if output.ndim < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}"
        )
    if tuple(target.shape) != tuple(output.shape[:-1]):
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the "
            f"last dimension: target.shape={target.shape}, output.shape={output.shape}"
        )
    axis = g.normalize_axis(axis, output.ndim, op)
    if output.shape[axis] is None:
        raise ValueError(f"`{op}`: the class axis of `output` must have a static size")
    dtype = dtypes.promote_inexact(output)
    return apply(
        f"nn.{op}",
        _sparse_ce,
        [target, _as(output, dtype, op)],
        axis=axis,
        depth=output.shape[axis],
        from_logits=bool(from_logits),
        eps=_epsilon(),
        dtype=dtype,
    )


def _binary_ce(target, output, *, from_logits, eps, dtype):
    target, output = g.cast(target, dtype), g.cast(output, dtype)
    one = g.const_like(1, output)
    if from_logits:
        # log(sigmoid(z)) = -softplus(-z);  log(1 - sigmoid(z)) = -softplus(z)
        pos = ov_ops.multiply(target, _softplus(g.out(ov_ops.negative(output))))
        neg = ov_ops.multiply(ov_ops.subtract(one, target), _softplus(output))
        return g.out(ov_ops.add(pos, neg))
    p = ov_ops.clamp(output, eps, 1.0 - eps)
    bce = ov_ops.add(
        ov_ops.multiply(target, ov_ops.log(p)),
        ov_ops.multiply(ov_ops.subtract(one, target), ov_ops.log(ov_ops.subtract(one, p))),
    )
    return g.out(ov_ops.negative(bce))


@register("nn")
def binary_crossentropy(target, output, from_logits=False):
    op = "binary_crossentropy"
    target, output = to_tensor(target, op=op), to_tensor(output, op=op)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    dtype = dtypes.promote_inexact(target, output)
    return apply(
        f"nn.{op}",
        _binary_ce,
        [_as(target, dtype, op), _as(output, dtype, op)],
        from_logits=bool(from_logits),
        eps=_epsilon(),
        dtype=dtype,
    )


# -- normalisation ---------------------------------------------------------------------------

_F16_MAX = float(np.finfo(np.float16).max)


def _moments(x, *, axes, keepdims, dtype, compute):
    x = g.cast(x, compute)
    ax = g.i64(list(axes))
    mean = reduce_mean(x, ax, True)
    var = reduce_mean(_square(ov_ops.subtract(x, mean)), ax, keepdims)
    if not keepdims:
        mean = ov_ops.squeeze(mean, ax)
    if compute != dtype:  # keep half-precision results finite
        mean = ov_ops.clamp(mean, -_F16_MAX, _F16_MAX)
        var = ov_ops.clamp(var, -_F16_MAX, _F16_MAX)
    return [g.cast(g.out(mean), dtype), g.cast(g.out(var), dtype)]


@register("nn")
def moments(x, axes, keepdims=False, synchronized=False):
    if synchronized:
        raise NotImplementedError(
            "`moments`: `synchronized=True` is not supported by the OpenVINO backend"
        )
    x = to_tensor(x, op="moments")
    dtype = dtypes.promote_inexact(x)
    compute = "float32" if dtype in ("float16", "bfloat16") else dtype
    axes = g.normalize_axes(axes, x.ndim, "moments")
    return apply(
        "nn.moments",
        _moments,
        [_as(x, dtype, "moments")],
        axes=axes,
        keepdims=bool(keepdims),
        dtype=dtype,
        compute=compute,
    )


def _batch_norm(x, mean, variance, *rest, axis, has_offset, has_scale, epsilon, dtype):
    rank = g.rank(x)
    shape = [1] * rank
    shape[axis] = -1

    def col(t):
        return g.reshape(g.cast(t, dtype), shape)

    rest = list(rest)
    offset = col(rest.pop(0)) if has_offset else None
    scale = col(rest.pop(0)) if has_scale else None
    x = g.cast(x, dtype)
    inv = ov_ops.divide(
        g.const_like(1, x), ov_ops.sqrt(ov_ops.add(col(variance), g.const_like(epsilon, x)))
    )
    if scale is not None:
        inv = ov_ops.multiply(inv, scale)
    res = ov_ops.multiply(ov_ops.negative(col(mean)), inv)
    if offset is not None:
        res = ov_ops.add(res, offset)
    return g.out(ov_ops.add(ov_ops.multiply(x, inv), res))


@register("nn")
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    op = "batch_normalization"
    x = to_tensor(x, op=op)
    mean, variance = to_tensor(mean, op=op), to_tensor(variance, op=op)
    inputs = [x, mean, variance]
    if offset is not None:
        inputs.append(to_tensor(offset, op=op))
    if scale is not None:
        inputs.append(to_tensor(scale, op=op))
    axis = g.normalize_axis(axis, x.ndim, op)
    dtype = dtypes.promote_inexact(x, mean, variance)
    return apply(
        f"nn.{op}",
        _batch_norm,
        [_as(t, dtype, op) for t in inputs],
        axis=axis,
        has_offset=offset is not None,
        has_scale=scale is not None,
        epsilon=float(epsilon),
        dtype=dtype,
    )


# -- metrics -------------------------------------------------------------------------------------


def _psnr(x1, x2, max_val, *, dtype):
    x1, x2, max_val = g.cast(x1, dtype), g.cast(x2, dtype), g.cast(max_val, dtype)
    mse = ov_ops.reduce_mean(
        ov_ops.squared_difference(x1, x2), g.i64(list(range(g.rank(x1)))), False
    )
    ten_over_ln10 = g.const_like(10.0 / math.log(10.0), x1)
    db = ov_ops.subtract(ov_ops.multiply(g.const_like(2, x1), ov_ops.log(max_val)), ov_ops.log(mse))
    return g.out(ov_ops.multiply(ten_over_ln10, db))


@register("nn")
def psnr(x1, x2, max_val):
    x1, x2 = to_tensor(x1, op="psnr"), to_tensor(x2, op="psnr")
    if x1.shape != x2.shape:
        raise ValueError(
            f"Input shapes {x1.shape} and {x2.shape} must match for PSNR calculation. "
        )
    dtype = dtypes.promote_inexact(x1, x2)
    max_val = _as(max_val, dtype, "psnr")
    return apply(
        "nn.psnr", _psnr, [_as(x1, dtype, "psnr"), _as(x2, dtype, "psnr"), max_val], dtype=dtype
    )


# -- attention ---------------------------------------------------------------------------------------


def _grouped_mask(t, heads):
    """Bias/mask broadcastable to (B, N, T, S), expanded to rank 4 as JAX does."""
    shape = g.static_shape(t)
    while len(shape) < 4:
        axis = 2 if len(shape) == 3 and shape[1] == heads else 1
        t = g.unsqueeze_axes(t, [axis])
        shape = g.static_shape(t)
    return t


def _attention(q, k, v, *rest, has_bias, has_mask, is_causal, scale, soft_cap, dtype):
    """(B, T, N, H) layout in and out; logits and softmax in float32."""
    B, T, N, H = g.static_shape(q)
    Kh = g.static_shape(k)[2]
    S = g.static_shape(k)[1]
    f32 = "float32" if dtype != "float64" else dtype
    q, k, v = (g.transpose(g.cast(t, f32), [0, 2, 1, 3]) for t in (q, k, v))
    if Kh != N:  # grouped-query attention: repeat each key/value head N/Kh times
        k, v = (
            g.reshape(
                ov_ops.broadcast(
                    ov_ops.unsqueeze(t, g.i64(2)),
                    g.i64([1, 1, N // Kh, 1, 1]),
                    broadcast_spec="BIDIRECTIONAL",
                ),
                [-1 if B is None else B, N, S, g.static_shape(t)[3]],
            )
            for t in (k, v)
        )
    rest = list(rest)
    logits = ov_ops.multiply(ov_ops.matmul(q, k, False, True), g.const_like(scale, q))
    if soft_cap is not None:  # Keras: logits / (1 + |logits| / cap)
        logits = ov_ops.divide(
            logits,
            ov_ops.add(
                g.const_like(1, q), ov_ops.divide(ov_ops.abs(logits), g.const_like(soft_cap, q))
            ),
        )
    if has_bias:
        logits = ov_ops.add(logits, g.cast(_grouped_mask(rest.pop(0), N), f32))
    keep = None
    if has_mask:
        keep = g.cast(_grouped_mask(rest.pop(0), N), "bool")
    if is_causal:
        tril = g.const(np.tril(np.ones((T, S), bool)), "bool")
        keep = tril if keep is None else g.out(ov_ops.logical_and(keep, tril))
    if keep is not None:
        big = -0.7 * float(np.finfo(dtypes.to_numpy(dtype)).max)
        logits = ov_ops.select(keep, logits, g.const_like(big, g.out(logits)))
    probs = g.cast(g.out(ov_ops.softmax(logits, 3)), dtype)
    out = ov_ops.matmul(probs, g.cast(v, dtype), False, False)
    return g.transpose(g.out(out), [0, 2, 1, 3])


@register("nn")
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    op = "dot_product_attention"
    # `flash_attention` is a performance hint; OpenVINO picks its own SDPA kernel.
    q, k, v = (to_tensor(t, op=op) for t in (query, key, value))
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. "
            f"Received: query.shape={q.shape}, key.shape={k.shape}, value.shape={v.shape}."
        )
    dtype = dtypes.promote(q, k, v)
    N, Kh = q.shape[2], k.shape[2]
    if N is None or Kh is None or N % Kh:
        raise ValueError(f"`{op}`: query heads ({N}) must be a multiple of key/value heads ({Kh})")
    inputs = [to_tensor(q, dtype, op=op), to_tensor(k, dtype, op=op), to_tensor(v, dtype, op=op)]
    if bias is not None:
        inputs.append(to_tensor(bias, dtype, op=op))
    if mask is not None:
        inputs.append(to_tensor(mask, op=op))
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    return apply(
        f"nn.{op}",
        _attention,
        inputs,
        has_bias=bias is not None,
        has_mask=mask is not None,
        is_causal=bool(is_causal),
        scale=float(scale),
        soft_cap=None if attn_logits_soft_cap is None else float(attn_logits_soft_cap),
        dtype=dtype,
    )


# -- patches ---------------------------------------------------------------------------------------


def _pair(value, op, what):
    return _spatial(value, 2, op, what)


def _unfold(x, *, kernel, dilation, padding, stride):
    N, C = g.static_shape(x)[:2]
    (kh, kw), (ph, pw) = kernel, padding
    if ph or pw:
        x = g.out(ov_ops.pad(x, g.i64([0, 0, ph, pw]), g.i64([0, 0, ph, pw]), "constant"))
    patches = ov_ops.extract_image_patches(x, [kh, kw], list(stride), list(dilation), "valid")
    # ExtractImagePatches orders depth as (kh, kw, C); unfold wants (C, kh, kw).
    p = g.reshape(patches, [N if N is not None else -1, kh * kw, C, -1])
    p = g.transpose(p, [0, 2, 1, 3])
    return g.reshape(p, [N if N is not None else -1, C * kh * kw, -1])


@register("nn")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    x = to_tensor(input, op="unfold")
    if x.ndim != 4 or x.shape[1] is None:
        raise ValueError(f"`unfold`: input must be 4-D (N, C, H, W), got shape {x.shape}")
    return apply(
        "nn.unfold",
        _unfold,
        [x],
        kernel=_pair(kernel_size, "unfold", "kernel_size"),
        dilation=_pair(dilation, "unfold", "dilation"),
        padding=_pair(padding, "unfold", "padding"),
        stride=_pair(stride, "unfold", "stride"),
    )


def _fold(x, *, grid, kernel, dilation, padding, stride):
    N, ckk, _ = g.static_shape(x)
    kh, kw = kernel
    c = ckk // (kh * kw)
    x = g.reshape(x, [N if N is not None else -1, ckk, *grid])
    # identity weights (C*kh*kw, C, kh, kw): each input channel lands on one tap
    eye = np.zeros((ckk, c, kh, kw), dtypes.to_numpy(g.dtype(x)))
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                eye[ch * kh * kw + i * kw + j, ch, i, j] = 1
    y = ov_ops.convolution_backprop_data(
        x,
        g.const(eye, g.dtype(x)),
        list(stride),
        pads_begin=list(padding),
        pads_end=list(padding),
        dilations=list(dilation),
        auto_pad="explicit",
    )
    return g.out(y)


@register("nn")
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    op = "fold"
    x = to_tensor(x, op=op)
    if x.ndim != 3 or None in x.shape[1:]:
        raise ValueError(f"`{op}`: input must be 3-D (N, C*kH*kW, L), got shape {x.shape}")
    (oh, ow) = _pair(output_size, op, "output_size")
    kh, kw = _pair(kernel_size, op, "kernel_size")
    dh, dw = _pair(dilation, op, "dilation")
    ph, pw = _pair(padding, op, "padding")
    sh, sw = _pair(stride, op, "stride")
    if x.shape[1] % (kh * kw):
        raise ValueError(
            f"`{op}`: dimension 1 of the input ({x.shape[1]}) must be divisible by "
            f"kernel_size product {kh * kw}"
        )
    nh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if nh * nw != x.shape[2]:
        raise ValueError(
            f"`{op}`: expected {nh * nw} blocks for output_size {(oh, ow)}, got {x.shape[2]}"
        )
    if (nh - 1) * sh + (kh - 1) * dh + 1 - 2 * ph != oh or (nw - 1) * sw + (
        kw - 1
    ) * dw + 1 - 2 * pw != ow:
        raise NotImplementedError(
            f"`{op}`: output_size {(oh, ow)} is not exactly covered by the blocks"
        )
    if not dtypes.is_float(x.dtype):
        x = to_tensor(x, dtypes.floatx(), op=op)
    return apply(
        f"nn.{op}",
        _fold,
        [x],
        grid=(nh, nw),
        kernel=(kh, kw),
        dilation=(dh, dw),
        padding=(ph, pw),
        stride=(sh, sw),
    )


def _depth_space(x, *, to_space, block, channels_last):
    x = _to_first(x, 2, channels_last)
    # Keras's channels_last order is blocks-first; its channels_first order is depth-first.
    mode = "blocks_first" if channels_last else "depth_first"
    fn = ov_ops.depth_to_space if to_space else ov_ops.space_to_depth
    return _to_last(fn(x, mode, block), 2, channels_last)


def _depth_space_op(op, x, block_size, data_format, to_space):
    x = to_tensor(x, op=op)
    if x.ndim != 4:
        raise ValueError(f"`{op}`: input must be 4-D, got shape {x.shape}")
    channels_last = g.data_format(data_format) == "channels_last"
    return apply(
        f"nn.{op}",
        _depth_space,
        [x],
        to_space=to_space,
        block=int(block_size),
        channels_last=channels_last,
    )


@register("nn")
def depth_to_space(x, block_size, data_format="channels_last"):
    return _depth_space_op("depth_to_space", x, block_size, data_format, True)


@register("nn")
def space_to_depth(x, block_size, data_format="channels_last"):
    return _depth_space_op("space_to_depth", x, block_size, data_format, False)
