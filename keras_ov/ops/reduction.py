"""Reductions, all through ``skeletons.reduce``."""

from keras_ov.engine import dtypes
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import register
from keras_ov.ops.skeletons import reduce


def _sum_dtype(dtype):
    # Keras: bool/int8/int16 sums accumulate in int32, uint8/uint16 in uint32.
    if dtype == "bool" or dtype in ("int8", "int16"):
        return "int32"
    if dtype in ("uint8", "uint16"):
        return "uint32"
    return dtype


@register("numpy")
def sum(x, axis=None, keepdims=False):
    from keras_ov.ops.coerce import to_tensor

    x = to_tensor(x, op="sum")
    dt = _sum_dtype(x.dtype)
    return reduce("sum", x, axis, keepdims, ov_ops.reduce_sum, compute=dt, result=dt)


@register("numpy")
def max(x, axis=None, keepdims=False, initial=None):
    if initial is not None:
        raise NotImplementedError("`max`: `initial` is not supported yet")
    from keras_ov.ops.coerce import to_tensor

    x = to_tensor(x, op="max")
    return reduce("max", x, axis, keepdims, ov_ops.reduce_max, compute=x.dtype, result=x.dtype)


del dtypes
