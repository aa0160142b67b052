"""``value_and_grad`` and ``grad``: gradients of Python functions of Keras tensors.

In the style of ``jax.value_and_grad``: ``fn`` is traced once per input
signature (shapes and dtypes) on symbolic inputs, its scalar output is
differentiated with the rule table, and the value-and-gradient model is
compiled through ``keras_ov.engine.compiled`` and cached on the returned
function.  Arguments may be tensors, arrays, Python numbers, or lists,
tuples and dicts of them.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from keras_ov.autodiff import core
from keras_ov.engine import compiled, dtypes
from keras_ov.engine.tensor import OVTensor


def _flatten(tree):
    """Leaves of nested lists/tuples/dicts, and a function that rebuilds the tree."""
    if isinstance(tree, (list, tuple)):
        parts = [_flatten(t) for t in tree]
        leaves = [leaf for p, _ in parts for leaf in p]

        def build(values):
            out, k = [], 0
            for p, b in parts:
                out.append(b(values[k : k + len(p)]))
                k += len(p)
            return type(tree)(out)

        return leaves, build
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, build = _flatten([tree[k] for k in keys])
        return leaves, lambda values: dict(zip(keys, build(values)))
    return [tree], lambda values: values[0]


def _host(x, op):
    if isinstance(x, OVTensor):
        if x.is_symbolic:
            raise TypeError(f"keras-ov: `{op}` takes concrete values, got a symbolic tensor")
        return np.asarray(x.data)
    a = np.asarray(x)
    if dtypes.from_numpy(a.dtype) is None:
        raise TypeError(f"keras-ov: `{op}` got an argument of unsupported dtype {a.dtype}")
    if not isinstance(x, (np.ndarray, np.generic)):  # Python numbers: Keras's defaults
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        elif a.dtype == np.int64:
            a = a.astype(np.int32)
    return a


def _argnums(argnums, n, op):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for k in nums:
        if not -n <= k < n:
            raise ValueError(f"keras-ov: `{op}` argnums {argnums} out of range for {n} arguments")
    return single, tuple(k % n for k in nums)


def value_and_grad(
    fn: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(fn(*args), d fn / d args[argnums])``.

    ``fn`` returns a scalar float tensor, or ``(scalar, aux)`` with
    ``has_aux=True`` (then the value is ``(scalar, aux)``).  The gradient has
    the structure of the differentiated argument (a tuple of them when
    ``argnums`` is a tuple).
    """
    op = "value_and_grad"
    cache = {}

    def trace(n_args, builds, specs, single, nums, leaf_ranges):
        def traced(*leaves):
            args = [b(list(leaves[lo:hi])) for b, (lo, hi) in zip(builds, leaf_ranges)]
            result = fn(*args)
            value, aux = result if has_aux else (result, None)
            if (
                not isinstance(value, OVTensor)
                or value.shape != ()
                or not core.is_float(value.output)
            ):
                raise TypeError(
                    f"keras-ov: `{op}` needs `{getattr(fn, '__name__', fn)}` to return a "
                    f"scalar float tensor, got {getattr(value, 'shape', type(value).__name__)} "
                    f"{getattr(value, 'dtype', '')}"
                )
            wrt = [leaves[i] for k in nums for i in range(*leaf_ranges[k])]
            for t in wrt:
                if not core.is_float(t.output):
                    raise TypeError(
                        f"keras-ov: `{op}` differentiates float arguments only, got {t.dtype}"
                    )
            grads = core.grad([value.output], [t.output for t in wrt])
            aux_leaves, aux_build = _flatten(aux)
            aux_tensors = (
                [a if isinstance(a, OVTensor) else OVTensor(np.asarray(a)) for a in aux_leaves]
                if has_aux
                else []
            )
            state["aux_build"] = aux_build
            return [value, *[OVTensor(output=gr) for gr in grads], *aux_tensors]

        state = {}
        model, _ = compiled.trace(traced, specs, f"keras_ov_{op}_{getattr(fn, '__name__', 'fn')}")
        return compiled.CompiledFunction(model), state

    @functools.wraps(fn)
    def wrapper(*args):
        single, nums = _argnums(argnums, len(args), op)
        flat = [_flatten(a) for a in args]
        builds = [b for _, b in flat]
        arrays, leaf_ranges = [], []
        for leaves, _ in flat:
            lo = len(arrays)
            arrays += [_host(x, op) for x in leaves]
            leaf_ranges.append((lo, len(arrays)))
        specs = [(a.shape, dtypes.from_numpy(a.dtype)) for a in arrays]
        key = (tuple(specs), tuple(leaf_ranges), nums)
        if key not in cache:
            cache[key] = trace(len(args), builds, specs, single, nums, leaf_ranges)
        function, state = cache[key]
        outs = [OVTensor(o) for o in function(arrays)]
        value, rest = outs[0], outs[1:]
        grads = []
        for k in nums:
            lo, hi = leaf_ranges[k]
            grads.append(builds[k](rest[: hi - lo]))
            rest = rest[hi - lo :]
        if has_aux:
            value = (value, state["aux_build"](rest))
        return value, grads[0] if single else tuple(grads)

    return wrapper


def grad(
    fn: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``d fn / d args[argnums]`` (with ``aux`` as a second result if ``has_aux``)."""
    vg = value_and_grad(fn, argnums, has_aux)

    @functools.wraps(fn)
    def wrapper(*args):
        value, grads = vg(*args)
        return (grads, value[1]) if has_aux else grads

    return wrapper
