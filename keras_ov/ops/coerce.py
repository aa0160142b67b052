"""The one input-coercion path: anything Keras hands an op becomes an OVTensor."""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor

_SCALARS = (bool, int, float, np.generic)


def _keras_variable_type():
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
    from keras.src.backend.common.dtypes import result_type

    kinds = list(_flat_types(x))
    return result_type(*kinds) if kinds else result_type(float)


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
        from keras_ov.ops.core import cast

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
            from keras_ov.ops.shape import stack_values

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
    raise TypeError(
        f"`{op}` expected a tensor, array or scalar, got {type(x).__name__}: {x!r}"
    )


def _has_tensors(x):
    if isinstance(x, (list, tuple)):
        return any(_has_tensors(i) for i in x)
    return isinstance(x, OVTensor) or isinstance(x, _keras_variable_type())
