"""Python lists, tuples (nested) and scalars as operands of every binary op.

As on JAX, a list or tuple is converted like ``convert_to_tensor`` would (ints
-> int32, floats -> floatx: not weakly typed), a Python scalar stays weak.
Every two-operand op in the registry is driven with each operand form on
either side and compared with the same op on the converted array, and with
``jax.numpy`` where it has the op.
"""

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

from keras import ops

from keras_ov.ops.registry import REGISTRY

_PAIRS = (("x1", "x2"), ("x", "y"))
BINARY = sorted(
    k
    for k, fn in REGISTRY.items()
    if tuple(inspect.signature(fn).parameters)[:2] in _PAIRS
    and all(
        p.default is not inspect.Parameter.empty
        for p in list(inspect.signature(fn).parameters.values())[2:]
    )
)
# Ops whose operands have more structure than "two broadcasting arrays".
_SHAPED = {
    "numpy.append",
    "numpy.correlate",
    "numpy.cross",
    "numpy.isin",
    "numpy.kron",
    "numpy.outer",
    "numpy.vdot",
    "numpy.inner",
    "numpy.dot",
    "numpy.matmul",
    "numpy.tensordot",
}

X = np.array([[1, 2, 3, 4], [5, 6, 7, 5]], np.int32)
# (operand, on both sides?, compare with jax.numpy?)
OPERANDS = [
    ([5, 5, 5, 5], True, True),
    ([[1], [2]], False, True),
    (((1.5, 2.0, 0.5, 3.0),), False, False),
    (3, False, False),
    (2.5, True, False),
]
_DOTS = {
    "numpy.matmul": [[1], [2], [3], [4]],
    "numpy.dot": [[1], [2], [3], [4]],
    "numpy.tensordot": [[1, 2, 3, 4], [5, 6, 7, 8]],
    "numpy.vdot": [[1, 2, 3, 4], [5, 6, 7, 8]],
}


def _as_array(v):
    if isinstance(v, (list, tuple)):
        return np.asarray(ops.convert_to_tensor(v))
    return v


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind in "fc" or want.dtype.kind in "fc":
        np.testing.assert_allclose(
            got.astype(np.float64), want.astype(np.float64), rtol=1e-5, atol=1e-6, equal_nan=True
        )
    else:
        np.testing.assert_array_equal(got, want)


def test_binary_ops_are_found():
    assert {"numpy.add", "numpy.equal", "numpy.bitwise_and", "numpy.arctan2"} <= set(BINARY)


@pytest.mark.parametrize("name", BINARY)
def test_python_operands(name):
    fn = REGISTRY[name]
    ref = getattr(jnp, name.split(".")[1], None)
    operands = [(_DOTS[name], True, True)] if name in _DOTS else OPERANDS
    for v, both, compare in operands:
        for args in ((X, v), (v, X)) if both else ((X, v),):
            if name in _SHAPED and not isinstance(args[1], (list, tuple)):
                continue
            try:
                want = fn(*[_as_array(a) if isinstance(a, (list, tuple)) else a for a in args])
            except (TypeError, ValueError):
                # The op refuses the array form too (bitwise ops on floats):
                # the list form must be refused the same way.
                with pytest.raises((TypeError, ValueError)):
                    fn(*args)
                continue
            got = fn(*args)
            assert got.dtype == want.dtype, (name, v, got.dtype, want.dtype)
            _same(got, want)
            if ref is not None and compare:
                _same(got, ref(*[np.asarray(_as_array(a)) for a in args]))


def test_issue_example():
    got = ops.equal(ops.convert_to_tensor(np.array([5, 1, 5, 2])), [5, 5, 5, 5])
    assert np.asarray(got).tolist() == [True, False, True, False]
