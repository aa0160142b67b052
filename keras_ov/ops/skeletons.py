"""Shared skeletons: element-wise unary/binary factories and the one reduction.

An element-wise op differs from its siblings only in its opset call and its
dtype rule, so it is one table row, not a function body:

    unary("sin", ov_ops.sin, rule="inexact")
    binary("add", ov_ops.add, rule="numeric")

Dtype rules (``RULES``):
  numeric   Keras result type of the inputs (python scalars weak)
  inexact   the same, promoted to a float (sin, sqrt, divide)
  bool      inputs promoted together, result bool (comparisons, isnan)
  same      result has the input's dtype (abs on ints, negative)

All reductions go through ``reduce``, so ``axis=None``, ``axis=()``, negative
and repeated axes and ``keepdims`` are handled in exactly one place.
"""

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import apply, register, with_params


def _rule_dtype(rule, xs):
    if rule == "inexact":
        return dtypes.promote_inexact(*xs)
    return dtypes.promote(*xs)


# The CPU plugin saturates int8/uint8 arithmetic where NumPy wraps: compute
# them in int32; the final Convert back wraps, as NumPy does.
_WIDEN = {"int8": "int32", "uint8": "int32"}


def widen(dtype):
    """The dtype to compute ``dtype`` arithmetic in, on OpenVINO's CPU plugin."""
    return _WIDEN.get(dtype, dtype)


def _elementwise(fn):
    """Translator: cast inputs to ``compute``, apply, cast to ``result``."""

    def translator(*xs, compute, result):
        work = widen(compute)
        out = g.out(fn(*[g.cast(x, work) for x in xs]))
        return g.cast(out, compute if result is None else result)

    return translator


def unary(name, fn, rule="numeric", namespace="numpy", result=None, compute=None):
    """Register a one-input element-wise op.

    ``result``/``compute`` may be a dtype name or a function of the promoted
    dtype, for ops whose output or working dtype differs (``isnan`` -> bool).
    """
    translator = _elementwise(fn)

    def op(x):
        x = to_tensor(x, op=name)
        dt = _rule_dtype(rule, [x])
        c = _resolve(compute, dt)
        r = _resolve(result, dt)
        return apply(f"{namespace}.{name}", translator, [_settle(x, c)], compute=c, result=r)

    op.__name__ = name
    op.__qualname__ = name
    return register(namespace, name)(op)


def binary(
    name, fn, rule="numeric", namespace="numpy", result=None, compute=None, params=("x1", "x2")
):
    """Register a two-input broadcasting element-wise op (``params``: Keras's
    names for its two arguments)."""
    translator = _elementwise(fn)

    def op(x1, x2):
        dt = _rule_dtype(rule, [x1, x2])
        a = to_tensor(x1, op=name)
        b = to_tensor(x2, op=name)
        _check_broadcast(name, a.shape, b.shape)
        c = _resolve(compute, dt)
        r = _resolve(result, dt)
        return apply(
            f"{namespace}.{name}", translator, [_settle(a, c), _settle(b, c)], compute=c, result=r
        )

    op.__name__ = name
    op.__qualname__ = name
    if tuple(params) != ("x1", "x2"):
        op = with_params(op, params)
    return register(namespace, name)(op)


def _check_broadcast(op, a, b):
    """NumPy broadcasting of two shapes (``None``: unknown), else a clear error
    (rather than OpenVINO's shape-inference RuntimeError)."""
    for da, db in zip(reversed(a), reversed(b)):
        if da is not None and db is not None and da != db and da != 1 and db != 1:
            raise ValueError(
                f"keras-ov: `{op}` cannot broadcast shapes {tuple(a)} and {tuple(b)} together"
            )


def _settle(t, compute):
    """Cast a concrete wide input to a narrower ``compute`` dtype in its own step,
    so the op itself runs compiled instead of on reference kernels."""
    if not t.is_symbolic and dtypes.is_wide(t.dtype) and not dtypes.is_wide(compute):
        return to_tensor(t, compute)
    return t


def _resolve(spec, promoted):
    if spec is None:
        return promoted
    if callable(spec):
        return spec(promoted)
    return spec


def _reduce_translator(x, *, fn, axes, keepdims, compute, result):
    x = g.cast(x, widen(compute))
    if axes:
        out = g.out(fn(x, g.i64(list(axes)), keepdims))
    else:
        # Reduce nothing, yet let ``fn`` apply (nansum fills NaNs): reduce a new
        # unit axis (the CPU plugin rejects reductions over no axes).
        out = g.out(fn(g.unsqueeze_axes(x, [0]), g.i64([0]), False))
    return g.cast(out, result)


def reduce(name, x, axis, keepdims, fn, compute, result, translator=None, others=(), **attrs):
    """The one reduction path.

    ``fn(x, axes_const, keepdims)`` builds the reduction (e.g. ReduceSum);
    ``axis=None`` reduces every axis, ``axis=()`` reduces none, and keepdims
    keeps every reduced axis as size 1 -- for every reduction alike.
    ``translator`` replaces the default for reductions with more logic; it
    receives ``axes`` and ``keepdims`` already normalised, and the tensors in
    ``others`` (weights, quantiles, ...) as extra inputs after ``x``.
    """
    x = to_tensor(x, op=name)
    axes = g.normalize_axes(axis, x.ndim, name)
    if translator is None:
        return apply(
            name,
            _reduce_translator,
            [x],
            fn=fn,
            axes=axes,
            keepdims=bool(keepdims),
            compute=compute,
            result=result,
        )
    inputs = [x] + [to_tensor(o, op=name) for o in others]
    return apply(
        name,
        translator,
        inputs,
        axes=axes,
        keepdims=bool(keepdims),
        compute=compute,
        result=result,
        **attrs,
    )
