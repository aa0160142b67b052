"""Control flow (backend.core): eager against NumPy, traced into If/Loop, shape inference."""

import numpy as np
import pytest

import keras
from keras import KerasTensor, ops

from keras_ov.engine import compiled

X = np.arange(6, dtype="float32").reshape(2, 3) - 2.0


def _while_ref(x):
    v = np.abs(x) + 1
    while v.sum() < 100:
        v = v * 2
    return v


def _assoc_ref(x, reverse):
    return np.flip(np.cumsum(np.flip(x, 0), 0), 0) if reverse else np.cumsum(x, 0)


# name -> (function of one tensor, NumPy reference)
CASES = {
    "cond": (
        lambda x: ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0),
        lambda x: x * 2 if x.sum() > 0 else x - 1,
    ),
    "while_loop": (
        lambda x: ops.while_loop(lambda v: ops.sum(v) < 100.0, lambda v: v * 2.0, ops.abs(x) + 1.0),
        _while_ref,
    ),
    "while_loop_max": (
        lambda x: ops.while_loop(
            lambda v: ops.sum(v) < 1e9, lambda v: v + 1.0, x, maximum_iterations=3
        ),
        lambda x: x + 3,
    ),
    # keras-hub's samplers bound the decode loop by a count computed from the prompt.
    "while_loop_tensor_max": (
        lambda x: ops.while_loop(
            lambda v: ops.sum(v) < 1e9,
            lambda v: v + 1.0,
            ops.zeros_like(x),
            maximum_iterations=ops.cast(ops.max(ops.abs(x)), "int32"),
        ),
        lambda x: np.zeros_like(x) + np.floor(np.abs(x).max()),
    ),
    "fori_loop": (
        lambda x: ops.fori_loop(0, 3, lambda i, v: v + x, ops.zeros_like(x)),
        lambda x: 3 * x,
    ),
    "scan": (
        lambda x: ops.scan(lambda c, r: (c + r, c + r), ops.zeros_like(x[0]), x)[1],
        lambda x: np.cumsum(x, 0),
    ),
    "scan_reverse": (
        lambda x: ops.scan(lambda c, r: (c + r, c * 1.0), ops.zeros_like(x[0]), x, reverse=True)[1],
        lambda x: np.flip(np.cumsum(np.flip(x, 0), 0), 0) - x,
    ),
    "map": (lambda x: ops.map(lambda r: r * 3.0, x), lambda x: x * 3),
    "vectorized_map": (lambda x: ops.vectorized_map(lambda r: r + 1.0, x), lambda x: x + 1),
    "switch": (
        lambda x: ops.switch(
            ops.cast(ops.sum(x) > 0, "int32"), [lambda v: v + 10.0, lambda v: v - 10.0], x
        ),
        lambda x: x - 10 if x.sum() > 0 else x + 10,
    ),
    "associative_scan": (
        lambda x: ops.associative_scan(lambda a, b: a + b, x, axis=0),
        lambda x: _assoc_ref(x, False),
    ),
    "associative_scan_reverse": (
        lambda x: ops.associative_scan(lambda a, b: a + b, x, reverse=True, axis=0),
        lambda x: _assoc_ref(x, True),
    ),
    "unstack": (lambda x: ops.stack(ops.unstack(x, axis=1), axis=0), lambda x: x.T),
}


def _traced(fn, x, dynamic_batch):
    shape = (None,) + x.shape[1:] if dynamic_batch else x.shape
    model, _ = compiled.trace(lambda t: [fn(t)], [(shape, "float32")])
    return compiled.CompiledFunction(model)([x])[0]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_eager_and_traced_match_numpy(name, sign):
    fn, ref = CASES[name]
    x = X * sign
    expected = ref(x)
    np.testing.assert_allclose(ops.convert_to_numpy(fn(x)), expected, rtol=1e-6)
    for dynamic in (False, True):
        np.testing.assert_allclose(_traced(fn, x, dynamic), expected, rtol=1e-6)


def test_traced_graph_uses_if_and_loop():
    fn_cond, _ = CASES["cond"]
    fn_loop, _ = CASES["while_loop"]
    model, _ = compiled.trace(lambda t: [fn_cond(t), fn_loop(t)], [((None, 3), "float32")])
    kinds = {op.get_type_name() for op in model.get_ordered_ops()}
    assert {"If", "Loop"} <= kinds


def test_loop_body_that_reads_a_traced_value_becomes_a_loop():
    # fori_loop over concrete bounds and state, but the body closes over x.
    fn, ref = CASES["fori_loop"]
    model, _ = compiled.trace(lambda t: [fn(t)], [((2, 3), "float32")])
    assert "Loop" in {op.get_type_name() for op in model.get_ordered_ops()}
    np.testing.assert_allclose(compiled.CompiledFunction(model)([X])[0], ref(X))


@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda x: ops.cond(KerasTensor((), dtype="bool"), lambda: x, lambda: x * 2), (None, 4)),
        (lambda x: ops.while_loop(lambda v: ops.sum(v) < 10, lambda v: v + 1, x), (None, 4)),
        (lambda x: ops.fori_loop(0, 4, lambda i, v: v + 1.0, x), (3, None)),
        (lambda x: ops.scan(lambda c, r: (c + r, c * r), x[0], x)[1], (5, 4)),
        (lambda x: ops.map(lambda r: r * 2, x), (None, 4)),
        (lambda x: ops.associative_scan(lambda a, b: a + b, x, axis=0), (None, 4)),
    ],
)
def test_symbolic_shapes(fn, shape):
    out = fn(KerasTensor(shape))
    assert out.shape == shape
    assert out.dtype == "float32"


def test_cond_concrete_python_values():
    assert ops.cond(True, lambda: 0, lambda: 1) == 0
    assert ops.cond(False, lambda: None, lambda: None) is None


def test_cond_branches_must_agree():
    with pytest.raises(ValueError):
        ops.cond(KerasTensor((), dtype="bool"), lambda: ops.ones((3,)), lambda: ops.zeros((4,)))


def test_while_loop_structures():
    out = ops.while_loop(
        lambda s: s["a"] < 5, lambda s: {"a": s["a"] + 1, "b": s["b"] * 2}, {"a": 0, "b": 1}
    )
    assert int(out["a"]) == 5 and int(out["b"]) == 32
    a, b = ops.while_loop(lambda a, b: a < 3, lambda a, b: (a + 1, b + a), (0, 0))
    assert (int(a), int(b)) == (3, 3)


def test_scan_argument_errors():
    with pytest.raises(TypeError, match="callable"):
        ops.scan(123, 0.0, np.ones(3))
    with pytest.raises(ValueError, match="positive integer"):
        ops.scan(lambda c, x: (c, x), 0.0, np.ones(3), unroll=-1)
    with pytest.raises(ValueError, match="to scan over"):
        ops.scan(lambda c, x: (c, x), 0.0)


def test_unstack_errors():
    with pytest.raises(ValueError, match="out of bounds"):
        ops.unstack(np.ones((3, 4)), axis=5)


def test_body_reading_a_foreign_graph_is_refused():
    other = compiled.symbolic((3,), "float32")
    with pytest.raises(ValueError, match="another graph"):
        compiled.trace(
            lambda t: [ops.cond(ops.sum(t) > 0, lambda: t + other, lambda: t)],
            [((3,), "float32")],
        )


def test_variable_versions_and_assign():
    v = keras.Variable(np.zeros((2, 2), "float32"))
    version = v._version
    v.assign(np.ones((2, 2), "float32"))
    assert v._version == version + 1
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
    with pytest.raises(ValueError):
        v.assign(np.ones((3,), "float32"))
