"""Core conversions: cast."""

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.registry import apply, register


def _cast(x, dtype):
    return g.cast(x, dtype)


@register("core")
def cast(x, dtype):
    from keras_ov.ops.coerce import to_tensor

    from keras.src.backend.common.variables import standardize_dtype

    dtype = standardize_dtype(dtype)
    dtypes.to_ov(dtype)  # raises a clear error for unsupported dtypes
    x = to_tensor(x, op="cast")
    if x.dtype == dtype:
        return x
    return apply("cast", _cast, [x], dtype=dtype)
