"""image ops: colour spaces, resizing, geometric transforms, blurs.

Sampling (affine/perspective/elastic transforms, map_coordinates) is one
routine, ``_interpolate``: per spatial axis it builds the taps (nearest or
linear), fixes out-of-range indices by the fill mode, gathers every tap
combination with GatherND and sums the weighted contributions -- the
semantics of ``scipy.ndimage.map_coordinates`` (order 0/1) as Keras's JAX
backend uses it.  ``resize`` uses OpenVINO's Interpolate for bilinear/nearest
and, like ``scale_and_translate``, a per-axis weight matrix (JAX's kernel
resampling) for the cubic and Lanczos kernels.
"""

import itertools
import math

import ml_dtypes
import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.creation import ones_like, zeros_like
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.linalg import solve
from keras_ov.ops.random import normal
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import concatenate, expand_dims, squeeze, stack

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_ORDERS = {"nearest": 0, "bilinear": 1}


def _check_images(op, x):
    if x.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: images.shape={x.shape}"
        )


def _f32(v):
    return g.const(v, "float32")


def _float32_unless_float(dtype):
    return dtype if dtypes.is_float(dtype) else "float32"


def _to_nhwc(x, channels_last, batched):
    if not batched:
        x = g.unsqueeze_axes(x, [0])
    return x if channels_last else g.transpose(x, [0, 2, 3, 1])


def _from_nhwc(x, channels_last, batched):
    x = x if channels_last else g.transpose(x, [0, 3, 1, 2])
    return x if batched else g.squeeze_axes(x, [0])


# -- colour spaces ----------------------------------------------------------------


def _grayscale(x, *, axis):
    dtype = g.dtype(x)
    work = g.cast(x, _float32_unless_float(dtype))
    shape = [1] * g.rank(x)
    shape[axis] = 3
    w = g.const(np.array([0.2989, 0.5870, 0.1140]).reshape(shape), g.dtype(work))
    gray = ov_ops.reduce_sum(ov_ops.multiply(work, w), g.i64([axis]), True)
    return g.cast(g.out(gray), dtype)


@register("image")
def rgb_to_grayscale(images, data_format=None):
    x = to_tensor(images, op="rgb_to_grayscale")
    _check_images("rgb_to_grayscale", x)
    axis = x.ndim - 1 if g.data_format(data_format) == "channels_last" else x.ndim - 3
    if x.shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input "
            f"with shape: images.shape={x.shape}"
        )
    if x.shape[axis] == 1:
        return x
    return apply("image.rgb_to_grayscale", _grayscale, [x], axis=axis)


def _planes(x, axis):
    return [
        g.out(ov_ops.squeeze(p, g.i64([axis]))) for p in ov_ops.split(x, g.i64(axis), 3).outputs()
    ]


def _stack_planes(planes, axis):
    return g.out(ov_ops.concat([ov_ops.unsqueeze(p, g.i64(axis)) for p in planes], axis))


def _rgb_to_hsv(x, *, axis, eps):
    zero, one = g.const_like(0, x), g.const_like(1, x)
    x = ov_ops.select(ov_ops.less(ov_ops.abs(x), g.const_like(eps, x)), zero, x)
    r, gr, b = _planes(g.out(x), axis)
    value = ov_ops.maximum(ov_ops.maximum(r, gr), b)
    span = ov_ops.subtract(value, ov_ops.minimum(ov_ops.minimum(r, gr), b))
    safe_value = ov_ops.select(ov_ops.greater(value, zero), value, one)
    safe_span = ov_ops.select(ov_ops.greater(span, zero), span, one)
    sat = ov_ops.select(ov_ops.greater(value, zero), ov_ops.divide(span, safe_value), zero)
    norm = ov_ops.divide(one, ov_ops.multiply(g.const_like(6, x), safe_span))

    def part(a, c, offset):
        return ov_ops.add(ov_ops.multiply(norm, ov_ops.subtract(a, c)), g.const_like(offset, x))

    hue = ov_ops.select(ov_ops.equal(value, gr), part(b, r, 2 / 6), part(r, gr, 4 / 6))
    hue = ov_ops.select(ov_ops.equal(value, r), part(gr, b, 0.0), hue)
    hue = ov_ops.add(
        ov_ops.select(ov_ops.greater(span, zero), hue, zero),
        g.cast(g.out(ov_ops.less(hue, zero)), g.dtype(x)),
    )
    return _stack_planes([hue, sat, value], axis)


def _hsv_to_rgb(x, *, axis):
    h, s, v = _planes(x, axis)
    dh = ov_ops.multiply(ov_ops.floor_mod(h, g.const_like(1, x)), g.const_like(6, x))

    def channel(a, b, sign):
        t = ov_ops.abs(ov_ops.subtract(dh, g.const_like(b, x)))
        t = (
            ov_ops.subtract(t, g.const_like(1, x))
            if sign > 0
            else ov_ops.subtract(g.const_like(2, x), t)
        )
        return ov_ops.clamp(t, 0.0, 1.0)

    one_minus_s = ov_ops.subtract(g.const_like(1, x), s)
    rgb = [
        ov_ops.multiply(v, ov_ops.add(one_minus_s, ov_ops.multiply(s, d)))
        for d in (channel(0, 3, 1), channel(0, 2, -1), channel(0, 4, -1))
    ]
    return _stack_planes(rgb, axis)


def _color_op(op, translator, images, data_format, **attrs):
    x = to_tensor(images, op=op)
    _check_images(op, x)
    if not dtypes.is_float(x.dtype):
        raise ValueError(
            f"Invalid images dtype: expected float dtype. Received: images.dtype={x.dtype}"
        )
    axis = x.ndim - 1 if g.data_format(data_format) == "channels_last" else x.ndim - 3
    return apply(f"image.{op}", translator, [x], axis=axis, **attrs)


@register("image")
def rgb_to_hsv(images, data_format=None):
    x = to_tensor(images, op="rgb_to_hsv")
    eps = float(ml_dtypes.finfo(dtypes.to_numpy(x.dtype)).eps) if dtypes.is_float(x.dtype) else 0.0
    return _color_op("rgb_to_hsv", _rgb_to_hsv, x, data_format, eps=eps)


@register("image")
def hsv_to_rgb(images, data_format=None):
    return _color_op("hsv_to_rgb", _hsv_to_rgb, images, data_format)


# -- kernel resampling (scale_and_translate, cubic/Lanczos resize) -----------------------


def _kernel_weights(x, method):
    """Kernel values at distances ``x`` (>= 0), as in jax.image."""
    zero, one = _f32(0.0), _f32(1.0)
    if method in ("linear", "bilinear", "trilinear"):
        return ov_ops.maximum(zero, ov_ops.subtract(one, x))
    if method in ("cubic", "bicubic", "tricubic"):
        near = ov_ops.add(
            ov_ops.multiply(
                ov_ops.multiply(ov_ops.subtract(ov_ops.multiply(_f32(1.5), x), _f32(2.5)), x), x
            ),
            one,
        )
        far = ov_ops.add(
            ov_ops.multiply(
                ov_ops.subtract(
                    ov_ops.multiply(ov_ops.add(ov_ops.multiply(_f32(-0.5), x), _f32(2.5)), x),
                    _f32(4.0),
                ),
                x,
            ),
            _f32(2.0),
        )
        out = ov_ops.select(ov_ops.greater_equal(x, one), far, near)
        return ov_ops.select(ov_ops.greater_equal(x, _f32(2.0)), zero, out)
    if method not in ("lanczos3", "lanczos5"):
        raise ValueError(f"image: unknown resampling kernel {method!r}")
    radius = 3.0 if method == "lanczos3" else 5.0
    pix = ov_ops.multiply(x, _f32(math.pi))
    y = ov_ops.multiply(
        ov_ops.multiply(_f32(radius), ov_ops.sin(pix)), ov_ops.sin(ov_ops.divide(pix, _f32(radius)))
    )
    denom = ov_ops.multiply(pix, pix)
    safe = ov_ops.select(ov_ops.not_equal(x, zero), denom, one)
    out = ov_ops.select(ov_ops.greater(x, _f32(1e-3)), ov_ops.divide(y, safe), one)
    return ov_ops.select(ov_ops.greater(x, _f32(radius)), zero, out)


def _weight_matrix(n_in, n_out, scale, translation, method, antialias):
    """(n_in, n_out) float32 weights; ``scale``/``translation`` are scalar outputs."""
    inv = ov_ops.divide(_f32(1.0), scale)
    kscale = ov_ops.maximum(inv, _f32(1.0)) if antialias else _f32(1.0)
    out_idx = _f32(np.arange(n_out, dtype=np.float32) + 0.5)
    sample = ov_ops.subtract(
        ov_ops.subtract(ov_ops.multiply(out_idx, inv), ov_ops.multiply(translation, inv)), _f32(0.5)
    )
    in_idx = _f32(np.arange(n_in, dtype=np.float32).reshape(n_in, 1))
    dist = ov_ops.divide(
        ov_ops.abs(ov_ops.subtract(ov_ops.unsqueeze(sample, g.i64(0)), in_idx)), kscale
    )
    w = _kernel_weights(dist, method)
    total = ov_ops.reduce_sum(w, g.i64([0]), True)
    ok = ov_ops.greater(ov_ops.abs(total), _f32(1000.0 * float(np.finfo(np.float32).eps)))
    w = ov_ops.select(
        ok,
        ov_ops.divide(w, ov_ops.select(ov_ops.not_equal(total, _f32(0.0)), total, _f32(1.0))),
        _f32(0.0),
    )
    inside = ov_ops.logical_and(
        ov_ops.greater_equal(sample, _f32(-0.5)), ov_ops.less_equal(sample, _f32(n_in - 0.5))
    )
    return g.out(ov_ops.select(ov_ops.unsqueeze(inside, g.i64(0)), w, _f32(0.0)))


def _resample(x, scales, translations, *, axes, sizes, method, antialias, dtype=None):
    """Apply a weight matrix along each axis in ``axes`` (moved last, MatMul, moved back).

    The result has ``dtype`` (default: the input's, integers rounded).
    """
    dtype = dtype or g.dtype(x)
    y = g.cast(x, "float32")
    rank = g.rank(x)
    for i, (axis, n_out) in enumerate(zip(axes, sizes)):
        n_in = g.static_shape(y)[axis]
        s = ov_ops.gather(scales, g.i64(i), g.i64(0))
        t = ov_ops.gather(translations, g.i64(i), g.i64(0))
        w = _weight_matrix(n_in, n_out, g.out(s), g.out(t), method, antialias)
        perm = [a for a in range(rank) if a != axis] + [axis]
        back = list(np.argsort(perm))
        y = g.transpose(g.out(ov_ops.matmul(g.transpose(y, perm), w, False, False)), back)
    if dtypes.is_int(dtype):
        y = g.out(ov_ops.round(y, "half_away_from_zero"))
    return g.cast(y, dtype)


@register("image")
def scale_and_translate(
    images, output_shape, scale, translation, spatial_dims, method, antialias=True
):
    op = "scale_and_translate"
    methods = (
        "linear",
        "bilinear",
        "trilinear",
        "cubic",
        "bicubic",
        "tricubic",
        "lanczos3",
        "lanczos5",
    )
    if method not in methods:
        raise ValueError(
            f"Invalid value for argument `method`. Expected of one {methods}. "
            f"Received: method={method}"
        )
    x = to_tensor(images, op=op)
    axes = tuple(g.normalize_axis(d, x.ndim, op) for d in spatial_dims)
    if any(x.shape[a] is None for a in axes):
        raise ValueError(f"`{op}`: the spatial dims of `images` must be static, got {x.shape}")
    sizes = tuple(int(output_shape[a]) for a in axes)
    scale = to_tensor(scale, "float32", op=op)
    translation = to_tensor(translation, "float32", op=op)
    return apply(
        f"image.{op}",
        _resample,
        [x, scale, translation],
        axes=axes,
        sizes=sizes,
        method=method,
        antialias=bool(antialias),
    )


# -- resize --------------------------------------------------------------------------------


def _interpolate_resize(x, *, axes, size, interpolation, antialias, dtype):
    work = g.cast(x, _float32_unless_float(dtype))
    if interpolation == "nearest":
        y = ov_ops.interpolate(
            work,
            g.i64(list(size)),
            "nearest",
            "sizes",
            coordinate_transformation_mode="tf_half_pixel_for_nn",
            nearest_mode="floor",
            axes=g.i64(list(axes)),
        )
    else:
        y = ov_ops.interpolate(
            work,
            g.i64(list(size)),
            "linear",
            "sizes",
            coordinate_transformation_mode="half_pixel",
            antialias=antialias,
            axes=g.i64(list(axes)),
        )
    return g.cast(g.out(y), dtype)


def _crop_or_pad(x, *, axes, box, pad, fill_value):
    """Centre crop to ``box`` or pad to it (``pad``) along the two spatial ``axes``."""
    if not pad:
        begin = [0] * g.rank(x)
        end = list(g.static_shape(x))
        for a, (start, length) in zip(axes, box):
            begin[a], end[a] = start, start + length
        return g.out(ov_ops.slice(x, g.i64(begin), g.i64(end), g.i64([1] * len(begin))))
    lo = [0] * g.rank(x)
    hi = [0] * g.rank(x)
    for a, (before, after) in zip(axes, box):
        lo[a], hi[a] = before, after
    return g.out(ov_ops.pad(x, g.i64(lo), g.i64(hi), "constant", g.const_like(fill_value, x)))


@register("image")
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    op = "resize"
    methods = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
    if interpolation not in methods:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected of one {methods}. "
            f"Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    if len(size) != 2:
        raise ValueError(
            f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}"
        )
    x = to_tensor(images, op=op)
    _check_images(op, x)
    th, tw = (int(s) for s in size)
    axes = (
        (x.ndim - 3, x.ndim - 2)
        if g.data_format(data_format) == "channels_last"
        else (x.ndim - 2, x.ndim - 1)
    )
    h, w = x.shape[axes[0]], x.shape[axes[1]]
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        if h is None or w is None:
            raise ValueError(f"`{op}`: aspect-ratio crop/pad needs static height and width")
        if crop_to_aspect_ratio:
            ch = max(min(h, int(float(w * th) / tw)), 1)
            cw = max(min(w, int(float(h * tw) / th)), 1)
            box = ((int(float(h - ch) / 2), ch), (int(float(w - cw) / 2), cw))
        else:
            ph, pw = max(h, int(float(w * th) / tw)), max(w, int(float(h * tw) / th))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            box = (
                ((top, top), (0, 0))
                if top > 0
                else ((0, 0), (left, left))
                if left > 0
                else ((0, 0), (0, 0))
            )
        x = apply(
            f"image.{op}.aspect",
            _crop_or_pad,
            [x],
            axes=axes,
            box=box,
            pad=bool(pad_to_aspect_ratio),
            fill_value=float(fill_value),
        )
    # as JAX: nearest keeps the dtype, the other kernels give floats (Keras rounds)
    out_dtype = dtypes.promote_inexact(x)
    if interpolation in ("bilinear", "nearest") and not (antialias and interpolation == "bilinear"):
        return apply(
            f"image.{op}",
            _interpolate_resize,
            [x],
            axes=axes,
            size=(th, tw),
            interpolation=interpolation,
            antialias=False,
            dtype=x.dtype if interpolation == "nearest" else out_dtype,
        )
    h, w = x.shape[axes[0]], x.shape[axes[1]]
    if h is None or w is None:
        raise ValueError(f"`{op}`: {interpolation} resizing needs static height and width")
    scale = to_tensor(np.array([th / h, tw / w], np.float32))
    zero = to_tensor(np.zeros(2, np.float32))
    method = {"bilinear": "linear", "bicubic": "cubic"}.get(interpolation, interpolation)
    return apply(
        f"image.{op}.kernel",
        _resample,
        [x, scale, zero],
        axes=axes,
        sizes=(th, tw),
        method=method,
        antialias=bool(antialias),
        dtype=out_dtype,
    )


# -- coordinate sampling -----------------------------------------------------------------------


def _fix_index(idx, size, mode):
    """``scipy.ndimage`` boundary handling of integer indices (int32)."""
    if mode in ("constant", "nearest"):
        return ov_ops.clamp(idx, 0, size - 1)
    if size == 1:
        return g.zeros_like(g.out(idx))
    if mode == "wrap":
        return ov_ops.floor_mod(idx, g.i32(size))
    if mode == "mirror":
        s = size - 1
        return ov_ops.abs(
            ov_ops.subtract(ov_ops.floor_mod(ov_ops.add(idx, g.i32(s)), g.i32(2 * s)), g.i32(s))
        )
    # reflect
    doubled = ov_ops.add(ov_ops.multiply(idx, g.i32(2)), g.i32(1))
    m = _fix_index(doubled, 2 * size + 1, "mirror")
    return ov_ops.divide(ov_ops.subtract(m, g.i32(1)), g.i32(2))


def _taps(coord, order):
    """[(int32 index, float weight)] for one axis."""
    if order == 0:
        idx = ov_ops.round(coord, "half_away_from_zero")
        return [(g.cast(g.out(idx), "int32"), None)]
    lower = ov_ops.floor(coord)
    upper_w = ov_ops.subtract(coord, lower)
    idx = g.cast(g.out(lower), "int32")
    return [
        (idx, ov_ops.subtract(g.const_like(1, coord), upper_w)),
        (g.out(ov_ops.add(idx, g.i32(1))), upper_w),
    ]


def _interpolate(data, coords, sizes, *, order, mode, fill, batch_dims):
    """Sample ``data`` at float ``coords`` (one per sampled axis, shaped like the output).

    ``data`` is (*batch, *sampled, *rest) with ``batch_dims`` leading axes shared
    with the coordinates; the result is (*batch, *out, *rest) in float.
    """
    work = g.dtype(coords[0])
    rest = g.rank(data) - batch_dims - len(sizes)
    data = g.cast(data, work)
    cval = g.const_like(fill, coords[0])
    per_axis = []
    for coord, size in zip(coords, sizes):
        taps = []
        for idx, w in _taps(coord, order):
            valid = None
            if mode == "constant":
                valid = ov_ops.logical_and(
                    ov_ops.greater_equal(idx, g.i32(0)), ov_ops.less(idx, g.i32(size))
                )
            taps.append((g.out(_fix_index(idx, size, mode)), valid, w))
        per_axis.append(taps)
    total = None
    for combo in itertools.product(*per_axis):
        index = ov_ops.concat([ov_ops.unsqueeze(i, g.i64(-1)) for i, _, _ in combo], -1)
        value = g.out(ov_ops.gather_nd(data, index, batch_dims))
        valids = [v for _, v, _ in combo if v is not None]
        weights = [w for _, _, w in combo if w is not None]
        if valids:
            ok = valids[0]
            for v in valids[1:]:
                ok = ov_ops.logical_and(ok, v)
            value = ov_ops.select(
                g.unsqueeze_axes(g.out(ok), list(range(-rest, 0))) if rest else ok, value, cval
            )
        if weights:
            wt = weights[0]
            for w in weights[1:]:
                wt = ov_ops.multiply(wt, w)
            wt = g.out(wt)
            value = ov_ops.multiply(
                value, g.unsqueeze_axes(wt, list(range(-rest, 0))) if rest else wt
            )
        total = value if total is None else ov_ops.add(total, value)
    return g.out(total)


def _finish(y, dtype):
    if dtypes.is_int(dtype):
        y = g.out(ov_ops.round(y, "half_away_from_zero"))
    return g.cast(y, dtype)


def _map_coordinates(x, coords, *, order, mode, fill):
    dtype = g.dtype(x)
    coords = g.cast(coords, _float32_unless_float(dtype) if dtype != "float64" else "float64")
    n = g.rank(x)
    parts = [
        g.out(ov_ops.squeeze(p, g.i64([0]))) for p in ov_ops.split(coords, g.i64(0), n).outputs()
    ]
    y = _interpolate(x, parts, g.static_shape(x), order=order, mode=mode, fill=fill, batch_dims=0)
    return _finish(y, dtype)


@register("image")
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    op = "map_coordinates"
    x = to_tensor(inputs, op=op)
    coords = to_tensor(coordinates, op=op)
    if coords.ndim < 2:
        raise ValueError(
            "Invalid coordinates rank: expected at least rank 2. Received input with "
            f"shape: {coords.shape}"
        )
    if coords.shape[0] != x.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. Received "
            f"inputs with shape: {x.shape} and coordinate leading dim of {coords.shape[0]}"
        )
    if fill_mode not in _FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {set(_FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )
    if order not in (0, 1):
        raise ValueError(
            f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}"
        )
    if None in x.shape:
        raise ValueError(f"`{op}`: `inputs` must have a static shape, got {x.shape}")
    return apply(
        f"image.{op}",
        _map_coordinates,
        [x, coords],
        order=int(order),
        mode=fill_mode,
        fill=float(fill_value),
    )


def _grid(h, w):
    ys, xs = np.meshgrid(
        np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij"
    )
    return _f32(ys[None]), _f32(xs[None])


def _column(t, i):
    """Column ``i`` of a (B, k) tensor as (B, 1, 1)."""
    return g.out(ov_ops.unsqueeze(ov_ops.gather(t, g.i64(i), g.i64(1)), g.i64([1, 2])))


def _warp(x, transform, *, channels_last, batched, order, mode, fill, projective):
    dtype = g.dtype(x)
    img = _to_nhwc(x, channels_last, batched)
    _, h, w, _ = g.static_shape(img)
    t = g.cast(transform, "float32")
    if g.rank(t) == 1:
        t = g.unsqueeze_axes(t, [0])
    gy, gx = _grid(h, w)
    a = [_column(t, i) for i in range(8)]
    x_in = ov_ops.add(ov_ops.add(ov_ops.multiply(a[0], gx), ov_ops.multiply(a[1], gy)), a[2])
    y_in = ov_ops.add(ov_ops.add(ov_ops.multiply(a[3], gx), ov_ops.multiply(a[4], gy)), a[5])
    if projective:
        k = ov_ops.add(ov_ops.add(ov_ops.multiply(a[6], gx), ov_ops.multiply(a[7], gy)), _f32(1.0))
        x_in, y_in = ov_ops.divide(x_in, k), ov_ops.divide(y_in, k)
    # one transform for the whole batch: broadcast it to every image
    shape = ov_ops.concat([g.dim(img, 0), g.i64([h, w])], 0)
    y_in = g.broadcast_to_shape(g.out(y_in), g.out(shape))
    x_in = g.broadcast_to_shape(g.out(x_in), g.out(shape))
    y = _interpolate(img, [y_in, x_in], (h, w), order=order, mode=mode, fill=fill, batch_dims=1)
    return _from_nhwc(_finish(y, dtype), channels_last, batched)


def _check_interpolation(interpolation, fill_mode=None):
    if interpolation not in _ORDERS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(_ORDERS)}. Received: interpolation={interpolation}"
        )
    if fill_mode is not None and fill_mode not in _FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected of one {set(_FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )


@register("image")
def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    op = "affine_transform"
    _check_interpolation(interpolation, fill_mode)
    x = to_tensor(images, op=op)
    t = to_tensor(transform, op=op)
    _check_images(op, x)
    if t.ndim not in (1, 2):
        raise ValueError(
            "Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
            f"transforms). Received input with shape: transform.shape={t.shape}"
        )
    return apply(
        f"image.{op}",
        _warp,
        [x, t],
        channels_last=g.data_format(data_format) == "channels_last",
        batched=x.ndim == 4,
        order=_ORDERS[interpolation],
        mode=fill_mode,
        fill=float(fill_value),
        projective=False,
    )


def _homography(start, end):
    """The 8 projective coefficients mapping ``end`` points onto ``start`` points."""
    sx, sy = start[..., 0], start[..., 1]
    ex, ey = end[..., 0], end[..., 1]
    zeros, ones = zeros_like(ex), ones_like(ex)
    x_rows = stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    a = concatenate([x_rows, y_rows], axis=1)
    b = expand_dims(concatenate([sx, sy], axis=-1), -1)
    return squeeze(solve(a, b), -1)


@register("image")
def compute_homography_matrix(start_points, end_points):
    start = to_tensor(start_points, op="compute_homography_matrix")
    end = to_tensor(end_points, op="compute_homography_matrix")
    return _homography(start, end)


@register("image")
def perspective_transform(
    images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None
):
    op = "perspective_transform"
    _check_interpolation(interpolation)
    x = to_tensor(images, op=op)
    _check_images(op, x)
    start = to_tensor(start_points, "float32", op=op)
    end = to_tensor(end_points, "float32", op=op)
    for name, p in (("start_points", start), ("end_points", end)):
        if p.shape[-2:] != (4, 2) or p.ndim not in (2, 3):
            raise ValueError(
                f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a "
                f"batch. Received shape: {p.shape}"
            )
    if start.shape != end.shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received start_points."
            f"shape={start.shape}, end_points.shape={end.shape}"
        )
    if start.ndim == 2:
        start = expand_dims(start, 0)
        end = expand_dims(end, 0)
    transform = _homography(start, end)
    return apply(
        f"image.{op}",
        _warp,
        [x, transform],
        channels_last=g.data_format(data_format) == "channels_last",
        batched=x.ndim == 4,
        order=_ORDERS[interpolation],
        mode="constant",
        fill=float(fill_value),
        projective=True,
    )


# -- blurs -------------------------------------------------------------------------------------


def _gaussian_1d(size, sigma):
    x = _f32(np.arange(size, dtype=np.float32) - (size - 1) / 2)
    k = ov_ops.exp(ov_ops.multiply(_f32(-0.5), ov_ops.power(ov_ops.divide(x, sigma), _f32(2.0))))
    return ov_ops.divide(k, ov_ops.reduce_sum(k, g.i64([0]), True))


def _blur_nchw(x, sigma, kernel_size):
    """Depthwise Gaussian blur of an NCHW float32 tensor, SAME padding."""
    c = g.static_shape(x)[1]
    ky = _gaussian_1d(kernel_size[1], ov_ops.gather(sigma, g.i64(1), g.i64(0)))
    kx = _gaussian_1d(kernel_size[0], ov_ops.gather(sigma, g.i64(0), g.i64(0)))
    k2 = ov_ops.multiply(ov_ops.unsqueeze(ky, g.i64(1)), ov_ops.unsqueeze(kx, g.i64(0)))
    w = ov_ops.broadcast(
        ov_ops.unsqueeze(k2, g.i64([0, 1, 2])), g.i64([c, 1, 1, kernel_size[1], kernel_size[0]])
    )
    return g.out(
        ov_ops.group_convolution(x, w, [1, 1], [0, 0], [0, 0], [1, 1], auto_pad="same_upper")
    )


def _gaussian_blur(x, sigma, *, kernel_size, channels_last, batched):
    dtype = g.dtype(x)
    img = _to_nhwc(g.cast(x, "float32"), channels_last, batched)
    y = _blur_nchw(g.transpose(img, [0, 3, 1, 2]), g.cast(sigma, "float32"), kernel_size)
    return g.cast(_from_nhwc(g.transpose(y, [0, 2, 3, 1]), channels_last, batched), dtype)


def _sigma_pair(sigma, op):
    s = to_tensor(sigma, "float32", op=op)
    if s.ndim == 0:
        s = stack([s, s])
    return s


@register("image")
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    op = "gaussian_blur"
    x = to_tensor(images, op=op)
    _check_images(op, x)
    ks = (
        (int(kernel_size),) * 2
        if isinstance(kernel_size, (int, np.integer))
        else tuple(int(k) for k in kernel_size)
    )
    return apply(
        f"image.{op}",
        _gaussian_blur,
        [x, _sigma_pair(sigma, op)],
        kernel_size=ks,
        channels_last=g.data_format(data_format) == "channels_last",
        batched=x.ndim == 4,
    )


def _elastic(x, noise, sigma, alpha, *, kernel_size, channels_last, batched, order, mode, fill):
    dtype = g.dtype(x)
    img = _to_nhwc(x, channels_last, batched)
    _, h, w, _ = g.static_shape(img)
    sigma, alpha = g.cast(sigma, "float32"), g.cast(alpha, "float32")
    # noise: (2, B, H, W) standard normals -> smoothed displacement fields
    d = ov_ops.multiply(g.cast(noise, "float32"), sigma)
    d = g.reshape(d, [-1, 1, h, w])
    d = _blur_nchw(
        g.out(d), g.out(ov_ops.concat([ov_ops.unsqueeze(sigma, g.i64(0))] * 2, 0)), kernel_size
    )
    d = g.reshape(d, [2, -1, h, w])
    dx, dy = (g.out(ov_ops.squeeze(p, g.i64([0]))) for p in ov_ops.split(d, g.i64(0), 2).outputs())
    gy, gx = _grid(h, w)
    x_in = ov_ops.add(gx, ov_ops.multiply(alpha, dx))
    y_in = ov_ops.add(gy, ov_ops.multiply(alpha, dy))
    y = _interpolate(
        img, [g.out(y_in), g.out(x_in)], (h, w), order=order, mode=mode, fill=fill, batch_dims=1
    )
    return _from_nhwc(_finish(y, dtype), channels_last, batched)


@register("image")
def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    op = "elastic_transform"
    _check_interpolation(interpolation, fill_mode)
    x = to_tensor(images, op=op)
    _check_images(op, x)
    channels_last = g.data_format(data_format) == "channels_last"
    shape = x.shape if x.ndim == 4 else (1,) + x.shape
    b, h, w = (shape[0], shape[1], shape[2]) if channels_last else (shape[0], shape[2], shape[3])
    if None in (b, h, w):
        raise ValueError(f"`{op}`: images must have a static shape, got {x.shape}")
    sigma_f = float(sigma)
    k = int(6 * sigma_f) | 1
    noise = normal((2, b, h, w), seed=seed, dtype="float32")
    return apply(
        f"image.{op}",
        _elastic,
        [x, noise, to_tensor(sigma_f, "float32"), to_tensor(float(alpha), "float32")],
        kernel_size=(k, k),
        channels_last=channels_last,
        batched=x.ndim == 4,
        order=_ORDERS[interpolation],
        mode=fill_mode,
        fill=float(fill_value),
    )


_SOBEL_Y = ((-1, -2, -1), (0, 0, 0), (1, 2, 1))
_SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))


def _sobel(x, *, channels_last):
    dtype = g.dtype(x)
    work = _float32_unless_float(dtype)
    img = g.cast(_to_nhwc(x, channels_last, True), work)
    nchw = g.transpose(img, [0, 3, 1, 2])
    c = g.static_shape(nchw)[1]
    edges = []
    for kernel in (_SOBEL_Y, _SOBEL_X):
        w = g.const(np.tile(np.asarray(kernel)[None, None, None], (c, 1, 1, 1, 1)), work)
        conv = ov_ops.group_convolution(
            nchw, w, [1, 1], [0, 0], [0, 0], [1, 1], auto_pad="same_upper"
        )
        edges.append(
            g.unsqueeze_axes(
                _from_nhwc(g.transpose(g.out(conv), [0, 2, 3, 1]), channels_last, True), [4]
            )
        )
    return g.cast(g.out(ov_ops.concat(edges, 4)), dtype if dtypes.is_float(dtype) else work)


@register("image")
def sobel_edges(images, data_format=None):
    """Sobel gradients ``[dy, dx]`` stacked on a new last axis (4-D images)."""
    x = to_tensor(images, op="sobel_edges")
    if x.ndim != 4:
        raise ValueError(f"`sobel_edges` expects 4-D images, got shape {x.shape}")
    channels_last = g.data_format(data_format) == "channels_last"
    if (x.shape[3] if channels_last else x.shape[1]) is None:
        raise ValueError(f"`sobel_edges` needs a static channel dimension, got shape {x.shape}")
    return apply("image.sobel_edges", _sobel, [x], channels_last=channels_last)
