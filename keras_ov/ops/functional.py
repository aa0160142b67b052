"""Function transformations over ops: vectorize."""

from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.indexing import take
from keras_ov.ops.registry import register
from keras_ov.ops.shape import stack


def _vmap(fn, in_axes):
    """Map ``fn`` over axis 0 of the arguments whose ``in_axes`` entry is 0.

    Each slice runs through the same ops (and so the same cached compiled
    graphs); results are stacked along axis 0.
    """

    def mapped(*args):
        batched = [i for i, a in enumerate(in_axes) if a is not None]
        if not batched:
            return fn(*args)
        args = [to_tensor(a, op="vectorize") if i in batched else a for i, a in enumerate(args)]
        n = args[batched[0]].shape[0]
        if n is None:
            raise ValueError("`vectorize` needs a static size along the mapped axis")
        outs = [
            fn(*[take(a, k, axis=0) if i in batched else a for i, a in enumerate(args)])
            for k in range(n)
        ]
        if isinstance(outs[0], (tuple, list)):
            return type(outs[0])(stack([o[j] for o in outs]) for j in range(len(outs[0])))
        return stack(outs)

    return mapped


@register("numpy")
def vectorize(pyfunc, *, excluded=None, signature=None):
    # lazy: keras loads keras_ov.backend, which loads this module (at module level it
    # would run Keras's import half-way through keras_ov.ops, leaving the backend
    # namespaces without the ops registered after this one)
    from keras.src.backend.common.backend_utils import vectorize_impl

    return vectorize_impl(pyfunc, _vmap, excluded=excluded, signature=signature)
