"""Shape ops: data movement without arithmetic (ravel lives here)."""

from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import apply, register


def _reshape(x, shape):
    return g.reshape(x, shape)


@register("numpy")
def ravel(x):
    x = to_tensor(x, op="ravel")
    if x.ndim == 1:
        return x
    return apply("reshape", _reshape, [x], shape=(-1,))


def stack_values(values, op):
    """Nested lists mixing tensors and scalars, stacked into one tensor."""
    from keras_ov.ops.registry import REGISTRY

    return REGISTRY["numpy.stack"]([to_tensor(v, op=op) if not isinstance(v, (list, tuple)) else stack_values(v, op) for v in values])
