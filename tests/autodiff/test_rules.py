"""Every gradient rule against central finite differences and JAX's gradient.

Each case of ``cases.py`` is traced on symbolic inputs; ``autodiff.grad``
builds the gradient of ``sum(f(*xs) * ct)`` (``ct`` a fixed random
cotangent, fed as an input); the float32 model is compiled through the
engine and must stay off reference kernels (neither keras-ov's exact
executor nor the CPU plugin's ``Reference`` fallback layers).  Its gradient
is compared with (a) a central finite difference of the same Keras function
in float32 (directional, Richardson-extrapolated, one random direction per input) and (b) JAX's
gradient of the same Keras function (one subprocess for the whole table).
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import openvino as ov
import pytest

from keras import ops

from keras_ov import autodiff
from keras_ov.engine import compiled, execute, reference
from tests.autodiff import cases

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = cases.CASES()


CACHE = os.path.join(tempfile.gettempdir(), "keras_ov_grad_jax")


def _cached(case):
    return os.path.join(CACHE, f"{case.name}-{cases.digest(case)}.npz")


@pytest.fixture(scope="module")
def jax_results():
    """JAX's results for the table, computed once per version of each case."""
    os.makedirs(CACHE, exist_ok=True)
    missing = [c.name for c in TABLE if c.jax and not os.path.exists(_cached(c))]
    if missing:
        env = dict(
            os.environ,
            KERAS_BACKEND="jax",
            JAX_PLATFORMS="cpu",
            PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        proc = subprocess.run(
            [sys.executable, "-m", "tests.autodiff._jax_reference", CACHE, *missing],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
    results = {}
    for case in TABLE:
        if not case.jax:
            continue
        for key, value in np.load(_cached(case)).items():
            results[f"{case.name}/{key}"] = value
    return results


def _spec(case, i, dtype):
    shape = list(case.shapes[i])
    if i in case.dynamic:
        shape[0] = None
    return shape, dtype


def build(case, dtype="float32", with_grad=True):
    """A CompiledFunction: (*xs, ct) -> [y, *grads] (or xs -> [y])."""
    xs = [compiled.symbolic(*_spec(case, i, dtype), name=f"x{i}") for i in range(len(case.shapes))]
    y = case.fn(*xs)
    params = [compiled.parameter_of(x) for x in xs]
    outs = [y.output]
    if with_grad:
        ct = execute.make_parameter([-1 if d is None else d for d in y.shape], dtype)
        params.append(ct)
        outs += autodiff.grad([y.output], [x.output for x in xs], [ct.output(0)])
    model = ov.Model([ov.opset15.result(o) for o in outs], params, f"grad_{case.name}")
    return compiled.CompiledFunction(model)


def reference_layers(fn):
    """Layers of a compiled model that the CPU plugin runs on reference kernels."""
    exe = fn.executable or fn.dynamic
    runtime = exe.compiled.get_runtime_model()
    return [
        op.get_friendly_name()
        for op in runtime.get_ordered_ops()
        if op.get_rt_info()["layerType"].astype(str) == "Reference"
    ]


@pytest.mark.parametrize("case", TABLE, ids=[c.name for c in TABLE])
def test_gradient(case, jax_results):
    xs = cases.inputs(case)
    built = execute.counters["reference_built"]
    fn = build(case)
    if case.jax:
        y_shape = jax_results[f"{case.name}/y"].shape
    else:  # the forward's shape from a first run (cotangent of zeros)
        y_shape = fn([*xs, np.zeros(fn.inputs[-1].to_shape(), np.float32)])[0].shape
    ct = cases.cotangent(y_shape)
    y, *grads = fn([*xs, ct])
    assert execute.counters["reference_built"] == built, "float32 gradient on the exact path"
    assert reference_layers(fn) == []
    if case.jax:
        np.testing.assert_allclose(y, jax_results[f"{case.name}/y"], rtol=case.tol, atol=case.tol)
    for i, gr in enumerate(grads):
        assert gr.shape == xs[i].shape, (i, gr.shape)
        if not case.jax:
            continue
        expected = jax_results[f"{case.name}/{i}"]
        np.testing.assert_allclose(
            gr, expected, rtol=case.tol, atol=case.tol, err_msg=f"input {i} vs JAX"
        )

    if case.fd_tol is None:  # not differentiable at the test point (ties)
        return
    # A directional central difference of the float32 forward, with one
    # Richardson step (error O(h**4)) so h can stay well above float32 rounding.
    rng = np.random.default_rng(7)
    ct64 = ct.astype(np.float64)

    def loss(args):
        return float(np.sum(fn([*args, ct])[0].astype(np.float64) * ct64))

    def central(i, v, h):
        plus = [x + np.float32(h) * v if j == i else x for j, x in enumerate(xs)]
        minus = [x - np.float32(h) * v if j == i else x for j, x in enumerate(xs)]
        return (loss(plus) - loss(minus)) / (2 * h)

    for i in range(len(xs)):
        v = rng.normal(size=xs[i].shape).astype(np.float32)
        h = case.fd_step * max(1.0, float(np.abs(xs[i]).max()))
        fd = (4 * central(i, v, h / 2) - central(i, v, h)) / 3
        exact = float(np.sum(grads[i].astype(np.float64) * v))
        scale = max(1.0, float(np.abs(grads[i]).sum() * np.abs(v).max()) ** 0.5)
        assert abs(fd - exact) <= case.fd_tol * scale, (i, fd, exact)


def test_max_pool_ties_share_the_cotangent_evenly():
    # JAX gives a tied window's cotangent to its first maximum; keras-ov shares it
    # evenly among the ties, as its ReduceMax rule does (both are subgradients).
    x = np.array([[1, 1, 0, 2], [1, 1, 2, 0], [3, 0, 5, 5], [0, 3, 5, 5]], np.float32)
    case = cases.Case("pool_ties", lambda a: ops.max_pool(a, 2, strides=2), ((1, 4, 4, 1),))
    fn = build(case)
    ct = np.array([[4, 8], [2, 12]], np.float32).reshape(1, 2, 2, 1)
    _, grad = fn([x.reshape(1, 4, 4, 1), ct])
    want = np.array([[1, 1, 0, 4], [1, 1, 4, 0], [1, 0, 3, 3], [0, 1, 3, 3]], np.float32)
    np.testing.assert_allclose(grad.reshape(4, 4), want)
    assert reference_layers(fn) == []


def test_int64_indices_and_iteration_counters_stay_off_the_exact_path():
    # Translators gather with int64 constant indices and Loops count in int64: the
    # gradient must not add a Convert to int64 (which would make the graph "wide").
    from openvino import opset15 as o

    x = compiled.symbolic((5, 3), "float32")
    y = o.gather(x.output, o.constant(np.array([4, -1, 0], np.int64)), o.constant(0))
    ct = o.parameter([3, 3], ov.Type.f32)
    (dx,) = autodiff.grad([y.output(0)], [x.output], [ct.output(0)])
    model = ov.Model([o.result(dx)], [compiled.parameter_of(x), ct])
    assert not execute.needs_reference(model)
    fn = compiled.CompiledFunction(model)
    c = np.arange(9, dtype=np.float32).reshape(3, 3)
    (got,) = fn([np.zeros((5, 3), np.float32), c])
    want = np.zeros((5, 3), np.float32)
    np.add.at(want, [4, 4, 0], c)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "idx", [np.array([4, -1, 0, 4], np.int64), np.array([[4, 1], [-2, 4]], np.int64)]
)
def test_int64_index_inputs_are_fed_as_int32(idx):
    # int64 ids fed to a train step (NumPy's default integers): the gradient
    # wraps negative ids in int32, so the ids reach only Gather and Converts
    # to int32, `narrow_inputs` feeds them narrower and the graph stays on the
    # CPU plugin.
    x = compiled.symbolic((5, 3), "float32")
    i = compiled.symbolic(idx.shape, "int64")
    y = ops.take(x, i, axis=0)
    ct = execute.make_parameter(list(y.shape), "float32")
    (dx,) = autodiff.grad([y.output], [x.output], [ct.output(0)])
    model = ov.Model(
        [ov.opset15.result(dx)], [compiled.parameter_of(x), compiled.parameter_of(i), ct]
    )
    f = compiled.CompiledFunction(model)
    assert f.in_dtypes[1] == "int32"
    assert not isinstance(f.executable or f.dynamic, reference.ReferenceExecutable)
    xs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    c = np.arange(np.prod(y.shape), dtype=np.float32).reshape(y.shape)
    (got,) = f([xs, idx, c])
    want = np.zeros((5, 3), np.float32)
    np.add.at(want, idx.reshape(-1) % 5, c.reshape(-1, 3))
    np.testing.assert_array_equal(got, want)
