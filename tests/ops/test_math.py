"""``math`` ops against NumPy/SciPy: segment reductions (negative ids, empty
segments, inferred count), top-k ties, logsumexp with infinities, Fourier
transforms with cropping/padding, STFT/ISTFT round trip, erf family, symbolic
shapes, and argument errors."""

import numpy as np
import pytest
import scipy.signal
import scipy.special

from keras_ov.engine import dtypes
from keras_ov.ops.registry import REGISTRY
from tests.helpers import symbolic


def op(name):
    return REGISTRY[f"math.{name}"]


def check(got, expected, atol=1e-4):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(
        got.astype(np.float64), np.asarray(expected, np.float64), atol=atol, rtol=atol
    )


RNG = np.random.default_rng(0)


# -- segment reductions -----------------------------------------------------------------------
def segment_ref(kind, data, ids, n):
    fill = {"sum": 0, "prod": 1, "max": -np.finfo(np.float32).max, "min": np.finfo(np.float32).max}
    if data.dtype.kind == "i":
        fill.update(max=np.iinfo(data.dtype).min, min=np.iinfo(data.dtype).max)
    fn = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}[kind]
    out = np.full((n,) + data.shape[1:], fill[kind], data.dtype)
    for row, s in zip(data, ids):
        if 0 <= s < n:
            out[s] = fn(out[s], row)
    return out


@pytest.mark.parametrize("kind", ["sum", "max", "min", "prod"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
@pytest.mark.parametrize("num_segments", [None, 5])
def test_segment_reductions(kind, dtype, num_segments):
    ids = np.array([0, 2, -1, 0, 3, 2, 2], np.int32)
    data = (RNG.random((7, 2, 3)) * 4).astype(dtypes.to_numpy(dtype))
    got = op(f"segment_{kind}")(data, ids, num_segments=num_segments)
    assert got.dtype == dtype
    check(got, segment_ref(kind, data, ids, num_segments or 4))


def test_top_k_and_in_top_k():
    x = np.array([[0, 4, 2, 4, 3, -1], [1, 1, 1, 1, 1, 1]], np.float32)
    values, indices = op("top_k")(x, 3)
    assert indices.dtype == "int32"
    check(values, [[4, 4, 3], [1, 1, 1]])
    check(indices, [[1, 3, 4], [0, 1, 2]])
    preds = np.array([[0.1, np.nan, 0.5], [0.3, 0.2, 0.5], [0.5, 0.5, 0.1]], np.float32)
    got = op("in_top_k")(np.array([1, 0, 1]), preds, 1)
    assert got.dtype == "bool"
    np.testing.assert_array_equal(np.asarray(got), [False, False, True])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ((0, 2), False)])
def test_logsumexp(axis, keepdims):
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32) * 10
    check(
        op("logsumexp")(x, axis=axis, keepdims=keepdims),
        scipy.special.logsumexp(x, axis=axis, keepdims=keepdims),
    )
    inf = np.array([[-np.inf, -np.inf], [np.inf, 1.0]], np.float32)
    check(op("logsumexp")(inf, axis=1), [-np.inf, np.inf])


def test_cdist_and_extract_sequences():
    x, y = RNG.random((2, 4, 3)).astype(np.float32), RNG.random((2, 5, 3)).astype(np.float32)
    check(op("cdist")(x, y), np.sqrt(((x[:, :, None] - y[:, None]) ** 2).sum(-1)))
    s = RNG.random((2, 10)).astype(np.float32)
    frames = np.stack([s[:, i : i + 4] for i in range(0, 7, 3)], 1)
    check(op("extract_sequences")(s, 4, 3), frames)


# -- Fourier transforms --------------------------------------------------------------------------
def test_complex_transforms():
    re, im = RNG.random((2, 4, 6)).astype(np.float32), RNG.random((2, 4, 6)).astype(np.float32)
    z = re + 1j * im
    for name, ref in [("fft", np.fft.fft), ("fft2", np.fft.fft2), ("ifft2", np.fft.ifft2)]:
        real, imag = op(name)((re, im))
        check(np.asarray(real) + 1j * np.asarray(imag), ref(z))


@pytest.mark.parametrize("n", [None, 5, 16])
def test_rfft_irfft(n):
    x = RNG.random((3, 10)).astype(np.float32)
    real, imag = op("rfft")(x, n)
    check(np.asarray(real) + 1j * np.asarray(imag), np.fft.rfft(x, n=n))
    spec = np.fft.rfft(x)
    check(
        op("irfft")((spec.real.astype(np.float32), spec.imag.astype(np.float32)), n),
        np.fft.irfft(spec, n=n),
    )


@pytest.mark.parametrize(
    "length,stride,fft,window,center",
    [
        (16, 4, 16, "hann", True),
        (8, 4, 10, "hamming", False),
        (16, 8, 16, None, True),
    ],
)
def test_stft_matches_scipy_and_istft_inverts(length, stride, fft, window, center):
    x = RNG.random((2, 64)).astype(np.float32)
    real, imag = op("stft")(x, length, stride, fft, window=window, center=center)
    pad = fft // 2 if center else 0
    xp = np.pad(x, [(0, 0), (pad, pad)], mode="reflect")
    win = np.ones(length) if window is None else scipy.signal.get_window(window, length)
    win = np.pad(win, [((fft - length) // 2, fft - length - (fft - length) // 2)])
    frames = np.stack([xp[:, i : i + fft] for i in range(0, xp.shape[1] - fft + 1, stride)], 1)
    check(np.asarray(real) + 1j * np.asarray(imag), np.fft.rfft(frames * win, n=fft), atol=1e-3)
    if center and window is not None:  # (Keras's rectangular istft is not an inverse)
        y = op("istft")((real, imag), length, stride, fft, length=64, window=window, center=center)
        check(np.asarray(y)[:, 8:-8], x[:, 8:-8], atol=1e-3)


# -- element-wise --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int32"])
def test_erf_family_and_rsqrt(dtype):
    x = np.linspace(-0.99, 0.99, 21).astype(
        dtypes.to_numpy(dtype) if dtype != "int32" else np.float32
    )
    if dtype == "int32":
        x = np.array([1, 2, 4], np.int32)
    ref = x.astype(np.float64)
    atol = {"float16": 4e-3, "bfloat16": 3e-2}.get(dtype, 2e-5)
    result = "float32" if dtype == "int32" else dtype
    for name, fn in [
        ("erf", scipy.special.erf),
        ("erfc", scipy.special.erfc),
        ("rsqrt", lambda v: 1 / np.sqrt(np.abs(v))),
    ]:
        arg = np.abs(x) if name == "rsqrt" else x
        got = op(name)(arg)
        assert got.dtype == result
        check(got, fn(np.abs(ref) if name == "rsqrt" else ref), atol=atol)
    if dtype != "int32":
        got = op("erfinv")(x)
        assert got.dtype == result
        check(got, scipy.special.erfinv(ref), atol=max(atol, 1e-4) * 10)


def test_erfinv_edges():
    got = np.asarray(op("erfinv")(np.array([1, -1, 2, 0, 1e-5], np.float32)))
    np.testing.assert_array_equal(got[:2], [np.inf, -np.inf])
    assert np.isnan(got[2]) and got[3] == 0
    check(got[4:], scipy.special.erfinv([1e-5]))


def test_logdet():
    a = RNG.random((2, 4, 4)).astype(np.float32)
    a = a @ a.transpose(0, 2, 1) + np.eye(4, dtype=np.float32)
    check(op("logdet")(a), np.linalg.slogdet(a)[1])


# -- symbolic shapes and errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,args,kwargs,shapes",
    [
        ("segment_sum", [(None, 4), (None,)], {"num_segments": 3}, [(3, 4)]),
        ("segment_max", [(None, 4), (None,)], {}, [(None, 4)]),
        ("top_k", [(None, 6)], {"k": 2}, [(None, 2), (None, 2)]),
        ("logsumexp", [(None, 3, 4)], {"axis": 1}, [(None, 4)]),
        ("cdist", [(None, 3), (5, 3)], {}, [(None, 5)]),
        (
            "extract_sequences",
            [(None, 10)],
            {"sequence_length": 4, "sequence_stride": 3},
            [(None, 3, 4)],
        ),
        ("rfft", [(None, 10)], {"fft_length": 8}, [(None, 5), (None, 5)]),
        (
            "stft",
            [(None, 32)],
            {"sequence_length": 8, "sequence_stride": 4, "fft_length": 8},
            [(None, 9, 5), (None, 9, 5)],
        ),
    ],
)
def test_symbolic_shapes(name, args, kwargs, shapes):
    args = [
        symbolic(a, "int32" if name.startswith("segment") and i == 1 else "float32")
        for i, a in enumerate(args)
    ]
    outs = op(name)(*args, **kwargs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    assert [o.shape for o in outs] == shapes


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="`segment_sum`.*1-D"):
        op("segment_sum")(np.ones(4), np.zeros((2, 2), np.int32))
    with pytest.raises(ValueError, match="`segment_max`.*leading"):
        op("segment_max")(np.ones(3), np.zeros(4, np.int32))
    with pytest.raises(ValueError, match="`fft`.*tuple"):
        op("fft")(np.ones(4, np.float32))
    with pytest.raises(ValueError, match="`fft2`.*same shape"):
        op("fft2")((np.ones((2, 2), np.float32), np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match="`stft`"):
        op("stft")(np.ones(8, np.int32), 4, 2, 4)
    with pytest.raises(ValueError, match="If a string is passed to `window`"):
        op("stft")(np.ones(8, np.float32), 4, 2, 4, window="blackman")
    with pytest.raises(ValueError, match="`cdist`.*last dims"):
        op("cdist")(np.ones((2, 3)), np.ones((2, 4)))
