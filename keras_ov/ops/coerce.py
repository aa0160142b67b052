"""The one input-coercion path: anything Keras hands an op becomes an OVTensor.

Coercion and joining call each other (``to_tensor`` stacks nested lists that
hold tensors; joining converts and casts its inputs), so ``cast`` and the
join helpers (``promote_all``, ``concat_tensors``, ``stack_tensors``) live here
too.  This module imports only the engine, ``graph`` and ``registry``.
"""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply

_SCALARS = (bool, int, float, np.generic)


def _keras_variable_type():
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.common.variables import Variable

    return Variable


def _flat_types(x):
    if isinstance(x, (list, tuple)):
        for item in x:
            yield from _flat_types(item)
    else:
        yield dtypes.dtype_of(x)


def _default_dtype(x):
    """Keras's dtype for nested Python data (ints -> int32, floats -> floatx)."""
    kinds = list(_flat_types(x))
    return dtypes.result_type(*kinds) if kinds else dtypes.result_type(float)


def _cast_host(array, dtype, op):
    target = dtypes.to_numpy(dtype)
    if array.dtype == target:
        return array
    return array.astype(target)


def to_tensor(x, dtype=None, op="convert_to_tensor"):
    """``x`` as an OVTensor, cast to ``dtype`` (a Keras dtype name) if given."""
    if isinstance(x, OVTensor):
        if dtype is None or dtype == x.dtype:
            return x
        return cast(x, dtype)
    if isinstance(x, _keras_variable_type()):
        return to_tensor(x.value, dtype, op)
    if isinstance(x, np.ndarray):
        kd = dtypes.from_numpy(x.dtype)
        if kd is None:
            raise TypeError(
                f"`{op}` does not support arrays of dtype {x.dtype} "
                f"(got an array of shape {x.shape})"
            )
        if dtype is None:
            return OVTensor(np.array(x, copy=True), dtype=kd)
        return OVTensor(_cast_host(np.array(x), dtype, op), dtype=dtype)
    if hasattr(x, "__array__") and not isinstance(x, (list, tuple)) and not isinstance(x, _SCALARS):
        return to_tensor(np.asarray(x), dtype, op)
    if isinstance(x, np.generic):
        return to_tensor(np.asarray(x), dtype, op)
    if isinstance(x, (bool, int, float, list, tuple)):
        if _has_tensors(x):
            return to_tensor(stack_values(x, op), dtype, op)
        target = dtype or _default_dtype(x)
        if target == "bfloat16":
            array = np.asarray(x, dtype=np.float32).astype(dtypes.to_numpy(target))
        else:
            try:
                array = np.asarray(x, dtype=dtypes.to_numpy(target))
            except OverflowError as e:
                raise ValueError(f"`{op}`: {x!r} does not fit dtype {target}") from e
        return OVTensor(array, dtype=target)
    if x is None:
        raise TypeError(f"`{op}` expected a tensor, array or scalar, got None")
    raise TypeError(f"`{op}` expected a tensor, array or scalar, got {type(x).__name__}: {x!r}")


def _has_tensors(x):
    if isinstance(x, (list, tuple)):
        return any(_has_tensors(i) for i in x)
    return isinstance(x, OVTensor) or isinstance(x, _keras_variable_type())


def _cast(x, dtype):
    return g.cast(x, dtype)


def cast(x, dtype):
    """The ``cast`` op (registered by ``ops.core``)."""
    dtype = dtypes.standardize(dtype)
    dtypes.to_ov(dtype)  # raises a clear error for unsupported dtypes
    x = to_tensor(x, op="cast")
    if x.dtype == dtype:
        return x
    return apply("cast", _cast, [x], dtype=dtype)


# -- joining tensors (concatenate, stack and nested lists of tensors) ----------


def promote_all(xs, op):
    """The tensors ``xs`` converted to their join dtype (``dtypes.join_dtype``)."""
    xs = [to_tensor(x, op=op) for x in xs]
    if not xs:
        raise ValueError(f"`{op}` needs at least one tensor, got an empty sequence")
    dt = dtypes.join_dtype(*xs)
    return [to_tensor(x, dt, op=op) for x in xs]


def _concat(*xs, axis):
    return g.out(ov_ops.concat(list(xs), axis))


def concat_tensors(xs, axis, op):
    """Concatenate OVTensors of one dtype along a normalised axis."""
    if len(xs) == 1:
        return xs[0]
    return apply("numpy.concatenate", _concat, xs, axis=axis)


def _same_shape(a, b):
    return len(a) == len(b) and all(None in (u, v) or u == v for u, v in zip(a, b))


def stack_tensors(xs, axis, op):
    """Stack OVTensors of one dtype along a new ``axis``."""
    if not all(_same_shape(t.shape, xs[0].shape) for t in xs):
        raise ValueError(
            f"`{op}`: all inputs must have the same shape, got {[t.shape for t in xs]}"
        )
    axis = g.normalize_axis(axis, xs[0].ndim + 1, op)
    expanded = [apply("numpy.expand_dims", g.unsqueeze_axes, [t], axes=(axis,)) for t in xs]
    return concat_tensors(expanded, axis, op)


def stack_values(values, op):
    """Nested lists mixing tensors and scalars, stacked into one tensor."""
    xs = [
        stack_values(v, op) if isinstance(v, (list, tuple)) else to_tensor(v, op=op) for v in values
    ]
    return stack_tensors(promote_all(xs, "stack"), 0, "stack")
