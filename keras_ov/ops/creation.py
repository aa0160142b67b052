"""Creation ops: filled tensors, ranges, grids, eye/tri, windows, vander.

Sizes (``shape``, ``num``, ``N``, window length) are static Python values: they
fix the output shape, so they are read on the host like any other attribute.
The values themselves are computed in the graph (Broadcast, Range, ...).
"""

import math as _math

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import arange_of, broadcast_to, ravel, reshape, static_ints


def _dtype(dtype, default=None):
    if dtype is None:
        return default
    dtype = dtypes.standardize(dtype)
    dtypes.to_ov(dtype)  # raises a clear error for unsupported dtypes
    return dtype


def _shape(shape, op):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = static_ints(shape, op, "`shape`")
    if any(d < 0 for d in shape):
        raise ValueError(f"`{op}`: negative dimensions are not allowed, got {shape}")
    return shape


def _size(n, op, what="size"):
    """A static non-negative count from an int or a concrete 0-d tensor."""
    if not isinstance(n, (int, np.integer)):
        t = to_tensor(n, op=op)
        if t.is_symbolic:
            raise NotImplementedError(
                f"`{op}`: a symbolic {what} is not supported (it fixes the output shape)"
            )
        if t.ndim or not (
            dtypes.is_int(t.dtype) or t.dtype == "bool" or float(t.data) == int(t.data)
        ):
            raise TypeError(f"`{op}`: {what} must be an integer, got {n!r}")
        n = t.data
    return int(n)


# -- filled tensors -----------------------------------------------------------


def _fill(value, *, shape):
    return g.broadcast_to_shape(value, g.i64(list(shape)))


def _fill_like(value, x):
    return g.broadcast_to_shape(value, g.shape_of(x))


@register("numpy")
def full(shape, fill_value, dtype=None):
    shape = _shape(shape, "full")
    return _apply_fill(to_tensor(fill_value, _dtype(dtype, dtypes.floatx()), op="full"), shape)


@register("numpy")
def full_like(x, fill_value, dtype=None):
    x = to_tensor(x, op="full_like")
    value = to_tensor(fill_value, _dtype(dtype, x.dtype), op="full_like")
    return _apply_fill_like(value, x)


def _constant_fill(value, dtype, *, shape=None, like=None):
    c = to_tensor(value, dtype, op="fill")
    if like is not None:
        return _apply_fill_like(c, like)
    return _apply_fill(c, shape)


def _apply_fill_like(value, x):
    if None not in x.shape:
        return _apply_fill(value, x.shape)
    return apply("numpy.full_like", _fill_like, [value, x])


def _apply_fill(value, shape):
    if value.shape == tuple(shape):
        # (also: the CPU plugin crashes compiling a 0-d identity Broadcast)
        return value
    return apply("numpy.full", _fill, [value], shape=shape)


@register("numpy")
def zeros(shape, dtype=None):
    return _constant_fill(0, _dtype(dtype, dtypes.floatx()), shape=_shape(shape, "zeros"))


@register("numpy")
def ones(shape, dtype=None):
    return _constant_fill(1, _dtype(dtype, dtypes.floatx()), shape=_shape(shape, "ones"))


@register("numpy")
def empty(shape, dtype=None):
    return zeros(shape, dtype)


@register("numpy")
def zeros_like(x, dtype=None):
    x = to_tensor(x, op="zeros_like")
    return _constant_fill(0, _dtype(dtype, x.dtype), like=x)


@register("numpy")
def ones_like(x, dtype=None):
    x = to_tensor(x, op="ones_like")
    return _constant_fill(1, _dtype(dtype, x.dtype), like=x)


@register("numpy")
def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


@register("numpy")
def array(x, dtype=None):
    return to_tensor(x, _dtype(dtype), op="array")


# -- eye, tri -------------------------------------------------------------


def _diagonal_mask(*, n, m, k, relation, dtype):
    """``relation(col - row, k)`` over an n x m grid, as ``dtype``."""
    diff = ov_ops.subtract(
        g.unsqueeze_axes(arange_of(m), (0,)), g.unsqueeze_axes(arange_of(n), (1,))
    )
    return g.cast(g.out(relation(diff, g.i64(k))), dtype)


def _grid_mask(op, N, M, k, dtype, relation):
    n = _size(N, op, "`N`")
    m = n if M is None else _size(M, op, "`M`")
    if isinstance(k, float) or isinstance(N, float) or isinstance(M, float):
        raise TypeError(f"`{op}`: N, M and k must be integers, got N={N!r}, M={M!r}, k={k!r}")
    return apply(
        f"numpy.{op}",
        _diagonal_mask,
        [],
        n=n,
        m=m,
        k=int(k),
        relation=relation,
        dtype=_dtype(dtype, dtypes.floatx()),
    )


@register("numpy")
def eye(N, M=None, k=0, dtype=None):
    return _grid_mask("eye", N, M, k, dtype, ov_ops.equal)


@register("numpy")
def identity(n, dtype=None):
    return eye(n, dtype=dtype)


@register("numpy")
def tri(N, M=None, k=0, dtype=None):
    return _grid_mask("tri", N, M, k, dtype, ov_ops.less_equal)


# -- ranges -----------------------------------------------------------------


def _range_compute_dtype(dtype):
    """Ranges are computed in float32/float64/int64 and converted."""
    if dtype == "float64":
        return "float64"
    return "float32" if dtypes.is_float(dtype) else "int64"


def _host_scalar(a, op):
    if a is None:
        return None
    if isinstance(a, (int, float, np.generic)) and not isinstance(a, bool):
        return a  # Python floats stay float64, as in NumPy
    t = to_tensor(a, op=op)
    if t.is_symbolic or t.ndim:
        raise NotImplementedError(f"`{op}`: bounds must be scalars known eagerly, got {a!r}")
    return t.data.item()


def _arange(*, start, stop, step, dtype, count):
    work = _range_compute_dtype(dtype)
    c = lambda v: g.const(v, work)  # noqa: E731
    if work != "float32":  # int64 and float64 Ranges count their length exactly
        return g.cast(g.out(ov_ops.range(c(start), c(stop), c(step), dtypes.to_ov(work))), dtype)
    # A float32 Range would count its length in float32 (0.1 to 1.1 by 0.1 gives
    # 11 values); NumPy counts in float64: use that count, start + i * step.
    i = g.out(
        ov_ops.range(g.const(0, work), g.const(count, work), g.const(1, work), dtypes.to_ov(work))
    )
    return g.cast(g.out(ov_ops.add(ov_ops.multiply(i, c(step)), c(start))), dtype)


@register("numpy")
def arange(start, stop=None, step=None, dtype=None):
    args = [a for a in (start, stop, step) if a is not None]
    if dtype is None:
        dtype = dtypes.result_type(*[getattr(a, "dtype", type(a)) for a in args])
    dtype = _dtype(dtype)
    start, stop, step = (_host_scalar(a, "arange") for a in (start, stop, step))
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if step == 0:
        raise ValueError("`arange`: step cannot be zero")
    if dtypes.is_int(dtype) or dtype == "bool":
        n = max(_math.ceil((stop - start) / step), 0)
        if n and (int(start) != start or int(step) != step):
            raise NotImplementedError(f"`arange`: non-integer bounds with integer dtype {dtype}")
        start, step = int(start), int(step)
        stop = start + n * step
    # The length as NumPy counts it: in the bounds' own precision (float64 for
    # Python floats).
    with np.errstate(all="ignore"):
        count = int(max(np.ceil((np.asarray(stop) - np.asarray(start)) / np.asarray(step)), 0))
    start, stop, step = (v.item() if isinstance(v, np.generic) else v for v in (start, stop, step))
    return apply(
        "numpy.arange", _arange, [], start=start, stop=stop, step=step, dtype=dtype, count=count
    )


def _linspace(start, stop, *, num, endpoint, axis, dtype, retstep):
    # float32 unless the result needs more (float64/int64: reference kernels).
    work = "float64" if dtype in ("float64", "int64", "uint64") else "float32"
    start, stop = g.cast(start, work), g.cast(stop, work)
    div = (num - 1) if endpoint else num
    delta = ov_ops.subtract(stop, start)
    step = g.out(ov_ops.divide(delta, g.const(max(div, 1), work)))
    r = g.rank(start)
    i = g.reshape(g.cast(arange_of(num), work), [num] + [1] * r)
    y = ov_ops.add(ov_ops.multiply(i, step), start)
    if endpoint and num > 1:
        last = g.reshape(g.const(np.arange(num) == num - 1, "bool"), [num] + [1] * r)
        y = ov_ops.select(last, stop, y)
    y = g.out(y)
    if dtypes.is_int(dtype):
        y = g.out(ov_ops.floor(y))
    y = g.transpose(y, list(range(1, axis + 1)) + [0] + list(range(axis + 1, r + 1)))
    outs = [g.cast(y, dtype)]
    if retstep:
        outs.append(
            g.cast(step if div > 0 else g.out(ov_ops.multiply(delta, g.const(np.nan, work))), dtype)
        )
    return outs


def _no_samples(start, axis, dtype):
    # Zero samples: a plain empty tensor (the CPU plugin crashes compiling
    # the empty Range chain).
    shape = list(start.shape)
    shape.insert(axis, 0)
    return zeros(shape, dtype)


def _space_inputs(start, stop, dtype, op):
    if dtype is None:
        dtype = dtypes.promote_inexact(start, stop)
    dtype = _dtype(dtype)
    src = dtypes.promote(start, stop)
    start, stop = to_tensor(start, src, op=op), to_tensor(stop, src, op=op)
    if start.shape != stop.shape:
        shape = np.broadcast_shapes(start.shape, stop.shape)
        start, stop = broadcast_to(start, shape), broadcast_to(stop, shape)
    return start, stop, dtype


@register("numpy")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    num = _size(num, "linspace", "`num`")
    if num < 0:
        raise ValueError(f"`linspace`: number of samples must be non-negative, got {num}")
    start, stop, dtype = _space_inputs(start, stop, dtype, "linspace")
    axis = g.normalize_axis(axis, start.ndim + 1, "linspace")
    if num == 0:
        out = _no_samples(start, axis, dtype)
        return (out, full(start.shape, np.nan, dtype)) if retstep else out
    outs = apply(
        "numpy.linspace",
        _linspace,
        [start, stop],
        num=num,
        endpoint=bool(endpoint),
        axis=axis,
        dtype=dtype,
        retstep=bool(retstep),
    )
    return tuple(outs) if retstep else outs[0]


def _power_of(base, y, work):
    return g.out(ov_ops.power(g.cast(base, work), y))


def _logspace(start, stop, base, *, num, endpoint, axis, dtype):
    work = "float64" if dtype == "float64" else "float32"
    y = _linspace(start, stop, num=num, endpoint=endpoint, axis=axis, dtype=work, retstep=False)[0]
    return g.cast(_power_of(base, y, work), dtype)


@register("numpy")
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    num = _size(num, "logspace", "`num`")
    start, stop, dtype = _space_inputs(start, stop, dtype, "logspace")
    axis = g.normalize_axis(axis, start.ndim + 1, "logspace")
    base = to_tensor(base, "float64" if dtype == "float64" else "float32", op="logspace")
    if base.ndim:
        raise NotImplementedError("`logspace`: only a scalar `base` is supported")
    if num == 0:
        return _no_samples(start, axis, dtype)
    return apply(
        "numpy.logspace",
        _logspace,
        [start, stop, base],
        num=num,
        endpoint=bool(endpoint),
        axis=axis,
        dtype=dtype,
    )


def _geomspace(start, stop, *, num, endpoint, axis, dtype):
    # numpy's recipe: logspace between log10|start| and log10|stop|, with the
    # sign of start, and the end points set exactly.
    work = "float64" if dtype == "float64" else "float32"
    start, stop = g.cast(start, work), g.cast(stop, work)
    sign = g.out(ov_ops.sign(start))
    log10 = lambda v: ov_ops.divide(ov_ops.log(_abs(v)), g.const(np.log(10.0), work))  # noqa: E731
    y = _linspace(
        g.out(log10(start)),
        g.out(log10(stop)),
        num=num,
        endpoint=endpoint,
        axis=0,
        dtype=work,
        retstep=False,
    )[0]
    y = ov_ops.multiply(ov_ops.power(g.const(10.0, work), y), sign)
    r = g.rank(start)
    if num > 0:
        first = g.reshape(g.const(np.arange(num) == 0, "bool"), [num] + [1] * r)
        y = ov_ops.select(first, start, y)
    if endpoint and num > 1:
        last = g.reshape(g.const(np.arange(num) == num - 1, "bool"), [num] + [1] * r)
        y = ov_ops.select(last, stop, y)
    y = g.transpose(g.out(y), list(range(1, axis + 1)) + [0] + list(range(axis + 1, r + 1)))
    return g.cast(y, dtype)


@register("numpy")
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    num = _size(num, "geomspace", "`num`")
    start, stop, dtype = _space_inputs(start, stop, dtype, "geomspace")
    for t in (start, stop):
        if not t.is_symbolic and (np.asarray(t.data) == 0).any():
            raise ValueError("`geomspace`: geometric sequence cannot include zero")
    axis = g.normalize_axis(axis, start.ndim + 1, "geomspace")
    if num == 0:
        return _no_samples(start, axis, dtype)
    return apply(
        "numpy.geomspace",
        _geomspace,
        [start, stop],
        num=num,
        endpoint=bool(endpoint),
        axis=axis,
        dtype=dtype,
    )


# -- meshgrid, vander -----------------------------------------------------------


@register("numpy")
def meshgrid(*x, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"`meshgrid`: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [ravel(to_tensor(v, op="meshgrid")) for v in x]
    n = len(xs)
    if n == 0:
        return []
    lengths = [v.shape[0] for v in xs]
    if indexing == "xy" and n >= 2:
        lengths[0], lengths[1] = lengths[1], lengths[0]
    outs = []
    for i, v in enumerate(xs):
        pos = i if indexing == "ij" or n < 2 or i > 1 else 1 - i
        shape = [1] * n
        shape[pos] = -1
        outs.append(broadcast_to(reshape(v, shape), lengths))
    return outs


def _vander(x, *, n, increasing):
    dt = g.dtype(x)
    if dt in ("int8", "int16", "uint8", "uint16"):
        # int32 arithmetic converted back wraps like NumPy (the CPU plugin
        # saturates narrow ints and the reference kernels lack them).
        return g.cast(_vander(g.cast(x, "int32"), n=n, increasing=increasing), dt)
    cols, col = [], g.broadcast_to_shape(g.const(1, dt), g.shape_of(x))
    for i in range(n):  # repeated multiplication: exact for integers
        cols.append(g.unsqueeze_axes(col, (1,)))
        if i + 1 < n:
            col = g.out(ov_ops.multiply(col, x))
    if not increasing:
        cols.reverse()
    if not cols:  # (len(x), 0); not a reshape to (-1, 0), which is (1, 0) for an empty x
        return g.slice_axis(g.unsqueeze_axes(x, (1,)), 1, 0, 0)
    return g.out(ov_ops.concat(cols, 1))


@register("numpy")
def vander(x, N=None, increasing=False):
    x = to_tensor(x, op="vander")
    if x.ndim != 1:
        raise ValueError(f"`vander`: x must be a 1-D tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else _size(N, "vander", "`N`")
    if n is None:
        raise NotImplementedError("`vander`: N must be given for an input of dynamic length")
    if n < 0:
        raise ValueError(f"`vander`: N must be non-negative, got {n}")
    if x.dtype == "bool":
        x = to_tensor(x, "int32", op="vander")
    return apply("numpy.vander", _vander, [x], n=n, increasing=bool(increasing))


# -- windows ----------------------------------------------------------------

# Windows are computed in floatx (float32 by default, like JAX without x64).


def _window_grid(m, work):
    """``n = 0..M-1`` and ``M - 1``."""
    return g.cast(arange_of(m), work), float(m - 1)


def _cosine_window(*, m, coeffs, dtype):
    n, d = _window_grid(m, dtype)
    out = None
    for j, c in enumerate(coeffs):
        term = g.const(c, dtype)
        if j:
            arg = ov_ops.multiply(n, g.const(2.0 * np.pi * j / d, dtype))
            term = ov_ops.multiply(ov_ops.cos(arg), term)
        out = term if out is None else ov_ops.add(out, term)
    return g.out(out)


def _abs(x):
    # Not Abs: the CPU plugin drops an Abs that follows a Subtract of
    # constants (OpenVINO 2026.4, parameterless models).
    x = g.out(x)
    return g.out(ov_ops.maximum(x, ov_ops.negative(x)))


def _bartlett(*, m, dtype):
    n, d = _window_grid(m, dtype)
    half = g.const(d / 2.0, dtype)
    tri = ov_ops.subtract(g.const(1.0, dtype), _abs(ov_ops.divide(ov_ops.subtract(n, half), half)))
    return g.out(tri)


# I0 by Abramowitz & Stegun 9.8.1 / 9.8.2 (relative error below 2e-7).
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (
    0.39894228,
    0.01328592,
    0.00225319,
    -0.00157565,
    0.00916281,
    -0.02057706,
    0.02635537,
    -0.01647633,
    0.00392377,
)


def _i0(x, dtype):
    x = _abs(x)
    t = ov_ops.divide(x, g.const(3.75, dtype))
    small = g.horner(_I0_SMALL[::-1], g.out(ov_ops.multiply(t, t)))
    safe = ov_ops.maximum(x, g.const(3.75, dtype))
    large = ov_ops.divide(
        ov_ops.multiply(
            ov_ops.exp(safe),
            g.horner(_I0_LARGE[::-1], g.out(ov_ops.divide(g.const(3.75, dtype), safe))),
        ),
        ov_ops.sqrt(safe),
    )
    return g.select(g.out(ov_ops.less_equal(x, g.const(3.75, dtype))), small, g.out(large))


def _kaiser(beta, *, m, dtype):
    n, d = _window_grid(m, dtype)
    beta = g.cast(beta, dtype)
    ratio = ov_ops.subtract(ov_ops.multiply(n, g.const(2.0 / d, dtype)), g.const(1.0, dtype))
    inside = ov_ops.maximum(
        ov_ops.subtract(g.const(1.0, dtype), ov_ops.multiply(ratio, ratio)), g.const(0.0, dtype)
    )
    arg = g.out(ov_ops.multiply(beta, ov_ops.sqrt(inside)))
    return g.out(ov_ops.divide(_i0(arg, dtype), _i0(beta, dtype)))


def _window(name, x, translator, extra=(), **attrs):
    m = _size(x, name, "window length")
    dtype = dtypes.floatx()
    if m < 1:
        return zeros((0,), dtype)
    if m == 1:
        return ones((1,), dtype)
    return apply(f"numpy.{name}", translator, list(extra), m=m, dtype=dtype, **attrs)


@register("numpy")
def bartlett(x):
    return _window("bartlett", x, _bartlett)


@register("numpy")
def hanning(x):
    return _window("hanning", x, _cosine_window, coeffs=(0.5, -0.5))


@register("numpy")
def hamming(x):
    return _window("hamming", x, _cosine_window, coeffs=(0.54, -0.46))


@register("numpy")
def blackman(x):
    return _window("blackman", x, _cosine_window, coeffs=(0.42, -0.5, 0.08))


@register("numpy")
def kaiser(x, beta):
    beta = to_tensor(beta, op="kaiser")
    if beta.ndim:
        raise ValueError(f"`kaiser`: beta must be a scalar, got shape {beta.shape}")
    return _window("kaiser", x, _kaiser, extra=[beta])
