"""Reductions and statistics, all through ``skeletons.reduce``.

NumPy semantics throughout: ``max``/``min``/``argmax``/``quantile`` propagate
NaN, the ``nan*`` variants ignore it (an all-NaN slice gives NaN, or -1 for
``nanargmax``), and integer means are floats.  Dtype rules are Keras's (the
ones ``NumpyDtypeTest`` checks against JAX):

  sum, prod      bool/int8/int16 -> int32, uint8/uint16 -> uint32, else same
  mean           ints -> float32 (computed in float32 for float16 too)
  var, std       the same, computed in float32
  arg*           int32
  cumsum/prod    bool -> int32, else same (or the ``dtype`` asked for)

NaN is detected as ``x != x`` rather than with IsNaN, which has no exact
reference kernel for the wide-dtype executor.  Translators here use only ops
with reference kernels on int64 data (no CumSum/GatherElements for wide
types), so int64 inputs stay exact.
"""

import builtins

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import take_last as _take_last
from keras_ov.ops.skeletons import reduce, widen

# -- graph helpers shared by reductions and sorting ---------------------------


def isnan(x):
    """NaN mask of a float output: ``not (x == x)`` (Equal has an exact
    float64 reference kernel, NotEqual and IsNaN do not)."""
    return g.out(ov_ops.logical_not(ov_ops.equal(x, x)))


def fill_nan(x, value):
    """``x`` with NaNs replaced by ``value``; no node for non-float data."""
    if not dtypes.is_float(g.dtype(x)):
        return x
    return g.select(isnan(x), g.const(value, g.dtype(x)), x)


def over(fn, x, axes, keepdims):
    """``fn(x, axes, keepdims)`` for a reduce op; ``axes=()`` adds no node."""
    if not axes:
        return x
    return g.out(fn(x, g.i64(list(axes)), keepdims))


def count(x, axes, dtype):
    """Number of elements ``axes`` span, as a scalar of ``dtype``."""
    if not axes:
        return g.const(1, dtype)
    dims = ov_ops.gather(g.shape_of(x), g.i64(list(axes)), g.i64(0))
    return g.cast(g.out(ov_ops.reduce_prod(dims, g.i64([0]), False)), dtype)


def reduce_mean(x, axes, keepdims):
    """ReduceMean with NumPy's NaN over an empty axis (ReduceMean gives 0):
    the sum over the count where a reduced dimension may be 0."""
    x = g.out(x)
    axes_list = [int(a) for a in axes.get_node().get_data().reshape(-1)]
    dims = [g.static_shape(x)[a] for a in axes_list]
    if builtins.all(d is not None and d > 0 for d in dims):
        return g.out(ov_ops.reduce_mean(x, axes, keepdims))
    total = ov_ops.reduce_sum(x, axes, keepdims)
    return g.out(ov_ops.divide(total, count(x, axes_list, g.dtype(x))))


def lowest(dtype):
    return -np.inf if dtypes.is_float(dtype) else np.iinfo(dtypes.to_numpy(dtype)).min


def highest(dtype):
    return np.inf if dtypes.is_float(dtype) else np.iinfo(dtypes.to_numpy(dtype)).max


def scalar_dim(x, axis):
    """One runtime dimension as an int64 scalar (TopK's ``k``)."""
    return g.out(ov_ops.gather(g.shape_of(x), g.i64(axis), g.i64(0)))


def topk_index(x, axis, mode):
    """First index of the max (``mode="max"``) or min along ``axis``, kept as size 1."""
    node = ov_ops.topk(x, g.i64(1), axis, mode, "value", "i32", stable=True)
    return node.output(0), node.output(1)


def take_last(x, index):
    """``x[..., index[..., j]]`` for indices known to be in [0, n) (``shape.take_last``)."""
    return _take_last(x, index, check=False)


def scan(x, axis, kind, exact=False):
    """Inclusive prefix sum or product along a static ``axis``.

    CumSum for narrow sums; otherwise a log-step (Hillis-Steele) scan of
    Pad/Slice/Add-or-Multiply, exact on every dtype (OpenVINO has no CumProd,
    and CumSum has no reference kernel except for float32).  ``exact=True``
    asks for the log-step scan in a graph that will run on reference kernels.
    """
    dt = g.dtype(x)
    work = widen(dt)
    if work != dt:  # int8/uint8: wrap like NumPy instead of saturating
        return g.cast(scan(g.cast(x, work), axis, kind, exact), dt)
    if kind == "sum" and not exact and not dtypes.is_wide(dt):
        return g.out(ov_ops.cumsum(x, g.i64(axis)))
    n = g.static_shape(x)[axis]
    if n is None:
        raise NotImplementedError(
            f"keras-ov: cumulative {kind} needs a static length along axis {axis}"
        )
    op = ov_ops.add if kind == "sum" else ov_ops.multiply
    # -0.0 is the float identity of addition: -0.0 + -0.0 stays -0.0
    identity = g.const((-0.0 if dtypes.is_float(dt) else 0) if kind == "sum" else 1, dt)
    rank = g.rank(x)
    step = 1
    while step < n:
        head = ov_ops.slice(x, g.i64([0]), g.i64([n - step]), g.i64([1]), g.i64([axis]))
        pads = [0] * rank
        pads[axis] = step
        shifted = ov_ops.pad(head, g.i64(pads), g.i64([0] * rank), "constant", identity)
        x = g.out(op(x, shifted))
        step *= 2
    return x


# -- dtype rules ----------------------------------------------------------------


def _sum_dtype(dtype):
    # Keras: bool/int8/int16 sums accumulate in int32, uint8/uint16 in uint32.
    if dtype == "bool" or dtype in ("int8", "int16"):
        return "int32"
    if dtype in ("uint8", "uint16"):
        return "uint32"
    return dtype


def _float_dtypes(dtype):
    """(compute, result) for statistics of ``dtype``: float32 work, float result."""
    return dtypes.result_type(dtype, "float32"), dtypes.result_type(dtype, float)


def _mean_dtypes(dtype):
    compute = dtypes.result_type(dtype, "float32")
    return compute, (dtype if dtypes.is_float(dtype) else compute)


# -- sum, prod, mean, all, any, count_nonzero ---------------------------------


def _nansum(x, axes, keepdims):
    return ov_ops.reduce_sum(fill_nan(x, 0), axes, keepdims)


def _nanprod(x, axes, keepdims):
    return ov_ops.reduce_prod(fill_nan(x, 1), axes, keepdims)


def _nanmean(x, axes, keepdims):
    valid = g.cast(ov_ops.logical_not(isnan(x)), g.dtype(x))
    return ov_ops.divide(
        ov_ops.reduce_sum(fill_nan(x, 0), axes, keepdims),
        ov_ops.reduce_sum(valid, axes, keepdims),
    )


def _count_true(x, axes, keepdims):
    return ov_ops.reduce_sum(g.cast(x, "int32"), axes, keepdims)


def _in_keras_dtype(x, name):
    """Ops whose Keras result dtype is the 32-bit canonical one compute in it."""
    x = to_tensor(x, op=name)
    return to_tensor(x, dtypes.canonical(x.dtype), op=name)


def _summing(name, fn, canonical=False):
    def op(x, axis=None, keepdims=False):
        x = _in_keras_dtype(x, name) if canonical else to_tensor(x, op=name)
        if x.dtype == "float64":  # Keras's result dtype for a float64 sum is float32
            x = to_tensor(x, "float32", op=name)
        dt = _sum_dtype(x.dtype)
        return reduce(name, x, axis, keepdims, fn, compute=dt, result=dt)

    op.__name__ = op.__qualname__ = name
    return register("numpy", name)(op)


sum = _summing("sum", ov_ops.reduce_sum)
nansum = _summing("nansum", _nansum, canonical=True)  # Keras: float64 -> float32


@register("numpy")
def prod(x, axis=None, keepdims=False, dtype=None):
    x = to_tensor(x, op="prod")
    dt = dtypes.standardize(dtype) if dtype is not None else _sum_dtype(x.dtype)
    return reduce("prod", x, axis, keepdims, ov_ops.reduce_prod, compute=dt, result=dt)


@register("numpy")
def nanprod(x, axis=None, keepdims=False):
    x = to_tensor(x, op="nanprod")
    dt = _sum_dtype(x.dtype)
    return reduce("nanprod", x, axis, keepdims, _nanprod, compute=dt, result=dt)


@register("numpy")
def mean(x, axis=None, keepdims=False):
    x = to_tensor(x, op="mean")
    compute, result = _mean_dtypes(x.dtype)
    return reduce("mean", x, axis, keepdims, reduce_mean, compute=compute, result=result)


@register("numpy")
def nanmean(x, axis=None, keepdims=False):
    x = to_tensor(x, op="nanmean")
    compute, result = _mean_dtypes(x.dtype)
    return reduce("nanmean", x, axis, keepdims, _nanmean, compute=compute, result=result)


@register("numpy")
def all(x, axis=None, keepdims=False):
    return reduce(
        "all", x, axis, keepdims, ov_ops.reduce_logical_and, compute="bool", result="bool"
    )


@register("numpy")
def any(x, axis=None, keepdims=False):
    return reduce("any", x, axis, keepdims, ov_ops.reduce_logical_or, compute="bool", result="bool")


@register("numpy")
def count_nonzero(x, axis=None):
    return reduce("count_nonzero", x, axis, False, _count_true, compute="bool", result="int32")


# -- max, min, ptp and their nan variants -------------------------------------

_EXTREMES = {
    "max": (ov_ops.reduce_max, ov_ops.reduce_logical_or, ov_ops.maximum, lowest),
    "min": (ov_ops.reduce_min, ov_ops.reduce_logical_and, ov_ops.minimum, highest),
}


def extreme(x, axes, keepdims, kind, skip_nan=False):
    """Max or min over ``axes`` with NumPy's NaN rules."""
    reducer, logical, _, fill = _EXTREMES[kind]
    dt = g.dtype(x)
    if dt == "bool":
        return over(logical, x, axes, keepdims)
    if not dtypes.is_float(dt) or not axes:
        return over(reducer, x, axes, keepdims)
    nan = isnan(x)
    if skip_nan:  # all-NaN slices give NaN
        out = over(reducer, g.select(nan, g.const(fill(dt), dt), x), axes, keepdims)
        flag = over(ov_ops.reduce_logical_and, nan, axes, keepdims)
    else:
        out = over(reducer, x, axes, keepdims)
        flag = over(ov_ops.reduce_logical_or, nan, axes, keepdims)
    return g.select(flag, g.const(np.nan, dt), out)


def _extreme_translator(x, *, axes, keepdims, compute, result, kind, skip_nan, initial):
    out = extreme(g.cast(x, compute), axes, keepdims, kind, skip_nan)
    if initial is not None:
        combine = _EXTREMES[kind][2]
        if compute == "bool":
            combine = ov_ops.logical_or if kind == "max" else ov_ops.logical_and
        out = g.out(combine(out, g.const(initial, compute)))
    return g.cast(out, result)


def _check_nonempty(name, x, axis):
    axes = g.normalize_axes(axis, x.ndim, name)
    if builtins.any(x.shape[a] == 0 for a in axes):
        raise ValueError(
            f"`{name}`: zero-size reduction over axis {axis} of a tensor of shape "
            f"{x.shape} has no identity; pass `initial`"
        )


def _extreme_op(name, kind, skip_nan=False, with_initial=False):
    def op(x, axis=None, keepdims=False, initial=None):
        x = _in_keras_dtype(x, name) if skip_nan else to_tensor(x, op=name)
        if initial is None:
            _check_nonempty(name, x, axis)
        return reduce(
            name,
            x,
            axis,
            keepdims,
            None,
            compute=x.dtype,
            result=x.dtype,
            translator=_extreme_translator,
            kind=kind,
            skip_nan=skip_nan,
            initial=initial,
        )

    if with_initial:
        fn = op
    else:

        def fn(x, axis=None, keepdims=False):
            return op(x, axis, keepdims)

    fn.__name__ = fn.__qualname__ = name
    return register("numpy", name)(fn)


max = _extreme_op("max", "max", with_initial=True)
min = _extreme_op("min", "min", with_initial=True)
amax = _extreme_op("amax", "max")
amin = _extreme_op("amin", "min")
nanmax = _extreme_op("nanmax", "max", skip_nan=True)
nanmin = _extreme_op("nanmin", "min", skip_nan=True)


def _ptp_translator(x, *, axes, keepdims, compute, result):
    hi = extreme(x, axes, keepdims, "max")
    lo = extreme(x, axes, keepdims, "min")
    return g.out(ov_ops.subtract(hi, lo))


@register("numpy")
def ptp(x, axis=None, keepdims=False):
    x = to_tensor(x, op="ptp")
    if x.dtype == "bool":
        raise TypeError("`ptp` does not support boolean tensors (max - min is undefined)")
    _check_nonempty("ptp", x, axis)
    return reduce(
        "ptp", x, axis, keepdims, None, compute=x.dtype, result=x.dtype, translator=_ptp_translator
    )


# -- argmax, argmin ------------------------------------------------------------


def _arg_translator(x, *, axes, keepdims, compute, result, kind, skip_nan):
    rank = g.rank(x)
    if rank == 0:
        return g.i32(0)
    x = g.cast(x, compute)
    if len(axes) == rank and rank > 1:  # axis=None: over the flattened tensor
        x = g.reshape(x, [-1])
    axis = axes[0] if g.rank(x) == rank else 0
    dt = g.dtype(x)
    n = g.static_shape(x)[axis]
    if dt == "float32" and not skip_nan and n is not None and n <= 2**24:
        index = _first_best_index(x, axis, kind, n)
    else:
        index = _topk_arg_index(x, axis, kind, skip_nan)
    if not keepdims:
        return g.squeeze_axes(index, [axis])
    return index if g.rank(index) == rank else g.reshape(index, [1] * rank)


def _first_best_index(x, axis, kind, n):
    """``_topk_arg_index`` for float32 ``x`` with ``n`` (static, at most
    2**24) entries along ``axis``, NaNs first, by reductions: the first index
    where ``x`` equals its max (min), unless there is a NaN.  The CPU plugin's
    stable TopK of one entry is slow: 180 us for [4, 8192] on one thread, this
    30 us (the greedy sampler's argmax on every decode step).  The indices are
    reduced as float32 (exact up to 2**24): the CPU plugin's int32 ReduceMin
    is not exact in general, so an int32 one would send the whole graph (a
    train step's accuracy metric) to the reference kernels."""
    none = g.const(float(n), "float32")  # the index of "no hit"
    iota = g.out(ov_ops.range(g.const(0.0, "float32"), none, g.const(1.0, "float32"), "f32"))
    iota = g.unsqueeze_axes(iota, list(range(1, g.rank(x) - axis)))
    axes = g.i64([axis])

    def first(hit):
        return g.out(ov_ops.reduce_min(g.select(hit, iota, none), axes, True))

    reduce_best = ov_ops.reduce_max if kind == "max" else ov_ops.reduce_min
    at_best = first(g.out(ov_ops.equal(x, reduce_best(x, axes, True))))
    # The CPU plugin's ReduceMax of an all -inf slice is -FLT_MAX (ReduceMin
    # of +inf: FLT_MAX), which nothing equals: every entry is the best, so 0.
    at_best = g.select(g.out(ov_ops.less(at_best, none)), at_best, g.const(0.0, "float32"))
    at_nan = first(isnan(x))
    index = g.select(g.out(ov_ops.less(at_nan, none)), at_nan, at_best)
    return g.cast(index, "int32")


def _topk_arg_index(x, axis, kind, skip_nan):
    """First index of the max (min) along ``axis``, kept as size 1, by TopK:
    NaNs first, or (``skip_nan``) last, an all-NaN slice giving -1."""
    dt = g.dtype(x)
    value, index = topk_index(x, axis, kind)
    if dtypes.is_float(dt):
        nan = isnan(x)
        nan_first = topk_index(g.cast(nan, "int32"), axis, "max")[1]
        if skip_nan:
            # NaNs become the worst value; if the best left is that value too,
            # the answer is the first non-NaN; an all-NaN slice gives -1.
            fill = -np.inf if kind == "max" else np.inf
            value, index = topk_index(g.select(nan, g.const(fill, dt), x), axis, kind)
            valid_first = topk_index(g.cast(ov_ops.logical_not(nan), "int32"), axis, "max")[1]
            index = g.select(ov_ops.equal(value, g.const(fill, dt)), valid_first, index)
            all_nan = ov_ops.reduce_logical_and(nan, g.i64([axis]), True)
            index = g.select(all_nan, g.i32(-1), index)
        else:
            any_nan = ov_ops.reduce_logical_or(nan, g.i64([axis]), True)
            index = g.select(any_nan, nan_first, index)
    return index


def _arg_op(name, kind, skip_nan=False):
    def op(x, axis=None, keepdims=False):
        x = to_tensor(x, op=name)
        if skip_nan and x.dtype == "float64":  # Keras/JAX compute these in float32
            x = to_tensor(x, "float32", op=name)
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"`{name}`: axis must be None or an integer, got {axis!r}")
        if x.size == 0:
            raise ValueError(f"`{name}` of an empty tensor (shape {x.shape}) is undefined")
        compute = "int32" if x.dtype == "bool" else x.dtype
        return reduce(
            name,
            x,
            axis,
            keepdims,
            None,
            compute=compute,
            result="int32",
            translator=_arg_translator,
            kind=kind,
            skip_nan=skip_nan,
        )

    op.__name__ = op.__qualname__ = name
    return register("numpy", name)(op)


argmax = _arg_op("argmax", "max")
argmin = _arg_op("argmin", "min")
nanargmax = _arg_op("nanargmax", "max", skip_nan=True)
nanargmin = _arg_op("nanargmin", "min", skip_nan=True)


# -- var, std, average ---------------------------------------------------------


def _var_translator(x, *, axes, keepdims, compute, result, skip_nan, root):
    x = g.cast(x, compute)
    if skip_nan:
        nan = isnan(x)
        n = over(ov_ops.reduce_sum, g.cast(ov_ops.logical_not(nan), compute), axes, True)
        centre = g.out(ov_ops.divide(over(ov_ops.reduce_sum, fill_nan(x, 0), axes, True), n))
        d = g.select(nan, g.const(0, compute), ov_ops.subtract(x, centre))
        sq = over(ov_ops.reduce_sum, g.out(ov_ops.multiply(d, d)), axes, keepdims)
        out = g.out(ov_ops.divide(sq, n if keepdims else g.squeeze_axes(n, axes)))
    else:
        d = g.out(ov_ops.subtract(x, over(reduce_mean, x, axes, True)))
        out = over(reduce_mean, g.out(ov_ops.multiply(d, d)), axes, keepdims)
    if root:
        out = g.out(ov_ops.sqrt(out))
    return g.cast(out, result)


def _spread_op(name, skip_nan, root):
    def op(x, axis=None, keepdims=False):
        x = to_tensor(x, op=name)
        compute, result = _float_dtypes(x.dtype)
        return reduce(
            name,
            x,
            axis,
            keepdims,
            None,
            compute=compute,
            result=result,
            translator=_var_translator,
            skip_nan=skip_nan,
            root=root,
        )

    op.__name__ = op.__qualname__ = name
    return register("numpy", name)(op)


var = _spread_op("var", skip_nan=False, root=False)
std = _spread_op("std", skip_nan=False, root=True)
nanvar = _spread_op("nanvar", skip_nan=True, root=False)
nanstd = _spread_op("nanstd", skip_nan=True, root=True)


def _average_translator(x, *weights, axes, keepdims, compute, result, weight_axis):
    x = g.cast(x, compute)
    if not weights:
        return g.cast(over(reduce_mean, x, axes, keepdims), result)
    w = g.cast(weights[0], compute)
    if weight_axis is not None:  # 1-D weights along one axis of x
        shape = [1] * g.rank(x)
        shape[weight_axis] = -1
        w = g.reshape(w, shape)
    w = g.broadcast_to_shape(w, g.shape_of(x))
    total = over(ov_ops.reduce_sum, g.out(ov_ops.multiply(x, w)), axes, keepdims)
    norm = over(ov_ops.reduce_sum, w, axes, keepdims)
    return g.cast(ov_ops.divide(total, norm), result)


@register("numpy")
def average(x, axis=None, weights=None):
    x = to_tensor(x, op="average")
    others, weight_axis = (), None
    if weights is None:
        result = dtypes.result_type(x.dtype, float)
    else:
        weights = to_tensor(weights, op="average")
        result = dtypes.result_type(x.dtype, float, weights.dtype)
        if weights.shape != x.shape:
            if weights.ndim != 1 or not isinstance(axis, (int, np.integer)):
                raise ValueError(
                    f"`average`: weights of shape {weights.shape} differ from x's "
                    f"shape {x.shape}; they must then be 1-D with an integer axis "
                    f"(got axis={axis!r})"
                )
            weight_axis = g.normalize_axis(axis, x.ndim, "average")
            if weights.shape[0] not in (None, x.shape[weight_axis]):
                raise ValueError(
                    f"`average`: {weights.shape[0]} weights for axis {axis} of length "
                    f"{x.shape[weight_axis]}"
                )
        others = (weights,)
    compute = dtypes.result_type(result, "float32")
    return reduce(
        "average",
        x,
        axis,
        False,
        None,
        compute=compute,
        result=result,
        translator=_average_translator,
        others=others,
        weight_axis=weight_axis,
    )


# -- cumulative sums and products -----------------------------------------------


def _cumulative_translator(x, *, axis, kind, skip_nan, result):
    exact = dtypes.is_wide(g.dtype(x))  # the graph will run on reference kernels
    x = g.cast(x, result)
    if axis is None:
        x, axis = g.reshape(x, [-1]), 0
    if skip_nan:
        x = fill_nan(x, 0 if kind == "sum" else 1)
    return scan(x, axis, kind, exact=exact)


def _cumulative_op(name, kind, skip_nan=False):
    def op(x, axis=None, dtype=None):
        x = to_tensor(x, op=name)
        if dtype is not None:
            result = dtypes.standardize(dtype)
        else:
            result = "int32" if x.dtype == "bool" else x.dtype
        if axis is not None:
            axis = g.normalize_axis(axis, x.ndim, name)
        if x.ndim == 0:
            axis = None
        return apply(
            name,
            _cumulative_translator,
            [x],
            axis=axis,
            kind=kind,
            skip_nan=skip_nan,
            result=result,
        )

    op.__name__ = op.__qualname__ = name
    return register("numpy", name)(op)


cumsum = _cumulative_op("cumsum", "sum")
cumprod = _cumulative_op("cumprod", "prod")
nancumsum = _cumulative_op("nancumsum", "sum", skip_nan=True)
nancumprod = _cumulative_op("nancumprod", "prod", skip_nan=True)


def _diff_translator(x, *, n, axis):
    subtract = ov_ops.logical_xor if g.dtype(x) == "bool" else ov_ops.subtract
    work = widen(g.dtype(x))
    x = g.cast(x, work)
    for _ in range(n):
        x = g.out(subtract(g.slice_axis(x, axis, 1, 2**31 - 1), g.slice_axis(x, axis, 0, -1)))
    return x


@register("numpy")
def diff(a, n=1, axis=-1):
    """The n-th discrete difference along ``axis`` (bool: not-equal, as NumPy)."""
    a = to_tensor(a, op="diff")
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"`diff`: order n must be a non-negative integer, got {n!r}")
    if a.ndim == 0:
        raise ValueError("`diff` requires an input of at least 1 dimension, got a 0-d tensor")
    axis = g.normalize_axis(axis, a.ndim, "diff")
    if n == 0:
        return a
    out = apply("numpy.diff", _diff_translator, [a], n=n, axis=axis)
    return out if out.dtype == a.dtype else to_tensor(out, a.dtype)


# -- quantiles -------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(a, b, t):
    """NumPy's interpolation: exact at both ends, ``a`` where ``a == b``."""
    one = g.const(1, g.dtype(t))
    diff = ov_ops.subtract(b, a)
    low = ov_ops.add(a, ov_ops.multiply(diff, t))
    high = ov_ops.subtract(b, ov_ops.multiply(diff, ov_ops.subtract(one, t)))
    half = g.const(0.5, g.dtype(t))
    out = g.select(ov_ops.greater_equal(t, half), high, low)
    return g.select(ov_ops.equal(a, b), a, out)


def _positions(pos, method):
    """(lower index, upper index, weight) of a fractional position."""
    dt = g.dtype(pos)
    lo = g.out(ov_ops.floor(pos))
    hi = g.out(ov_ops.ceiling(pos))
    zero = g.const(0, dt)
    if method == "linear":
        return lo, hi, g.out(ov_ops.subtract(pos, lo))
    if method == "lower":
        return lo, lo, zero
    if method == "higher":
        return hi, hi, zero
    if method == "nearest":
        r = g.out(ov_ops.round(pos, "half_to_even"))
        return r, r, zero
    half = g.select(ov_ops.equal(lo, hi), zero, g.const(0.5, dt))
    return lo, hi, half  # midpoint


def _quantile_translator(
    x, q, *, axes, keepdims, compute, result, method, skip_nan, scalar_q, percent
):
    x = g.cast(x, compute)
    q = g.cast(q, compute)
    if percent:
        q = g.out(ov_ops.divide(q, g.const(100, compute)))
    rank = g.rank(x)
    if not axes:  # axis=(): each element is its own one-element sample
        x, axes, keepdims = g.unsqueeze_axes(x, [rank]), (rank,), False
        rank += 1
    kept = [a for a in range(rank) if a not in axes]
    x = g.transpose(x, kept + list(axes))
    head = ov_ops.gather(g.shape_of(x), g.i64(list(range(len(kept)))), g.i64(0))
    x = g.reshape_to(x, g.out(ov_ops.concat([head, g.i64([-1])], 0)))
    last = len(kept)

    nan = isnan(x)
    n = scalar_dim(x, last)
    ordered = ov_ops.topk(
        g.select(nan, g.const(np.inf, compute), x), n, last, "min", "value", "i32", stable=True
    ).output(0)
    if skip_nan:
        valid = ov_ops.reduce_sum(g.cast(ov_ops.logical_not(nan), compute), g.i64([last]), True)
        undefined = ov_ops.equal(valid, g.const(0, compute))
    else:
        valid = g.cast(n, compute)
        undefined = ov_ops.reduce_logical_or(nan, g.i64([last]), True)

    qs = g.reshape(q, [1] * last + [-1])
    one = g.const(1, compute)
    pos = ov_ops.maximum(ov_ops.multiply(qs, ov_ops.subtract(valid, one)), g.const(0, compute))
    # Gather's batch dimensions do not broadcast: give pos the shape kept + (Q,).
    pos = g.broadcast_to_shape(pos, g.out(ov_ops.concat([head, g.dim(qs, last)], 0)))
    lo, hi, t = _positions(pos, method)
    top = g.cast(ov_ops.subtract(n, g.i64(1)), "int32")

    def take(i):
        return take_last(ordered, g.out(ov_ops.minimum(g.cast(i, "int32"), top)))

    out = _lerp(take(lo), take(hi), t)
    out = g.select(undefined, g.const(np.nan, compute), out)  # shape kept + (Q,)
    out = g.transpose(out, [last] + list(range(last)))
    if keepdims:
        out = g.unsqueeze_axes(out, [1 + a for a in axes])
    if scalar_q:
        out = g.squeeze_axes(out, [0])
    return g.cast(out, result)


def _quantile(name, x, q, axis, method, keepdims, skip_nan, percent):
    x = to_tensor(x, op=name)
    q = to_tensor(q, op=name)
    if method not in _METHODS:
        raise ValueError(f"`{name}`: method must be one of {_METHODS}, got {method!r}")
    if q.ndim > 1:
        raise ValueError(f"`{name}`: q must be a scalar or 1-D, got shape {q.shape}")
    if x.dtype == "int64":  # as Keras's JAX backend: quantiles of int64 in floatx
        x = to_tensor(x, dtypes.floatx(), op=name)
    result = dtypes.result_type(x.dtype, float)
    compute = dtypes.result_type(result, "float32")
    if isinstance(axis, list):
        axis = tuple(axis)
    return reduce(
        name,
        x,
        axis,
        keepdims,
        None,
        compute=compute,
        result=result,
        translator=_quantile_translator,
        others=(q,),
        method=method,
        skip_nan=skip_nan,
        scalar_q=q.ndim == 0,
        percent=percent,
    )


@register("numpy")
def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("quantile", x, q, axis, method, keepdims, False, False)


@register("numpy")
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanquantile", x, q, axis, method, keepdims, True, False)


@register("numpy")
def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("percentile", x, q, axis, method, keepdims, False, True)


@register("numpy")
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanpercentile", x, q, axis, method, keepdims, True, True)


@register("numpy")
def median(x, axis=None, keepdims=False):
    return _quantile("median", x, 0.5, axis, "linear", keepdims, False, False)


@register("numpy")
def nanmedian(x, axis=None, keepdims=False):
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, True, False)


# -- corrcoef, trapezoid -----------------------------------------------------------


def _corrcoef_translator(x, *, axes, keepdims, compute, result):
    x = g.cast(x, compute)
    vector = g.rank(x) == 1
    if vector:
        x = g.unsqueeze_axes(x, [0])
    centred = g.out(ov_ops.subtract(x, reduce_mean(x, g.i64([1]), True)))
    cov = ov_ops.matmul(centred, centred, False, True)
    scale = ov_ops.sqrt(ov_ops.reduce_sum(ov_ops.multiply(centred, centred), g.i64([1]), False))
    outer = ov_ops.multiply(
        ov_ops.unsqueeze(scale, g.i64([1])), ov_ops.unsqueeze(scale, g.i64([0]))
    )
    out = g.out(ov_ops.clamp(ov_ops.divide(cov, outer), -1.0, 1.0))
    if vector or g.static_shape(x)[0] == 1:  # one variable: a scalar, as NumPy's
        out = g.reshape(out, [])
    return g.cast(out, result)


@register("numpy")
def corrcoef(x):
    x = to_tensor(x, op="corrcoef")
    if x.ndim not in (1, 2):
        raise ValueError(f"`corrcoef` expects a 1-D or 2-D tensor, got shape {x.shape}")
    compute, result = _float_dtypes(x.dtype)
    return reduce(
        "corrcoef",
        x,
        (),
        False,
        None,
        compute=compute,
        result=result,
        translator=_corrcoef_translator,
    )


def _ends(x, axis):
    """``x[1:]`` and ``x[:-1]`` along ``axis``."""
    step, ax = g.i64([1]), g.i64([axis])
    tail = ov_ops.slice(x, g.i64([1]), g.i64([np.iinfo(np.int32).max]), step, ax)
    init = ov_ops.slice(x, g.i64([0]), g.i64([-1]), step, ax)
    return g.out(tail), g.out(init)


def _trapezoid_translator(y, spacing, *, axes, keepdims, compute, result, along):
    y = g.cast(y, compute)
    (axis,) = axes
    spacing = g.cast(spacing, compute)
    if along is not None:  # sample points: their differences along `along`
        tail, init = _ends(spacing, along)
        spacing = g.out(ov_ops.subtract(tail, init))
        if along != axis:
            shape = [1] * g.rank(y)
            shape[axis] = -1
            spacing = g.reshape(spacing, shape)
    tail, init = _ends(y, axis)
    mid = ov_ops.divide(ov_ops.add(tail, init), g.const(2, compute))
    out = over(ov_ops.reduce_sum, g.out(ov_ops.multiply(mid, spacing)), axes, False)
    return g.cast(out, result)


@register("numpy")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = to_tensor(y, op="trapezoid")
    if y.ndim == 0:
        raise ValueError("`trapezoid` needs at least a 1-D `y`, got a scalar")
    axis = g.normalize_axis(axis, y.ndim, "trapezoid")
    if x is None:
        spacing, along = to_tensor(dx, op="trapezoid"), None
        if spacing.ndim != 0:
            raise ValueError(f"`trapezoid`: dx must be a scalar, got shape {spacing.shape}")
        result = dtypes.result_type(y.dtype, float)
    else:
        spacing = to_tensor(x, op="trapezoid")
        if spacing.ndim == 1:
            along = 0
        elif spacing.ndim == y.ndim:
            along = axis
        else:
            raise ValueError(
                f"`trapezoid`: x must be 1-D or have y's rank, got shapes "
                f"{spacing.shape} and {y.shape}"
            )
        result = dtypes.result_type(y.dtype, spacing.dtype, float)
    compute = dtypes.result_type(result, "float32")
    return reduce(
        "trapezoid",
        y,
        axis,
        False,
        None,
        compute=compute,
        result=result,
        translator=_trapezoid_translator,
        others=(spacing,),
        along=along,
    )
