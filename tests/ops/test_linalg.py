"""Products and linalg ops against NumPy: op x dtype x shape tables, the LAPACK
conventions Keras tests rely on (QR reflector signs, LU pivots, eigh/SVD order),
wide-dtype graphs (reference kernels), symbolic shapes, and argument errors."""

import numpy as np
import pytest
import scipy.linalg

from keras_ov.engine import dtypes
from tests.helpers import op, symbolic

FLOATS = ["float16", "bfloat16", "float32"]
INTS = ["int8", "int16", "int32", "uint8", "uint16", "uint32", "int64"]


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in INTS:
        return rng.integers(0, 4, shape).astype(dtypes.to_numpy(dtype))
    return (rng.random(shape) * 2 - 1).astype(dtypes.to_numpy(dtype))


def check(got, expected, atol=1e-4):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    if (
        np.issubdtype(np.asarray(expected).dtype, np.floating)
        or got.dtype.kind == "f"
        or got.dtype == dtypes.to_numpy("bfloat16")
    ):
        np.testing.assert_allclose(
            got.astype(np.float64), np.asarray(expected, np.float64), atol=atol, rtol=atol
        )
    else:
        np.testing.assert_array_equal(got, expected)


# -- products ---------------------------------------------------------------------------
PRODUCTS = [
    ("matmul", np.matmul, [(3, 4), (4, 2)]),
    ("matmul", np.matmul, [(2, 3, 4), (4,)]),
    ("matmul", np.matmul, [(4,), (2, 4, 3)]),
    ("matmul", np.matmul, [(2, 1, 3, 4), (5, 4, 2)]),
    ("dot", np.dot, [(3,), (3,)]),
    ("dot", np.dot, [(2, 3), (3, 4)]),
    ("dot", np.dot, [(2, 3, 4), (5, 4, 2)]),
    ("dot", np.dot, [(2, 3), ()]),
    ("inner", np.inner, [(2, 3), (4, 3)]),
    ("inner", np.inner, [(3,), (3,)]),
    ("vdot", np.vdot, [(2, 3), (3, 2)]),
    ("outer", np.outer, [(3,), (2, 2)]),
    ("kron", np.kron, [(2, 3), (3, 2)]),
    ("kron", np.kron, [(2,), (2, 3)]),
    ("cross", np.cross, [(4, 3), (4, 3)]),
    ("cross", np.cross, [(4, 2), (1, 3)]),
    ("cross", np.cross, [(4, 2), (4, 2)]),
]


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
@pytest.mark.parametrize(
    "name,ref,shapes", PRODUCTS, ids=lambda v: str(v) if isinstance(v, list) else None
)
def test_products_match_numpy(name, ref, shapes, dtype):
    args = [data(s, dtype, seed=i) for i, s in enumerate(shapes)]
    wide = np.float64 if dtype in FLOATS else np.int64
    expected = ref(*[a.astype(wide) for a in args]).astype(dtypes.to_numpy(dtype))  # wraps
    got = op(name)(*args)
    assert got.dtype == dtype
    check(got, expected, atol=2e-2 if dtype == "float16" else 1e-4)


@pytest.mark.parametrize(
    "dtypes_,result",
    [
        (("int8", "int8"), "int32"),
        (("bool", "bool"), "bool"),
        (("int8", "float32"), "float32"),
        (("uint32", "uint32"), "uint32"),
        (("uint8", "int8"), "int16"),
    ],
)
def test_matmul_dtypes(dtypes_, result):
    a, b = data((3, 4), dtypes_[0]), data((4, 2), dtypes_[1], seed=1)
    got = op("matmul")(a, b)
    assert got.dtype == result
    expected = a.astype(np.float64) @ b.astype(np.float64)
    check(got, (expected != 0) if result == "bool" else expected.astype(dtypes.to_numpy(result)))


def test_tensordot_axes():
    a, b = data((2, 3, 4), "float32"), data((4, 3, 5), "float32", seed=1)
    check(op("tensordot")(a, b, axes=([1, 2], [1, 0])), np.tensordot(a, b, axes=([1, 2], [1, 0])))
    check(op("tensordot")(a, b[:, :, 0].T.copy(), axes=2), np.tensordot(a, b[:, :, 0].T, axes=2))
    check(op("tensordot")(a, b, axes=0), np.tensordot(a, b, axes=0))


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16"])
@pytest.mark.parametrize(
    "name,shapes,kwargs",
    [
        ("dot", [(2, 0), (0, 3)], {}),
        ("dot", [(64, 0), (0, 64)], {}),
        ("dot", [(0, 2), (2, 3)], {}),
        ("dot", [(2, 3), (3, 0)], {}),
        ("dot", [(0,), (0,)], {}),
        ("tensordot", [(3, 0, 2), (0, 2, 5)], {"axes": 2}),
        ("tensordot", [(2, 0), (0, 3)], {"axes": 1}),
    ],
)
def test_zero_size_contractions_give_zeros(name, shapes, kwargs, dtype):
    # A 0-size contracted dim sums nothing: zeros of the free dims, as NumPy.
    a, b = (np.ones(s, dtype) for s in shapes)
    expected = getattr(np, name)(a, b, **kwargs)
    for _ in range(3):  # (the zeros are computed, not whatever memory held)
        check(op(name)(a, b, **kwargs), expected)


@pytest.mark.parametrize("dtype", ["float32", "uint32", "int8"])
@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ijk,lkj->il", [(2, 3, 4), (2, 4, 3)]),
        ("i...,j...k->...ijk", [(2, 3, 4), (2, 4, 3)]),
        ("ii->i", [(3, 3)]),
        ("ij", [(2, 3)]),
        ("ij,j", [(2, 3), (3,)]),
        ("bij,bjk->bk", [(2, 2, 3), (2, 3, 4)]),
    ],
)
def test_einsum(equation, shapes, dtype):
    args = [data(s, dtype, seed=i) for i, s in enumerate(shapes)]
    got = op("einsum")(equation, *args)
    assert got.dtype == ("int32" if dtype == "int8" else dtype)
    check(got, np.einsum(equation, *[a.astype(np.float64) for a in args]))


@pytest.mark.parametrize(
    "dtype,result",
    [("float32", "float32"), ("int8", "int32"), ("uint8", "uint32"), ("bool", "int32")],
)
@pytest.mark.parametrize("offset,axis1,axis2", [(0, 0, 1), (1, 0, 1), (-1, 1, 2), (0, 2, 0)])
def test_trace(dtype, result, offset, axis1, axis2):
    x = data((3, 4, 5), dtype)
    got = op("trace")(x, offset=offset, axis1=axis1, axis2=axis2)
    assert got.dtype == result
    check(
        got,
        np.trace(
            x.astype(np.int64 if dtype != "float32" else np.float64),
            offset=offset,
            axis1=axis1,
            axis2=axis2,
        ),
    )


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("n,m", [(6, 3), (3, 6), (4, 4), (5, 2)])
def test_correlate(n, m, mode):
    a, v = data((n,), "float32"), data((m,), "float32", seed=1)
    check(op("correlate")(a, v, mode=mode), np.correlate(a, v, mode=mode))


# -- factorizations ------------------------------------------------------------------------
def spd(n, batch=(), seed=0):
    a = data(batch + (n, n), "float32", seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n, dtype=np.float32)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_det_slogdet_inv_solve(shape):
    a = data(shape, "float32") + 2 * np.eye(shape[-1], dtype=np.float32)
    b = data(shape[:-1] + (2,), "float32", seed=1)
    check(op("det", "linalg")(a), np.linalg.det(a))
    sign, logdet = op("slogdet")(a)
    ref_sign, ref_logdet = np.linalg.slogdet(a)
    check(sign, ref_sign)
    check(logdet, ref_logdet)
    check(op("inv", "linalg")(a), np.linalg.inv(a), atol=1e-3)
    check(op("solve", "linalg")(a, b), np.linalg.solve(a, b), atol=1e-3)
    check(op("solve", "linalg")(a, b[..., 0]), np.linalg.solve(a, b[..., :1])[..., 0], atol=1e-3)


def test_det_needs_pivoting_and_detects_singular():
    a = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    check(op("det", "linalg")(a), -1.0)
    check(op("det", "linalg")(np.ones((3, 3), np.float32)), 0.0)
    lu, piv = op("lu_factor", "linalg")(a)
    assert piv.dtype == "int32"
    check(piv, [1, 1])


@pytest.mark.parametrize("shape", [(4, 4), (4, 3), (3, 4), (2, 3, 5)])
def test_lu_factor_matches_scipy(shape):
    x = data(shape, "float32")
    lu, piv = op("lu_factor", "linalg")(x)
    if len(shape) == 2 and shape[0] == shape[1]:
        ref_lu, ref_piv = scipy.linalg.lu_factor(x)
        check(lu, ref_lu)
        check(piv, ref_piv)
    lu, piv = np.asarray(lu), np.asarray(piv)
    m, n = shape[-2:]
    k = min(m, n)
    for i in np.ndindex(shape[:-2]):
        lower = np.tril(lu[i][:, :k], -1) + np.eye(m, k)
        upper = np.triu(lu[i][:k])
        rows = np.arange(m)
        for step, p in enumerate(piv[i]):
            rows[[step, p]] = rows[[p, step]]
        check((lower @ upper)[np.argsort(rows)], x[i])


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_and_inverse(upper):
    a = spd(4, (2,))
    chol = op("cholesky", "linalg")(a, upper=upper)
    ref = np.linalg.cholesky(a)
    check(chol, np.swapaxes(ref, -1, -2) if upper else ref)
    check(op("cholesky_inverse", "linalg")(chol, upper=upper), np.linalg.inv(a), atol=1e-3)


@pytest.mark.parametrize("lower", [False, True])
def test_solve_triangular_ignores_other_triangle(lower):
    a = data((2, 4, 4), "float32") + 4 * np.eye(4, dtype=np.float32)
    b = data((2, 4, 3), "float32", seed=1)
    tri = np.tril(a) if lower else np.triu(a)
    check(op("solve_triangular", "linalg")(a, b, lower=lower), np.linalg.solve(tri, b), atol=1e-3)


@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", [(4, 5), (5, 3), (2, 3, 3)])
def test_qr_matches_lapack_signs(shape, mode):
    x = data(shape, "float32")
    q, r = op("qr", "linalg")(x, mode=mode)
    ref_q, ref_r = np.linalg.qr(x, mode=mode)
    check(q, ref_q)
    check(r, ref_r)


def test_eigh_sorted_and_reconstructs():
    a = spd(5, (2,))
    w, v = op("eigh", "linalg")(a)
    w, v = np.asarray(w), np.asarray(v)
    check(w, np.linalg.eigh(a)[0], atol=1e-3)
    check((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a, atol=1e-3)


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, 5, 5), (3, 3)])
def test_svd(shape, full):
    x = data(shape, "float32")
    u, s, vh = (np.asarray(t) for t in op("svd", "linalg")(x, full_matrices=full))
    ref_u, ref_s, ref_vh = np.linalg.svd(x, full_matrices=full)
    assert u.shape == ref_u.shape and vh.shape == ref_vh.shape
    check(s, ref_s)
    k = s.shape[-1]
    check((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], x)
    eye = np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2)
    check(np.swapaxes(u, -1, -2) @ u, eye if full or shape[-2] <= shape[-1] else np.eye(k))
    check(op("svd", "linalg")(x, compute_uv=False), ref_s)


def test_svd_rank_deficient_and_rank():
    rng = np.random.default_rng(1)
    x = np.outer(rng.standard_normal(5), rng.standard_normal(4)).astype(np.float32)
    u, s, vh = (np.asarray(t) for t in op("svd", "linalg")(x))
    check(u.T @ u, np.eye(5))
    check((u[:, :4] * s) @ vh, x)
    assert int(np.asarray(op("matrix_rank", "linalg")(x))) == 1
    assert int(np.asarray(op("matrix_rank", "linalg")(x, tol=10.0))) == 0


@pytest.mark.parametrize("shape,rcond", [((6, 4), None), ((4, 6), None), ((2, 5, 3), 1e-3)])
def test_pinv_lstsq(shape, rcond):
    a = data(shape, "float32")
    check(op("pinv", "linalg")(a, rcond=rcond), np.linalg.pinv(a, rcond=rcond or 1e-6), atol=1e-3)
    if len(shape) == 2:
        b = data(shape[:1] + (2,), "float32", seed=1)
        ref = np.linalg.lstsq(a, b, rcond=rcond)[0]
        check(op("lstsq", "linalg")(a, b, rcond=rcond), ref, atol=1e-3)
        check(op("lstsq", "linalg")(a, b[:, 0], rcond=rcond), ref[:, 0], atol=1e-3)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2])
def test_matrix_norm(ord):
    x = data((3, 4, 5), "float32")
    for axis, keepdims in [((1, 2), False), ((2, 0), True)]:
        check(
            op("norm", "linalg")(x, ord=ord, axis=axis, keepdims=keepdims),
            np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims),
        )


@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, -1, np.inf, -np.inf])
def test_vector_norm(ord):
    x = data((3, 4), "float32")
    check(op("norm", "linalg")(x, ord=ord, axis=-1), np.linalg.norm(x, ord=ord, axis=-1))
    check(op("norm", "linalg")(x[0], ord=ord), np.linalg.norm(x[0], ord=ord))
    got = op("norm", "linalg")(data((3,), "int32"))
    assert got.dtype == "float32"


# -- symbolic shapes and errors -----------------------------------------------------------------
@pytest.mark.parametrize(
    "name,ns,args,kwargs,shapes",
    [
        ("matmul", "numpy", [(None, 3, 4), (4, 5)], {}, [(None, 3, 5)]),
        ("tensordot", "numpy", [(None, 3, 4), (4, 2)], {"axes": 1}, [(None, 3, 2)]),
        ("einsum", "numpy", ["bij,jk->bik", (None, 3, 4), (4, 2)], {}, [(None, 3, 2)]),
        ("det", "linalg", [(None, 3, 3)], {}, [(None,)]),
        ("solve", "linalg", [(None, 3, 3), (None, 3, 2)], {}, [(None, 3, 2)]),
        ("cholesky", "linalg", [(None, 4, 4)], {}, [(None, 4, 4)]),
        ("qr", "linalg", [(None, 5, 3)], {}, [(None, 5, 3), (None, 3, 3)]),
        ("eigh", "linalg", [(None, 3, 3)], {}, [(None, 3), (None, 3, 3)]),
        ("svd", "linalg", [(None, 4, 3)], {}, [(None, 4, 4), (None, 3), (None, 3, 3)]),
        ("pinv", "linalg", [(None, 4, 3)], {}, [(None, 3, 4)]),
        ("norm", "linalg", [(None, 4, 3)], {"axis": (1, 2), "ord": 2}, [(None,)]),
    ],
)
def test_symbolic_shapes(name, ns, args, kwargs, shapes):
    args = [symbolic(a) if isinstance(a, tuple) else a for a in args]
    outs = op(name, ns)(*args, **kwargs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    assert [o.shape for o in outs] == shapes
    assert all(o.is_symbolic and o.dtype == "float32" for o in outs)


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="`det`.*square"):
        op("det", "linalg")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="`cholesky`.*static"):
        op("cholesky", "linalg")(symbolic((None, None)))
    with pytest.raises(ValueError, match="Expected one of"):
        op("qr", "linalg")(np.ones((2, 2), np.float32), mode="raw")
    with pytest.raises(ValueError, match="`norm`.*ord"):
        op("norm", "linalg")(np.ones((2, 2), np.float32), ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match="`tensordot`"):
        op("tensordot")(np.ones((2, 3)), np.ones((2, 3)), axes=([1], [1, 0]))
    with pytest.raises(ValueError, match="`cross`"):
        op("cross")(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="`correlate`.*mode"):
        op("correlate")(np.ones(4), np.ones(3), mode="bad")
    with pytest.raises(NotImplementedError, match="`eig`"):
        op("eig", "linalg")(np.eye(2, dtype=np.float32))
    with pytest.raises(NotImplementedError, match="`jvp`"):
        op("jvp", "linalg")(lambda x: x, (1.0,), (1.0,))


@pytest.mark.parametrize("shape", [(2, 0), (0, 3), (0, 0), (3, 2, 0)])
def test_svd_pinv_and_rank_of_empty_matrices(shape):
    # Building the graph raised a raw OpenVINO MatMul shape error.
    from keras_ov.ops.registry import REGISTRY

    x = np.zeros(shape, np.float32)
    assert np.asarray(REGISTRY["linalg.pinv"](x)).shape == np.linalg.pinv(x).shape
    np.testing.assert_array_equal(
        np.asarray(REGISTRY["linalg.matrix_rank"](x)), np.linalg.matrix_rank(x)
    )
    for got, want in zip(REGISTRY["linalg.svd"](x), np.linalg.svd(x)):
        assert np.asarray(got).shape == want.shape
    if shape[-1] == shape[-2]:
        w, v = REGISTRY["linalg.eigh"](x)
        assert np.asarray(w).shape == shape[:-1] and np.asarray(v).shape == shape
