"""image ops against NumPy/scipy-style references."""

import numpy as np
import pytest

from keras.src.backend import image as I

RNG = np.random.default_rng(0)


def test_colour_spaces_roundtrip():
    x = RNG.random((2, 4, 5, 3)).astype("float32")
    gray = np.asarray(I.rgb_to_grayscale(x))
    np.testing.assert_allclose(gray[..., 0], x @ np.array([0.2989, 0.5870, 0.1140]), rtol=1e-5)
    np.testing.assert_allclose(I.hsv_to_rgb(I.rgb_to_hsv(x)), x, atol=1e-5)
    hsv = np.asarray(I.rgb_to_hsv(x, data_format="channels_last"))
    np.testing.assert_allclose(hsv[..., 2], x.max(-1), rtol=1e-6)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos3"])
def test_resize(interpolation):
    x = RNG.random((1, 6, 8, 2)).astype("float32")
    out = np.asarray(I.resize(x, (12, 16), interpolation))
    assert out.shape == (1, 12, 16, 2)
    if interpolation == "nearest":
        np.testing.assert_array_equal(out, x.repeat(2, 1).repeat(2, 2))
    # a constant image stays constant under every normalised kernel
    c = np.asarray(I.resize(np.full((6, 8, 1), 3.0, "float32"), (5, 7), interpolation))
    np.testing.assert_allclose(c, 3.0, rtol=1e-5)
    assert I.resize(np.zeros((4, 4, 1), "uint8"), (2, 2), interpolation).dtype == (
        "uint8" if interpolation == "nearest" else "float32"
    )


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates_modes(mode):
    data = np.arange(5, dtype="float32")
    coords = np.array([[-2.0, -1.0, 0.5, 4.0, 5.0, 6.5]], "float32")
    idx = np.floor(coords[0]).astype(int)
    n = 5
    fix = {
        "constant": lambda i: np.clip(i, 0, n - 1),
        "nearest": lambda i: np.clip(i, 0, n - 1),
        "wrap": lambda i: i % n,
        "mirror": lambda i: np.abs((i + n - 1) % (2 * n - 2) - (n - 1)),
        "reflect": lambda i: (np.abs((2 * i + 1 + 2 * n) % (4 * n) - 2 * n) - 1) // 2,
    }[mode]
    frac = coords[0] - idx
    lo, hi = data[fix(idx)], data[fix(idx + 1)]
    if mode == "constant":
        lo = np.where((idx >= 0) & (idx < n), lo, -1.0)
        hi = np.where((idx + 1 >= 0) & (idx + 1 < n), hi, -1.0)
    expected = lo * (1 - frac) + hi * frac
    np.testing.assert_allclose(I.map_coordinates(data, coords, 1, mode, -1.0), expected, rtol=1e-6)


def test_affine_identity_and_shift():
    x = RNG.random((2, 5, 6, 3)).astype("float32")
    ident = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    np.testing.assert_allclose(I.affine_transform(x, ident), x, rtol=1e-6)
    shift = np.array([1, 0, 1, 0, 1, 0, 0, 0], "float32")  # x_in = x_out + 1
    out = np.asarray(I.affine_transform(x, shift, "nearest"))
    np.testing.assert_allclose(out[:, :, :-1], x[:, :, 1:])
    np.testing.assert_allclose(out[:, :, -1], 0.0)
    pts = np.array([[0, 0], [5, 0], [0, 4], [5, 4]], "float32")
    np.testing.assert_allclose(I.perspective_transform(x, pts, pts), x, atol=1e-4)


def test_blur_and_scale_and_translate():
    x = np.zeros((1, 5, 5, 1), "float32")
    x[0, 2, 2, 0] = 1.0
    k = np.exp(-0.5 * np.arange(-1, 2) ** 2)
    k = np.outer(k, k) / np.outer(k, k).sum()
    np.testing.assert_allclose(
        np.asarray(I.gaussian_blur(x, (3, 3), (1.0, 1.0)))[0, 1:4, 1:4, 0], k, rtol=1e-5
    )
    y = RNG.random((1, 4, 4, 1)).astype("float32")
    same = I.scale_and_translate(
        y, (1, 4, 4, 1), np.ones(2, "float32"), np.zeros(2, "float32"), (1, 2), "linear"
    )
    np.testing.assert_allclose(same, y, rtol=1e-5)
    e = I.elastic_transform(RNG.random((1, 8, 8, 1)).astype("float32"), seed=1)
    assert e.shape == (1, 8, 8, 1)


def _sobel_reference(x):
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32)
    kx = ky.T
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    h, w = x.shape[1:3]
    out = np.zeros(x.shape + (2,), np.float32)
    for i in range(3):
        for j in range(3):
            win = p[:, i : i + h, j : j + w, :]
            out[..., 0] += ky[i, j] * win
            out[..., 1] += kx[i, j] * win
    return out


def test_sobel_edges_matches_reference():
    from keras import ops

    x = np.random.RandomState(0).rand(2, 5, 6, 3).astype("float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.image.sobel_edges(x)), _sobel_reference(x), atol=1e-5
    )
    first = ops.image.sobel_edges(x.transpose(0, 3, 1, 2), data_format="channels_first")
    np.testing.assert_allclose(
        ops.convert_to_numpy(first), _sobel_reference(x).transpose(0, 3, 1, 2, 4), atol=1e-5
    )
