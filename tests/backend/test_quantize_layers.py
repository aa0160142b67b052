"""Keras's own ``model.quantize(mode)`` on keras-ov: every mode's predict runs
on the CPU plugin's kernels (never the reference ones), int8 products on its
int8 kernels, and agrees with the JAX backend's quantized model on the same
weights (JAX runs in a subprocess)."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import keras

from keras_ov.engine import execute
from tests.backend import quant_models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODES = ["int8", "int4", "float8"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    keras.utils.set_random_seed(0)
    paths = {}
    for name, build in quant_models.MODELS.items():
        path = str(tmp_path_factory.mktemp("w") / f"{name}.weights.h5")
        build(keras).save_weights(path)
        paths[name] = path
    return paths


BACKENDS = {
    "jax": {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
    "torch": {"KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""},
}


def _reference(tmp_path, weights, name, mode, backend="jax"):
    out = str(tmp_path / f"{backend}.npy")
    env = dict(os.environ, PYTHONPATH=ROOT, **BACKENDS[backend])
    proc = subprocess.run(
        [sys.executable, "-m", "tests.backend.quant_models", out, weights, name, mode],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(out)


def _quantized_predict(weights, name, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Layer X does not have a `quantize` method"
        before = execute.counters["reference_built"]
        y = quant_models.run(keras, name, mode, weights)
    return y, execute.counters["reference_built"] - before


@pytest.mark.parametrize("name", sorted(quant_models.MODELS))
@pytest.mark.parametrize("mode", MODES)
def test_quantized_predict_matches_jax_without_reference_kernels(tmp_path, weights, name, mode):
    y, reference = _quantized_predict(weights[name], name, mode)
    assert reference == 0, f"{name} quantize({mode!r}) predict ran on reference kernels"
    expected = _reference(tmp_path, weights[name], name, mode)
    # The int8 products are exact on both sides; what is left is float32
    # rounding in the float ops around them (and, rarely, an activation
    # rounding to the other int8 neighbour after such a difference).
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", quant_models.CALIBRATED)
def test_calibrated_quantize_predict_matches_torch_without_reference_kernels(
    tmp_path, weights, mode
):
    """GPTQ and AWQ, block by block on token ids, then predict on the CPU kernels.

    The reference is the torch backend, not JAX: Keras leaves an asymmetric
    group's uint8 zero point unclipped (``round(-min / scale)`` is negative
    for a group of positive weights), and casting it to uint8 wraps on NumPy,
    torch, TensorFlow and keras-ov (-3 -> 253) but saturates on JAX (-> 0)."""
    y, reference = _quantized_predict(weights["blocks"], "blocks", mode)
    assert reference == 0, f"quantize({mode!r}) predict ran on reference kernels"
    # (CI's environment has no torch: there the comparison is skipped, the
    # reference-kernel check above still ran)
    pytest.importorskip("torch", reason="the torch backend is the reference here")
    expected = _reference(tmp_path, weights["blocks"], "blocks", mode, backend="torch")
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def _runtime_kernels(model):
    """(layer type, runtime precision) of the matrix kernels of ``model``'s predict."""
    kinds = set()
    for traced in model.predict_function.graph_step._cache._data.values():
        executable = traced.function.executable or traced.function.dynamic
        for node in executable.compiled.get_runtime_model().get_ordered_ops():
            info = node.get_rt_info()
            kind = info["layerType"].astype(str)
            if kind in ("FullyConnected", "MatMul", "Einsum", "Convolution"):
                kinds.add((kind, info["runtimePrecision"].astype(str)))
    return kinds


def test_int8_dense_runs_on_int8_kernels(weights):
    model = quant_models.mlp(keras)
    model.load_weights(weights["mlp"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("int8")
    model.predict(quant_models.inputs("mlp"), verbose=0)
    assert _runtime_kernels(model) == {("FullyConnected", "i8")}


# int8 x int8 products as ops: exact int32, chunked past 1024 terms.
@pytest.mark.parametrize(
    "shapes",
    [
        ((3, 5), (5, 4)),
        ((2, 3, 2000), (2000, 6)),
        ((7,), (7, 2)),
        ((2, 4, 3), (2, 3, 5)),
        ((1, 3000), (3000,)),
    ],
)
def test_int8_matmul_is_exact(shapes):
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, shapes[0]).astype("int8")
    b = rng.integers(-128, 128, shapes[1]).astype("int8")
    if a.shape[-1] > 1000:  # extremes: sums beyond 2**24
        a[..., :] = -128
        b[...] = -128
    before = execute.counters["reference_built"]
    y = keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    assert execute.counters["reference_built"] == before
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, np.matmul(a.astype(np.int64), b.astype(np.int64)))


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("abc,cd->abd", ((2, 3, 40), (40, 6))),
        ("abc,cde->abde", ((2, 3, 1500), (1500, 2, 3))),
        ("abcd,cde->abe", ((2, 3, 4, 300), (4, 300, 5))),
    ],
)
def test_int8_einsum_is_exact(equation, shapes):
    rng = np.random.default_rng(2)
    a = rng.integers(-128, 128, shapes[0]).astype("int8")
    b = rng.integers(-128, 128, shapes[1]).astype("int8")
    before = execute.counters["reference_built"]
    y = keras.ops.convert_to_numpy(keras.ops.einsum(equation, a, b))
    assert execute.counters["reference_built"] == before
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, np.einsum(equation, a.astype(np.int64), b.astype(np.int64)))


def _has_cpu_flag(*names):
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return any(n in flags for n in names)


@pytest.mark.parametrize(
    "policy,dtype,precision",
    [
        ("float32", "float32", "f32"),
        pytest.param(
            "mixed_bfloat16",
            "bfloat16",
            "bf16",
            marks=pytest.mark.skipif(
                not _has_cpu_flag("avx512_bf16", "amx_bf16"), reason="the CPU has no bf16"
            ),
        ),
        # no f16 matrix kernels without AMX-FP16: the plugin computes f16 graphs in f32
        pytest.param(
            "mixed_float16",
            "float16",
            "f32",
            marks=pytest.mark.skipif(_has_cpu_flag("amx_fp16"), reason="the CPU has f16 kernels"),
        ),
    ],
)
def test_dtype_policy_precision_is_reported(policy, dtype, precision):
    import keras_ov

    old = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = keras.Sequential(
            [
                keras.Input((256,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(16),
            ]
        )
        y = model.predict(np.ones((64, 256), "float32"), verbose=0)
    finally:
        keras.mixed_precision.set_global_policy(old)
    assert str(y.dtype) == dtype
    [report] = keras_ov.runtime_precisions(model)
    assert report["kernels"] == {("FullyConnected", precision): 2}
