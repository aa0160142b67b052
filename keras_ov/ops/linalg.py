"""Products (``numpy.matmul`` ... ``numpy.correlate``) and ``linalg`` ops.

OpenVINO's primitives here are MatMul, Einsum, Convolution and Inverse.  The
factorizations it lacks are built from opset ops as fixed-size iterations in
an OpenVINO ``Loop`` (``graph.loop``), each step a handful of batched matrix
products on one-hot vectors, so the graph does not grow with the matrix size:

* ``_lu``           Gaussian elimination with partial pivoting (LAPACK getrf
                    pivots); det, slogdet, solve, inv for wide dtypes
* ``_tri_solve``    forward / back substitution
* ``_cholesky``     right-looking Cholesky
* ``_householder``  Householder QR with LAPACK's reflector signs (geqrf)
* ``_jacobi``       cyclic parallel-order Jacobi: two-sided for ``eigh``,
                    one-sided (Hestenes) for the SVD family

Matrix sizes (the last two dims) must be static; batch dims may be dynamic.
"""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import ravel, take_last

_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


# -- small graph helpers --------------------------------------------------------
def _mm(a, b, ta=False, tb=False):
    return g.out(ov_ops.matmul(a, b, ta, tb))


def _sum(x, axes, keepdims=False):
    return g.out(ov_ops.reduce_sum(x, g.i64(list(np.atleast_1d(axes))), keepdims))


def _onehot(index, n, like):
    """``arange(n) == index`` in ``like``'s dtype (``index`` a scalar tensor or int)."""
    if isinstance(index, int):
        return g.const(np.arange(n) == index, g.dtype(like))
    return g.cast(g.out(ov_ops.equal(g.i64(np.arange(n)), index)), g.dtype(like))


def _eye(n, m, dtype, k=0):
    return g.const(np.eye(n, m, k), dtype)


def _dims(x, start, stop=None):
    """``shape_of(x)[start:stop]`` as a 1-D int64 tensor."""
    stop = g.rank(x) if stop is None else stop
    return g.out(ov_ops.slice(g.shape_of(x), g.i64([start]), g.i64([stop]), g.i64([1])))


def _slice(x, axis, start, stop):
    return g.out(ov_ops.slice(x, g.i64([start]), g.i64([stop]), g.i64([1]), g.i64([axis])))


def _concat(parts, axis=0):
    return g.out(ov_ops.concat(parts, axis))


def _batched_eye(x, n):
    """An ``n x n`` identity broadcast to the batch dims of ``x`` (rank >= 2)."""
    shape = _concat([_dims(x, 0, g.rank(x) - 2), g.i64([n, n])])
    return g.out(ov_ops.broadcast(_eye(n, n, g.dtype(x)), shape))


def _vec_mm(v, a):
    """Batched ``v @ a`` for vectors ``v`` (..., m) and matrices ``a`` (..., m, n)."""
    out = _mm(g.unsqueeze_axes(v, [g.rank(v) - 1]), a)
    return g.squeeze_axes(out, [g.rank(out) - 2])


def _mat_vec(a, v):
    """Batched ``a @ v``: (..., m, n) x (..., n) -> (..., m)."""
    out = _mm(a, g.unsqueeze_axes(v, [g.rank(v)]))
    return g.squeeze_axes(out, [g.rank(out) - 1])


def _outer(u, v):
    """Batched outer product of (..., m) and (..., n) vectors."""
    return g.out(
        ov_ops.multiply(g.unsqueeze_axes(u, [g.rank(u)]), g.unsqueeze_axes(v, [g.rank(v) - 1]))
    )


def _diag(x):
    """The main diagonal of (..., n, n) as (..., n)."""
    n = g.static_shape(x)[-1]
    return _sum(g.out(ov_ops.multiply(x, _eye(n, n, g.dtype(x)))), -1)


def _sort_last(x, n, descending):
    """Values and int64 indices of ``x`` sorted along the last axis."""
    mode = "max" if descending else "min"
    node = ov_ops.topk(x, g.i64(n), g.rank(x) - 1, mode, "value", "i64", stable=True)
    return node.output(0), node.output(1)


def _take_columns(x, idx):
    """``x[..., :, idx]`` with per-batch ``idx`` of shape (..., k)."""
    # Broadcast ``idx`` over the rows: (..., m, k), then gather row by row.
    rows = g.dim(x, g.rank(x) - 2)
    shape = g.out(
        ov_ops.concat(
            [
                ov_ops.slice(g.shape_of(idx), g.i64([0]), g.i64([-1]), g.i64([1])),
                rows,
                g.dim(idx, g.rank(idx) - 1),
            ],
            0,
        )
    )
    return take_last(x, g.broadcast_to_shape(g.unsqueeze_axes(idx, [-2]), shape))


# -- dtype rules ------------------------------------------------------------------
def _product_dtype(*xs):
    """Keras result type of a product; int8 x int8 accumulates in int32."""
    ds = {dtypes.dtype_of(x) for x in xs}
    if ds == {"int8"}:
        return "int32"
    return dtypes.promote(*xs)


def _int32_if_bool_or_narrow(result):
    """Booleans and narrow ints are computed in int32 and converted back
    (Convert wraps, like NumPy's narrow integer arithmetic)."""
    return "int32" if result in ("bool", "int8", "int16", "uint8", "uint16") else result


def _finish(x, result):
    return g.cast(x, result)


# -- int8 x int8 products on the CPU plugin's int8 kernels ----------------------------
# The CPU plugin has no integer MatMul kernel of its own (int32 MatMul goes
# through float32 and is not exact).  Its int8 kernels (VNNI/AMX, int32
# accumulation) run a float32 MatMul or Einsum whose operands come through
# FakeQuantize: its low-precision transformations turn
#     Convert(int8 -> f32) -> FakeQuantize(-128, 127, -128, 127, 256 levels) -> MatMul
# into an int8 x int8 product.  That FakeQuantize is the identity on int8
# values, so the graph means exactly the int32 product Keras asks for (Keras's
# int8 Dense/EinsumDense multiply int8 activations by int8 kernels).  Should
# the plugin not take the int8 path, float32 computes the same integers:
# each product is split along the contraction into chunks of at most
# _INT8_CHUNK terms (1024 * 128 * 128 = 2**24, so a chunk's sum is exact in
# float32), and the chunks are added in int32.  An int8 Constant feeding such
# a Convert is kept unfolded by ``layout.fold_constants``.
_INT8_CHUNK = 1024


def _int8_operand(x):
    f = g.cast(x, "float32")
    lo, hi = g.const(-128.0, "float32"), g.const(127.0, "float32")
    return g.out(ov_ops.fake_quantize(f, lo, hi, lo, hi, 256))


def _int8_product(a, b, a_axis, b_axis, product, chunk=_INT8_CHUNK):
    """``product`` of int8 ``a`` and ``b`` (contracted along ``a_axis`` and
    ``b_axis``, of static size k, in slices of ``chunk``) as an exact int32 tensor."""
    k = g.static_shape(a)[a_axis]
    parts = []
    for start in range(0, k, chunk):
        stop = min(start + chunk, k)
        ca, cb = a, b
        if (start, stop) != (0, k):
            ca, cb = g.slice_axis(a, a_axis, start, stop), g.slice_axis(b, b_axis, start, stop)
        parts.append(g.cast(product(_int8_operand(ca), _int8_operand(cb)), "int32"))
    total = parts[0]
    for p in parts[1:]:
        total = g.out(ov_ops.add(total, p))
    return total


def _int8_chunkable(x, axis):
    return g.dtype(x) == "int8" and g.static_shape(x)[axis] is not None


# -- numpy: products ------------------------------------------------------------------
def _matmul(a, b, *, compute, result):
    a_axis, b_axis = g.rank(a) - 1, max(g.rank(b) - 2, 0)
    if compute == "int32" and _int8_chunkable(a, a_axis) and g.dtype(b) == "int8":
        return _finish(_int8_product(a, b, a_axis, b_axis, _mm), result)
    return _finish(_mm(g.cast(a, compute), g.cast(b, compute)), result)


@register("numpy")
def matmul(x1, x2):
    result = _product_dtype(x1, x2)
    a, b = to_tensor(x1, op="matmul"), to_tensor(x2, op="matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"`matmul`: inputs must not be scalars, got shapes {a.shape} and {b.shape}"
        )
    return apply(
        "numpy.matmul", _matmul, [a, b], compute=_int32_if_bool_or_narrow(result), result=result
    )


def _tensordot(a, b, *, axes_a, axes_b, compute, result):
    a, b = g.cast(a, compute), g.cast(b, compute)
    ra, rb = g.rank(a), g.rank(b)
    free_a = [i for i in range(ra) if i not in axes_a]
    free_b = [i for i in range(rb) if i not in axes_b]
    at = g.transpose(a, free_a + list(axes_a))
    bt = g.transpose(b, list(axes_b) + free_b)
    k = len(axes_a)
    # Every dim given (no -1, which a 0-size contraction leaves undefined).
    a2 = g.reshape_to(at, _concat([_prod_dims(at, 0, ra - k), _prod_dims(at, ra - k, ra)]))
    b2 = g.reshape_to(bt, _concat([_prod_dims(bt, 0, k), _prod_dims(bt, k, rb)]))
    prod = _mm(a2, b2)
    if ra == k and rb == k:
        # (The CPU plugin crashes compiling a Reshape of MatMul to a scalar.)
        return _finish(g.squeeze_axes(prod, [0, 1]), result)
    out_shape = _concat([_dims(at, 0, ra - k), _dims(bt, k, rb)])
    return _finish(g.reshape_to(prod, out_shape), result)


def _prod_dims(x, start, stop):
    if start == stop:
        return g.i64([1])
    return g.out(ov_ops.reduce_prod(_dims(x, start, stop), g.i64([0]), True))


def _tensordot_axes(axes, ra, rb):
    if isinstance(axes, (int, np.integer)):
        if axes < 0 or axes > min(ra, rb):
            raise ValueError(f"`tensordot`: axes={axes} is invalid for ranks {ra} and {rb}")
        return tuple(range(ra - axes, ra)), tuple(range(axes))
    if len(axes) != 2:
        raise ValueError(f"`tensordot`: axes must be an int or a pair of sequences, got {axes!r}")
    aa, bb = (tuple(np.atleast_1d(np.asarray(ax)).tolist()) for ax in axes)
    if len(aa) != len(bb):
        raise ValueError(f"`tensordot`: axes {axes!r} have different lengths")
    return (
        tuple(g.normalize_axis(i, ra, "tensordot") for i in aa),
        tuple(g.normalize_axis(i, rb, "tensordot") for i in bb),
    )


def _contract(name, x1, x2, axes_fn):
    result = _product_dtype(x1, x2)
    a, b = to_tensor(x1, op=name), to_tensor(x2, op=name)
    axes_a, axes_b = axes_fn(a.ndim, b.ndim)
    for i, j in zip(axes_a, axes_b):
        if None not in (a.shape[i], b.shape[j]) and a.shape[i] != b.shape[j]:
            raise ValueError(f"`{name}`: shapes {a.shape} and {b.shape} are not aligned")
    return apply(
        "numpy.tensordot",
        _tensordot,
        [a, b],
        axes_a=axes_a,
        axes_b=axes_b,
        compute=_int32_if_bool_or_narrow(result),
        result=result,
    )


@register("numpy")
def tensordot(x1, x2, axes=2):
    return _contract("tensordot", x1, x2, lambda ra, rb: _tensordot_axes(axes, ra, rb))


def _multiply(a, b, *, compute, result):
    return _finish(g.out(ov_ops.multiply(g.cast(a, compute), g.cast(b, compute))), result)


def _scalar_product(name, x1, x2):
    result = _product_dtype(x1, x2)
    a, b = to_tensor(x1, op=name), to_tensor(x2, op=name)
    return apply(
        "numpy.multiply_product",
        _multiply,
        [a, b],
        compute=_int32_if_bool_or_narrow(result),
        result=result,
    )


@register("numpy")
def dot(x1, x2):
    a, b = to_tensor(x1, op="dot"), to_tensor(x2, op="dot")
    if a.ndim == 0 or b.ndim == 0:
        return _scalar_product("dot", x1, x2)
    return _contract("dot", x1, x2, lambda ra, rb: ((ra - 1,), (max(rb - 2, 0),)))


@register("numpy")
def inner(x1, x2):
    a, b = to_tensor(x1, op="inner"), to_tensor(x2, op="inner")
    if a.ndim == 0 or b.ndim == 0:
        return _scalar_product("inner", x1, x2)
    return _contract("inner", x1, x2, lambda ra, rb: ((ra - 1,), (rb - 1,)))


@register("numpy")
def vdot(x1, x2):
    a = g_ravel(to_tensor(x1, op="vdot"))
    b = g_ravel(to_tensor(x2, op="vdot"))
    result = _product_dtype(x1, x2)
    return apply(
        "numpy.tensordot",
        _tensordot,
        [a, b],
        axes_a=(0,),
        axes_b=(0,),
        compute=_int32_if_bool_or_narrow(result),
        result=result,
    )


def g_ravel(x):
    return ravel(x)


def _outer_tr(a, b, *, compute, result):
    a, b = g.reshape(g.cast(a, compute), [-1]), g.reshape(g.cast(b, compute), [-1])
    return _finish(_outer(a, b), result)


@register("numpy")
def outer(x1, x2):
    result = _product_dtype(x1, x2)
    a, b = to_tensor(x1, op="outer"), to_tensor(x2, op="outer")
    return apply(
        "numpy.outer", _outer_tr, [a, b], compute=_int32_if_bool_or_narrow(result), result=result
    )


def _kron(a, b, *, compute, result):
    a, b = g.cast(a, compute), g.cast(b, compute)
    r = max(g.rank(a), g.rank(b))
    a = g.unsqueeze_axes(a, list(range(r - g.rank(a))))
    b = g.unsqueeze_axes(b, list(range(r - g.rank(b))))
    a = g.unsqueeze_axes(a, [2 * i + 1 for i in range(r)])  # (a0, 1, a1, 1, ...)
    b = g.unsqueeze_axes(b, [2 * i for i in range(r)])  # (1, b0, 1, b1, ...)
    prod = g.out(ov_ops.multiply(a, b))
    shape = g.out(ov_ops.multiply(g.shape_of(a), g.shape_of(b)))
    out_shape = g.out(ov_ops.reduce_prod(g.reshape_to(shape, g.i64([r, 2])), g.i64([1]), False))
    return _finish(g.reshape_to(prod, out_shape), result)


@register("numpy")
def kron(x1, x2):
    result = _product_dtype(x1, x2)
    a, b = to_tensor(x1, op="kron"), to_tensor(x2, op="kron")
    return apply(
        "numpy.kron", _kron, [a, b], compute=_int32_if_bool_or_narrow(result), result=result
    )


def _cross(a, b, *, na, nb, axisc, compute, result):
    a, b = g.cast(a, compute), g.cast(b, compute)

    def comp(x, i, n):
        if i >= n:
            return None
        return g.out(ov_ops.gather(x, g.i64(i), g.rank(x) - 1))

    def mul(x, y):
        return g.out(ov_ops.multiply(x, y))

    def sub(x, y):
        return g.out(ov_ops.subtract(x, y))

    a0, a1, a2 = (comp(a, i, na) for i in range(3))
    b0, b1, b2 = (comp(b, i, nb) for i in range(3))
    z = sub(mul(a0, b1), mul(a1, b0))
    if na == 2 and nb == 2:
        return _finish(z, result)
    # A missing third component is zero.
    x = (
        sub(mul(a1, b2), mul(a2, b1))
        if a2 is not None and b2 is not None
        else (mul(a1, b2) if a2 is None else g.out(ov_ops.negative(mul(a2, b1))))
    )
    y = (
        sub(mul(a2, b0), mul(a0, b2))
        if a2 is not None and b2 is not None
        else (g.out(ov_ops.negative(mul(a0, b2))) if a2 is None else mul(a2, b0))
    )
    r = g.rank(z)
    out = _concat([g.unsqueeze_axes(c, [r]) for c in (x, y, z)], r)
    perm = list(range(r))
    perm.insert(axisc, r)
    return _finish(g.transpose(out, perm), result)


@register("numpy")
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    result = dtypes.promote(x1, x2)
    a, b = to_tensor(x1, op="cross"), to_tensor(x2, op="cross")
    if axis is not None:
        axisa = axisb = axisc = axis
    axisa = g.normalize_axis(axisa, a.ndim, "cross")
    axisb = g.normalize_axis(axisb, b.ndim, "cross")
    na, nb = a.shape[axisa], b.shape[axisb]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            f"`cross`: incompatible vector dimensions {na} and {nb} (must be 2 or 3, "
            f"shapes {a.shape} and {b.shape})"
        )
    a = _moveaxis_last(a, axisa)
    b = _moveaxis_last(b, axisb)
    batch_rank = max(a.ndim, b.ndim) - 1
    out_rank = batch_rank if na == nb == 2 else batch_rank + 1
    axisc = 0 if out_rank == batch_rank else g.normalize_axis(axisc, out_rank, "cross")
    compute = _int32_if_bool_or_narrow(result)
    return apply(
        "numpy.cross", _cross, [a, b], na=na, nb=nb, axisc=axisc, compute=compute, result=result
    )


def _transpose_tr(x, *, perm):
    return g.transpose(x, perm)


def _moveaxis_last(x, axis):
    perm = [i for i in range(x.ndim) if i != axis] + [axis]
    if perm == list(range(x.ndim)):
        return x
    return apply("numpy.transpose", _transpose_tr, [x], perm=tuple(perm))


def _int8_einsum_axes(xs, equation):
    """Axes of the contracted label to chunk an int8 x int8 Einsum along, or None
    when it is not one (or no chunking keeps each chunk under _INT8_CHUNK terms)."""
    if len(xs) != 2 or any(g.dtype(x) != "int8" for x in xs) or "..." in equation:
        return None
    inputs, output = equation.split("->")
    ta, tb = inputs.split(",")
    if len(set(ta)) < len(ta) or len(set(tb)) < len(tb):
        return None
    sa = g.static_shape(xs[0])
    contracted = [c for c in ta if c in tb and c not in output]
    if not contracted or any(sa[ta.index(c)] is None for c in contracted):
        return None
    big = max(contracted, key=lambda c: sa[ta.index(c)])
    rest = int(np.prod([sa[ta.index(c)] for c in contracted if c != big]))
    if rest > _INT8_CHUNK:
        return None
    return ta.index(big), tb.index(big), rest


def _einsum(*xs, equation, compute, result):
    axes = _int8_einsum_axes(xs, equation) if compute == "int32" else None
    if axes is not None:
        a_axis, b_axis, rest = axes

        def product(a, b):
            return g.out(ov_ops.einsum([a, b], equation))

        return _finish(
            _int8_product(xs[0], xs[1], a_axis, b_axis, product, _INT8_CHUNK // rest), result
        )
    wide = any(g.dtype(x) in dtypes.WIDE for x in xs) or compute in dtypes.WIDE
    xs = [g.cast(x, compute) for x in xs]
    if wide:
        # Such graphs run on reference kernels, and Einsum has none: multiply
        # the aligned operands and reduce instead.
        return _finish(_einsum_by_reduction(xs, equation), result)
    return _finish(g.out(ov_ops.einsum(xs, equation)), result)


def _einsum_by_reduction(xs, equation):
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    ranks = [g.rank(x) for x in xs]
    ell = max([r - len(t) + 3 for t, r in zip(terms, ranks) if "..." in t] or [0])
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation][:ell]

    def expand(t, r):
        return t.replace("...", "".join(spare[ell - (r - len(t) + 3) :])) if "..." in t else t

    terms = [expand(t, r) for t, r in zip(terms, ranks)]
    output = output.replace("...", "".join(spare))
    labels = list(output) + sorted({c for t in terms for c in t} - set(output))
    aligned = []
    for x, t in zip(xs, terms):
        while len(set(t)) < len(t):  # a repeated label: take the diagonal
            c = next(c for c in t if t.count(c) > 1)
            i, j = t.index(c), t.index(c, t.index(c) + 1)
            shape = g.static_shape(x)
            mask = np.eye(shape[i], shape[j]).reshape(
                [shape[i] if k == i else shape[j] if k == j else 1 for k in range(len(t))]
            )
            x = _sum(g.out(ov_ops.multiply(x, g.const(mask, g.dtype(x)))), j)
            t = t[:j] + t[j + 1 :]
        order = sorted(range(len(t)), key=lambda k: labels.index(t[k]))
        x = g.transpose(x, order)
        present = {t[k] for k in order}
        aligned.append(g.unsqueeze_axes(x, [k for k, c in enumerate(labels) if c not in present]))
    prod = aligned[0]
    for x in aligned[1:]:
        prod = g.out(ov_ops.multiply(prod, x))
    summed = list(range(len(output), len(labels)))
    return _sum(prod, summed) if summed else prod


def _explicit_equation(subscripts, ranks):
    """Normalize an einsum equation: no spaces, explicit output, no empty terms."""
    eq = subscripts.replace(" ", "")
    inputs, arrow, output = eq.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(
            f"`einsum`: equation {subscripts!r} has {len(terms)} operands, got {len(ranks)}"
        )
    if not arrow:
        letters = [c for t in terms for c in t.replace("...", "")]
        output = ("..." if any("..." in t for t in terms) else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    return ",".join(terms) + "->" + output


@register("numpy")
def einsum(subscripts, *operands, **kwargs):
    if kwargs:
        raise NotImplementedError(f"`einsum`: keyword arguments {sorted(kwargs)} are not supported")
    result = _product_dtype(*operands)
    xs = [to_tensor(x, op="einsum") for x in operands]
    equation = _explicit_equation(subscripts, [x.ndim for x in xs])
    return apply(
        "numpy.einsum",
        _einsum,
        xs,
        equation=equation,
        compute=_int32_if_bool_or_narrow(result),
        result=result,
    )


def _trace(x, *, offset, compute, result):
    x = g.cast(x, compute)
    n, m = g.static_shape(x)[-2:]
    mask = _eye(n, m, compute, k=offset)
    return _finish(_sum(g.out(ov_ops.multiply(x, mask)), [-2 % g.rank(x), g.rank(x) - 1]), result)


@register("numpy")
def trace(x, offset=0, axis1=0, axis2=1):
    x = to_tensor(x, op="trace")
    if x.ndim < 2:
        raise ValueError(f"`trace`: input must have rank >= 2, got shape {x.shape}")
    a1 = g.normalize_axis(axis1, x.ndim, "trace")
    a2 = g.normalize_axis(axis2, x.ndim, "trace")
    if a1 == a2:
        raise ValueError(f"`trace`: axis1 and axis2 must differ, got {axis1} and {axis2}")
    perm = tuple([i for i in range(x.ndim) if i not in (a1, a2)] + [a1, a2])
    if None in (x.shape[a1], x.shape[a2]):
        raise ValueError(f"`trace`: the traced axes must have static sizes, got shape {x.shape}")
    result = {
        "bool": "int32",
        "int8": "int32",
        "int16": "int32",
        "uint8": "uint32",
        "uint16": "uint32",
    }.get(x.dtype, dtypes.promote(x))
    if perm != tuple(range(x.ndim)):
        x = apply("numpy.transpose", _transpose_tr, [x], perm=perm)
    return apply("numpy.trace", _trace, [x], offset=int(offset), compute=result, result=result)


def _correlate(a, v, *, mode, swap, compute, result):
    a, v = g.cast(a, compute), g.cast(v, compute)
    if swap:
        a, v = v, a
    n, m = g.static_shape(a)[0], g.static_shape(v)[0]
    pads = {"valid": (0, 0), "same": (m // 2, (m - 1) // 2), "full": (m - 1, m - 1)}[mode]
    if swap and mode == "same":
        pads = pads[::-1]
    a = g.out(ov_ops.pad(a, g.i64([pads[0]]), g.i64([pads[1]]), "constant", g.const_like(0, a)))
    count = n + sum(pads) - m + 1
    frames = g.out(
        ov_ops.gather(a, g.i64(np.arange(count)[:, None] + np.arange(m)[None]), g.i64(0))
    )
    out = _mat_vec(frames, v)
    if swap:
        out = g.out(ov_ops.gather(out, g.i64(np.arange(count)[::-1].copy()), g.i64(0)))
    return _finish(out, result)


@register("numpy")
def correlate(x1, x2, mode="valid"):
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"`correlate`: mode must be 'valid', 'same' or 'full', got {mode!r}")
    a, v = to_tensor(x1, op="correlate"), to_tensor(x2, op="correlate")
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"`correlate`: inputs must be 1-D, got shapes {a.shape} and {v.shape}")
    if None in (a.shape[0], v.shape[0]):
        raise ValueError(f"`correlate`: input lengths must be static, got {a.shape} and {v.shape}")
    result = dtypes.promote(x1, x2)
    result = (
        "float64"
        if result in ("int64", "float64")
        else (result if result in ("bfloat16", "float16") else "float32")
    )
    return apply(
        "numpy.correlate",
        _correlate,
        [a, v],
        mode=mode,
        swap=v.shape[0] > a.shape[0],
        compute=result,
        result=result,
    )


# -- kernels --------------------------------------------------------------------------
def _lu(a, b=None):
    """Partial-pivoting LU of (..., m, n) ``a``; row operations also applied to ``b``.

    Returns ``lu`` (L's multipliers below the diagonal, U on and above), the
    LAPACK pivot sequence (..., min(m, n)) as int64, and the eliminated ``b``.
    """
    m, n = g.static_shape(a)[-2:]
    steps = min(m, n)
    rows = g.i64(np.arange(m))
    batch = _dims(a, 0, g.rank(a) - 2)
    piv0 = g.out(
        ov_ops.broadcast(g.i64(np.zeros(steps, np.int64)), _concat([batch, g.i64([steps])]))
    )
    carried = [a, piv0] + ([b] if b is not None else [])

    def body(k, carried, _):
        a, piv = carried[:2]
        ek_m, ek_n = _onehot(k, m, a), _onehot(k, n, a)
        col = _mat_vec(a, ek_n)
        score = g.select(
            g.out(ov_ops.greater_equal(rows, k)), g.out(ov_ops.abs(col)), g.const_like(-1, a)
        )
        p = ov_ops.topk(
            score, g.i64(1), g.rank(score) - 1, "max", "value", "i64", stable=True
        ).output(1)
        ep = g.cast(g.out(ov_ops.equal(rows, p)), g.dtype(a))
        swap = g.out(ov_ops.subtract(ek_m, ep))

        def swap_rows(x):
            delta = g.out(ov_ops.subtract(_vec_mm(ep, x), _vec_mm(ek_m, x)))
            return g.out(ov_ops.add(x, _outer(swap, delta)))

        a = swap_rows(a)
        row_k = _vec_mm(ek_m, a)
        pivot = _sum(g.out(ov_ops.multiply(row_k, ek_n)), -1, keepdims=True)
        below = g.out(ov_ops.greater(rows, k))
        ok = g.out(ov_ops.logical_and(below, g.out(ov_ops.not_equal(pivot, g.const_like(0, a)))))
        l = g.select(ok, g.out(ov_ops.divide(_mat_vec(a, ek_n), pivot)), g.const_like(0, a))
        after = g.cast(g.out(ov_ops.greater(g.i64(np.arange(n)), k)), g.dtype(a))
        a = g.out(ov_ops.subtract(a, _outer(l, g.out(ov_ops.multiply(row_k, after)))))
        in_col = g.out(
            ov_ops.logical_and(
                g.unsqueeze_axes(below, [1]), g.out(ov_ops.equal(g.i64(np.arange(n)), k))
            )
        )
        a = g.select(in_col, g.unsqueeze_axes(l, [g.rank(l)]), a)
        piv = g.out(
            ov_ops.add(piv, g.select(g.out(ov_ops.equal(g.i64(np.arange(steps)), k)), p, g.i64(0)))
        )
        new = [a, piv]
        if len(carried) > 2:
            x = swap_rows(carried[2])
            new.append(g.out(ov_ops.subtract(x, _outer(l, _vec_mm(ek_m, x)))))
        return new

    out = g.loop(steps, body, carried)
    return out[0], out[1], (out[2] if b is not None else None)


def _tri_solve(a, b, lower):
    """Solve ``a x = b`` for triangular (..., n, n) ``a`` and (..., n, k) ``b``."""
    n = g.static_shape(a)[-1]
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    a = g.out(ov_ops.multiply(a, g.const(mask, g.dtype(a))))
    x0 = g.zeros_like(g.out(ov_ops.broadcast(b, _batch_like(a), broadcast_spec="BIDIRECTIONAL")))

    def body(i, carried, inv):
        (x,) = carried
        a, b = inv
        idx = i if lower else g.out(ov_ops.subtract(g.i64(n - 1), i))
        e = _onehot(idx, n, a)
        row = _vec_mm(e, a)
        akk = _sum(g.out(ov_ops.multiply(row, e)), -1, keepdims=True)
        r = g.out(ov_ops.subtract(_vec_mm(e, b), _vec_mm(row, x)))
        r = g.out(ov_ops.divide(r, akk))
        return [g.out(ov_ops.add(x, _outer(e, r)))]

    return g.loop(n, body, [x0], [a, b])[0]


def _batch_like(a):
    """The shape [batch(a)..., 1, 1]: broadcasting against it adds ``a``'s batch dims."""
    return _concat([_dims(a, 0, g.rank(a) - 2), g.i64([1, 1])])


def _cholesky(a):
    n = g.static_shape(a)[-1]
    rows = g.i64(np.arange(n))

    def body(k, carried, _):
        a, l = carried
        e = _onehot(k, n, a)
        col = _mat_vec(a, e)
        akk = _sum(g.out(ov_ops.multiply(col, e)), -1, keepdims=True)
        c = g.select(g.out(ov_ops.greater_equal(rows, k)), col, g.const_like(0, a))
        c = g.out(ov_ops.divide(c, g.out(ov_ops.sqrt(akk))))
        l = g.out(ov_ops.add(l, _outer(c, e)))
        a = g.out(ov_ops.subtract(a, _outer(c, c)))
        return [a, l]

    return g.loop(n, body, [a, g.zeros_like(a)])[1]


def _householder(a):
    """Householder QR of (..., m, n): Q (..., m, m) and upper-triangular R (..., m, n)."""
    m, n = g.static_shape(a)[-2:]
    rows = g.i64(np.arange(m))

    def body(k, carried, _):
        r, q = carried
        zero = g.const_like(0, r)
        x = g.select(g.out(ov_ops.greater_equal(rows, k)), _mat_vec(r, _onehot(k, n, r)), zero)
        ek = _onehot(k, m, r)
        alpha = _sum(g.out(ov_ops.multiply(x, ek)), -1, keepdims=True)
        tail = g.select(g.out(ov_ops.greater(rows, k)), x, zero)
        xnorm2 = _sum(g.out(ov_ops.multiply(tail, tail)), -1, keepdims=True)
        norm = g.out(ov_ops.sqrt(g.out(ov_ops.add(g.out(ov_ops.multiply(alpha, alpha)), xnorm2))))
        beta = g.select(
            g.out(ov_ops.greater_equal(alpha, zero)), g.out(ov_ops.negative(norm)), norm
        )
        v = g.out(ov_ops.subtract(x, g.out(ov_ops.multiply(beta, ek))))
        vtv = _sum(g.out(ov_ops.multiply(v, v)), -1, keepdims=True)
        reflect = g.out(ov_ops.greater(xnorm2, zero))
        tau = g.select(
            reflect,
            g.out(ov_ops.divide(g.const_like(2, r), g.select(reflect, vtv, g.const_like(1, r)))),
            zero,
        )
        tv = g.out(ov_ops.multiply(tau, v))
        r = g.out(ov_ops.subtract(r, _outer(tv, _vec_mm(v, r))))
        q = g.out(ov_ops.subtract(q, _outer(_mat_vec(q, v), tv)))
        return [r, q]

    r, q = g.loop(min(m, n), body, [a, _batched_eye(a, m)])
    r = g.out(ov_ops.multiply(r, g.const(np.triu(np.ones((m, n))), g.dtype(a))))
    return q, r


def _round_robin(n):
    """One-hot pair tables (steps, n//2 [+1], n) for parallel Jacobi sweeps."""
    size = n + (n % 2)
    others = list(range(1, size))
    p_tab, q_tab = [], []
    for s in range(size - 1):
        circle = [0] + others[s:] + others[:s]
        pairs = [(circle[i], circle[size - 1 - i]) for i in range(size // 2)]
        p_tab.append([np.arange(n) == min(p) for p in pairs])
        q_tab.append([np.arange(n) == max(p) for p in pairs])
    return np.array(p_tab), np.array(q_tab)


def _rotation(app, aqq, apq):
    """Jacobi rotation (c, s) annihilating ``apq`` (Golub & Van Loan, sym.schur2)."""
    zero = g.const_like(0, apq)
    one = g.const_like(1, apq)
    nz = g.out(ov_ops.not_equal(apq, zero))
    tau = g.out(
        ov_ops.divide(
            g.out(ov_ops.subtract(aqq, app)),
            g.out(ov_ops.multiply(g.const_like(2, apq), g.select(nz, apq, one))),
        )
    )
    sign = g.select(g.out(ov_ops.greater_equal(tau, zero)), one, g.const_like(-1, apq))
    root = g.out(ov_ops.sqrt(g.out(ov_ops.add(one, g.out(ov_ops.multiply(tau, tau))))))
    t = g.out(ov_ops.divide(sign, g.out(ov_ops.add(g.out(ov_ops.abs(tau)), root))))
    t = g.select(nz, t, zero)
    c = g.out(
        ov_ops.divide(one, g.out(ov_ops.sqrt(g.out(ov_ops.add(one, g.out(ov_ops.multiply(t, t)))))))
    )
    return c, g.out(ov_ops.multiply(t, c))


def _rotation_matrix(pm, qm, c, s, n):
    """J = I + P^T (c-1) P + Q^T (c-1) Q + P^T s Q - Q^T s P, batched over c, s."""

    def term(left, w, right):
        return _mm(
            left, g.out(ov_ops.multiply(g.unsqueeze_axes(w, [g.rank(w)]), right)), True, False
        )

    cm1 = g.out(ov_ops.subtract(c, g.const_like(1, c)))
    j = g.out(ov_ops.add(term(pm, cm1, pm), term(qm, cm1, qm)))
    j = g.out(ov_ops.add(j, g.out(ov_ops.subtract(term(pm, s, qm), term(qm, s, pm)))))
    return g.out(ov_ops.add(j, _eye(n, n, g.dtype(c))))


def _jacobi(a, one_sided, max_sweeps=30):
    """Cyclic Jacobi.  Two-sided: a -> diag, returns (a, V).  One-sided: a's columns
    made orthogonal, returns (a V, V)."""
    n = g.static_shape(a)[-1]
    p_tab, q_tab = _round_robin(n)
    steps = p_tab.shape[0]
    dt = g.dtype(a)
    tol = (_EPS[dt] * max(n, 4)) ** 2

    def body(i, carried, _):
        a, v = carried
        step = g.out(ov_ops.floor_mod(i, g.i64(steps)))
        pm = g.out(ov_ops.gather(g.const(p_tab, dt), step, 0))
        qm = g.out(ov_ops.gather(g.const(q_tab, dt), step, 0))
        gram = _mm(a, a, True, False) if one_sided else a

        def entry(x, y):
            return _sum(g.out(ov_ops.multiply(_mm(x, gram), y)), -1)

        c, s = _rotation(entry(pm, pm), entry(qm, qm), entry(pm, qm))
        j = _rotation_matrix(pm, qm, c, s, n)
        a = _mm(a, j) if one_sided else _mm(_mm(j, a, True, False), j)
        v = _mm(v, j)
        gram = _mm(a, a, True, False) if one_sided else a
        offd = g.out(ov_ops.multiply(gram, g.const(1 - np.eye(n), dt)))
        off = _sum(g.out(ov_ops.multiply(offd, offd)), [-2 % g.rank(offd), g.rank(offd) - 1])
        diag = _sum(g.out(ov_ops.multiply(_diag(gram), _diag(gram))), -1)
        go = g.out(ov_ops.greater(off, g.out(ov_ops.multiply(diag, g.const_like(tol, diag)))))
        go = g.out(ov_ops.reduce_logical_or(g.reshape(go, [-1]), g.i64([0]), False))
        return [a, v, go]

    return g.loop(max_sweeps * steps, body, [a, _batched_eye(a, n)], until=True)


def _svd_core(a):
    """One-sided Jacobi SVD of a tall (..., m, n) matrix, m >= n.

    Returns (U0, s, V): ``s`` (..., n) descending, ``U0 = A V / s`` with zero
    columns where s == 0, and V (..., n, n) orthogonal.
    """
    n = g.static_shape(a)[-1]
    av, v = _jacobi(a, one_sided=True)
    s = g.out(ov_ops.sqrt(_sum(g.out(ov_ops.multiply(av, av)), -2 % g.rank(av))))
    s, idx = _sort_last(s, n, descending=True)
    av, v = _take_columns(av, idx), _take_columns(v, idx)
    zero = g.const_like(0, s)
    pos = g.out(ov_ops.greater(s, zero))
    inv_s = g.select(
        pos, g.out(ov_ops.divide(g.const_like(1, s), g.select(pos, s, g.const_like(1, s)))), zero
    )
    u0 = g.out(ov_ops.multiply(av, g.unsqueeze_axes(inv_s, [g.rank(inv_s) - 1])))
    return u0, s, v


def _complete_basis(u0, full):
    """Orthonormal columns extending ``u0`` (..., m, n) (zero columns replaced)."""
    m, n = g.static_shape(u0)[-2:]
    q, r = _householder(u0)
    sign = g.select(
        g.out(ov_ops.less(_diag(_slice(r, g.rank(r) - 2, 0, n)), g.const_like(0, r))),
        g.const_like(-1, r),
        g.const_like(1, r),
    )
    fix = _concat(
        [
            sign,
            g.out(
                ov_ops.broadcast(
                    g.const_like(1, r), _concat([_dims(sign, 0, g.rank(sign) - 1), g.i64([m - n])])
                )
            ),
        ],
        -1,
    )
    q = g.out(ov_ops.multiply(q, g.unsqueeze_axes(fix, [g.rank(fix) - 1])))
    return q if full else _slice(q, g.rank(q) - 1, 0, n)


def _transpose_last(x):
    r = g.rank(x)
    return g.transpose(x, list(range(r - 2)) + [r - 1, r - 2])


def _svd_any(a):
    """(U0, s, V, transposed) for any (..., m, n), running on the tall orientation."""
    m, n = g.static_shape(a)[-2:]
    wide = m < n
    if 0 in (m, n):  # no singular values: U0 and V have no columns
        t = _transpose_last(a) if wide else a
        u0 = g.slice_axis(g.out(ov_ops.unsqueeze(_sum(t, -1), g.i64([-1]))), -1, 0, 0)
        v = g.slice_axis(g.out(ov_ops.unsqueeze(_sum(t, -2), g.i64([-1]))), -1, 0, 0)
        return u0, g.slice_axis(_sum(t, -1), -1, 0, 0), v, wide
    u0, s, v = _svd_core(_transpose_last(a) if wide else a)
    return u0, s, v, wide


# -- linalg frontends -------------------------------------------------------------------------
def _square(x, op):
    if x.ndim < 2:
        raise ValueError(f"`{op}`: expected input of rank >= 2, got shape {x.shape}")
    m, n = x.shape[-2:]
    if m is None or n is None:
        raise ValueError(f"`{op}`: the matrix dims must be static, got shape {x.shape}")
    if m != n:
        raise ValueError(f"`{op}`: expected square matrices, got shape {x.shape}")
    return n


def _matrix(x, op):
    if x.ndim < 2:
        raise ValueError(f"`{op}`: expected input of rank >= 2, got shape {x.shape}")
    if None in x.shape[-2:]:
        raise ValueError(f"`{op}`: the matrix dims must be static, got shape {x.shape}")
    return x.shape[-2:]


def _float_input(x, op):
    x = to_tensor(x, op=op)
    return to_tensor(x, dtype=dtypes.promote_inexact(x), op=op)


def _cholesky_tr(a, *, upper):
    l = _cholesky(a)
    return _transpose_last(l) if upper else l


@register("linalg")
def cholesky(a, upper=False):
    a = _float_input(a, "cholesky")
    _square(a, "cholesky")
    return apply("linalg.cholesky", _cholesky_tr, [a], upper=bool(upper))


def _cholesky_inverse_tr(a, *, upper):
    n = g.static_shape(a)[-1]
    inv_chol = _tri_solve(a, _batched_eye(a, n), lower=not upper)
    if upper:
        return _mm(inv_chol, inv_chol, False, True)
    return _mm(inv_chol, inv_chol, True, False)


@register("linalg")
def cholesky_inverse(a, upper=False):
    a = _float_input(a, "cholesky_inverse")
    _square(a, "cholesky_inverse")
    return apply("linalg.cholesky_inverse", _cholesky_inverse_tr, [a], upper=bool(upper))


def _lu_sign_and_diag(a):
    n = g.static_shape(a)[-1]
    lu, piv, _ = _lu(a)
    swaps = g.out(ov_ops.not_equal(piv, g.i64(np.arange(n))))
    flips = _sum(g.cast(swaps, "int64"), -1)
    parity = g.out(ov_ops.floor_mod(flips, g.i64(2)))
    sign = g.cast(
        g.out(ov_ops.subtract(g.i64(1), g.out(ov_ops.multiply(parity, g.i64(2))))), g.dtype(a)
    )
    return sign, _diag(lu)


def _det_tr(a):
    sign, d = _lu_sign_and_diag(a)
    return g.out(ov_ops.multiply(sign, g.out(ov_ops.reduce_prod(d, g.i64([-1]), False))))


@register("linalg")
def det(a):
    a = _float_input(a, "det")
    _square(a, "det")
    return apply("linalg.det", _det_tr, [a])


def _slogdet_tr(a):
    sign, d = _lu_sign_and_diag(a)
    dsign = g.out(ov_ops.reduce_prod(g.out(ov_ops.sign(d)), g.i64([-1]), False))
    logabs = _sum(g.out(ov_ops.log(g.out(ov_ops.abs(d)))), -1)
    return [g.out(ov_ops.multiply(sign, dsign)), logabs]


@register("numpy")
def slogdet(x):
    x = _float_input(x, "slogdet")
    _square(x, "slogdet")
    return apply("numpy.slogdet", _slogdet_tr, [x])


def _solve_tr(a, b, *, vector):
    if vector:
        b = g.unsqueeze_axes(b, [g.rank(b)])
    b = g.out(ov_ops.broadcast(b, _batch_like(a), broadcast_spec="BIDIRECTIONAL"))
    a = g.out(ov_ops.broadcast(a, _batch_like(b), broadcast_spec="BIDIRECTIONAL"))
    lu, _, y = _lu(a, b)
    x = _tri_solve(lu, y, lower=False)
    return g.squeeze_axes(x, [g.rank(x) - 1]) if vector else x


def _solve_args(a, b, op):
    dt = dtypes.promote_inexact(a, b)
    a, b = to_tensor(a, dtype=dt, op=op), to_tensor(b, dtype=dt, op=op)
    n = _square(a, op)
    if b.ndim < 1:
        raise ValueError(f"`{op}`: `b` must have rank >= 1, got shape {b.shape}")
    vector = b.ndim == a.ndim - 1 or b.ndim == 1
    rows = b.shape[-1] if vector else b.shape[-2]
    if rows != n:
        raise ValueError(f"`{op}`: incompatible shapes a={a.shape} and b={b.shape}")
    return a, b, vector


@register("linalg")
def solve(a, b):
    a, b, vector = _solve_args(a, b, "solve")
    return apply("linalg.solve", _solve_tr, [a, b], vector=vector)


def _solve_triangular_tr(a, b, *, vector, lower):
    if vector:
        b = g.unsqueeze_axes(b, [g.rank(b)])
    x = _tri_solve(a, b, lower)
    return g.squeeze_axes(x, [g.rank(x) - 1]) if vector else x


@register("linalg")
def solve_triangular(a, b, lower=False):
    a, b, vector = _solve_args(a, b, "solve_triangular")
    return apply(
        "linalg.solve_triangular", _solve_triangular_tr, [a, b], vector=vector, lower=bool(lower)
    )


def _inv_tr(a):
    if g.dtype(a) in dtypes.WIDE:
        # Inverse has no reference kernel: solve against the identity instead.
        return _solve_tr(a, _batched_eye(a, g.static_shape(a)[-1]), vector=False)
    return g.out(ov_ops.inverse(a, False))


@register("linalg")
def inv(a):
    a = _float_input(a, "inv")
    _square(a, "inv")
    return apply("linalg.inv", _inv_tr, [a])


def _lu_factor_tr(a):
    lu, piv, _ = _lu(a)
    return [lu, g.cast(piv, "int32")]


@register("linalg")
def lu_factor(x):
    x = _float_input(x, "lu_factor")
    _matrix(x, "lu_factor")
    return apply("linalg.lu_factor", _lu_factor_tr, [x])


def _qr_tr(a, *, mode):
    m, n = g.static_shape(a)[-2:]
    q, r = _householder(a)
    if mode == "reduced" and m > n:
        q = _slice(q, g.rank(q) - 1, 0, n)
        r = _slice(r, g.rank(r) - 2, 0, n)
    return [q, r]


@register("linalg")
def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(
            "`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
            f"Received: mode={mode}"
        )
    x = _float_input(x, "qr")
    _matrix(x, "qr")
    return apply("linalg.qr", _qr_tr, [x], mode=mode)


def _eigh_tr(a):
    n = g.static_shape(a)[-1]
    if n == 0:  # (..., 0) eigenvalues, (..., 0, 0) eigenvectors
        return [_sum(a, -1), a]
    d, v = _jacobi(a, one_sided=False)
    w, idx = _sort_last(_diag(d), n, descending=False)
    return [w, _take_columns(v, idx)]


@register("linalg")
def eigh(x):
    x = _float_input(x, "eigh")
    _square(x, "eigh")
    return apply("linalg.eigh", _eigh_tr, [x])


@register("linalg")
def eig(x):
    raise NotImplementedError(
        "`eig`: general eigendecomposition returns complex values, which keras-ov "
        "does not support; use `eigh` for symmetric matrices"
    )


def _svd_tr(a, *, full_matrices, compute_uv):
    u0, s, v, wide = _svd_any(a)
    if not compute_uv:
        return s
    u = _complete_basis(u0, full_matrices)
    if wide:
        return [v, s, _transpose_last(u)]
    return [u, s, _transpose_last(v)]


@register("linalg")
def svd(x, full_matrices=True, compute_uv=True):
    x = _float_input(x, "svd")
    _matrix(x, "svd")
    return apply(
        "linalg.svd", _svd_tr, [x], full_matrices=bool(full_matrices), compute_uv=bool(compute_uv)
    )


def _pinv_parts(a, rcond, absolute=False):
    """pinv(a) as ``V diag(1/s) U0^T`` with small singular values dropped."""
    m, n = g.static_shape(a)[-2:]
    u0, s, v, wide = _svd_any(a)
    smax = g.out(ov_ops.reduce_max(s, g.i64([-1]), True))
    if rcond is None:
        rcond = max(m, n) * _EPS[g.dtype(a)]
    cutoff = g.out(ov_ops.multiply(smax, g.const_like(rcond, s)))
    keep = g.out(ov_ops.greater(s, cutoff))
    inv_s = g.select(
        keep,
        g.out(ov_ops.divide(g.const_like(1, s), g.select(keep, s, g.const_like(1, s)))),
        g.const_like(0, s),
    )
    vs = g.out(ov_ops.multiply(v, g.unsqueeze_axes(inv_s, [g.rank(inv_s) - 1])))
    p = _mm(vs, u0, False, True)
    return _transpose_last(p) if wide else p


def _pinv_tr(a, *, rcond):
    return _pinv_parts(a, rcond)


@register("linalg")
def pinv(x, rcond=None):
    x = _float_input(x, "pinv")
    _matrix(x, "pinv")
    return apply("linalg.pinv", _pinv_tr, [x], rcond=None if rcond is None else float(rcond))


def _lstsq_tr(a, b, *, rcond, vector):
    p = _pinv_parts(a, rcond)
    if vector:
        return _mat_vec(p, b)
    return _mm(p, b)


@register("linalg")
def lstsq(a, b, rcond=None):
    dt = dtypes.promote_inexact(a, b)
    a, b = to_tensor(a, dtype=dt, op="lstsq"), to_tensor(b, dtype=dt, op="lstsq")
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise ValueError(
            f"`lstsq`: expected a 2-D `a` and 1-D or 2-D `b`, got {a.shape} and {b.shape}"
        )
    _matrix(a, "lstsq")
    if b.shape[0] != a.shape[0]:
        raise ValueError(f"`lstsq`: incompatible shapes a={a.shape} and b={b.shape}")
    return apply(
        "linalg.lstsq",
        _lstsq_tr,
        [a, b],
        rcond=None if rcond is None else float(rcond),
        vector=b.ndim == 1,
    )


def _matrix_rank_tr(a, *, tol):
    m, n = g.static_shape(a)[-2:]
    _, s, _, _ = _svd_any(a)
    if tol is None:
        smax = g.out(ov_ops.reduce_max(s, g.i64([-1]), True))
        cutoff = g.out(ov_ops.multiply(smax, g.const_like(max(m, n) * _EPS[g.dtype(a)], s)))
    else:
        cutoff = g.const_like(tol, s)
    return _sum(g.cast(g.out(ov_ops.greater(s, cutoff)), "int32"), -1)


@register("linalg")
def matrix_rank(x, tol=None):
    x = _float_input(x, "matrix_rank")
    _matrix(x, "matrix_rank")
    return apply(
        "linalg.matrix_rank", _matrix_rank_tr, [x], tol=None if tol is None else float(tol)
    )


_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


def _vector_norm(x, *, ord, axes, keepdims):
    ax = g.i64(list(axes))
    a = g.out(ov_ops.abs(x))
    if ord is None or ord == 2:
        return g.out(
            ov_ops.sqrt(g.out(ov_ops.reduce_sum(g.out(ov_ops.multiply(x, x)), ax, keepdims)))
        )
    if ord == np.inf:
        return g.out(ov_ops.reduce_max(a, ax, keepdims))
    if ord == -np.inf:
        return g.out(ov_ops.reduce_min(a, ax, keepdims))
    if ord == 0:
        return g.out(
            ov_ops.reduce_sum(
                g.cast(g.out(ov_ops.not_equal(x, g.const_like(0, x))), g.dtype(x)), ax, keepdims
            )
        )
    if ord == 1:
        return g.out(ov_ops.reduce_sum(a, ax, keepdims))
    p = g.const_like(ord, x)
    total = g.out(ov_ops.reduce_sum(g.out(ov_ops.power(a, p)), ax, keepdims))
    return g.out(ov_ops.power(total, g.const_like(1.0 / ord, x)))


def _matrix_norm(x, *, ord, axes, keepdims):
    r = g.rank(x)
    row, col = axes
    if ord in (None, "fro"):
        return _vector_norm(x, ord=None, axes=tuple(sorted(axes)), keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        inner_axis, outer_axis = (row, col) if ord in (1, -1) else (col, row)
        sums = g.out(ov_ops.reduce_sum(g.out(ov_ops.abs(x)), g.i64([inner_axis]), True))
        red = ov_ops.reduce_max if ord > 0 else ov_ops.reduce_min
        out = g.out(red(sums, g.i64([outer_axis]), True))
    else:
        perm = [i for i in range(r) if i not in axes] + [row, col]
        _, s, _, _ = _svd_any(g.transpose(x, perm))
        if ord == "nuc":
            out = _sum(s, -1)
        else:
            red = ov_ops.reduce_max if ord == 2 else ov_ops.reduce_min
            out = g.out(red(s, g.i64([-1]), False))
        if keepdims:
            out = g.unsqueeze_axes(out, sorted(axes))
        return out
    return out if keepdims else g.squeeze_axes(out, sorted(axes))


@register("linalg")
def norm(x, ord=None, axis=None, keepdims=False):
    x = to_tensor(x, op="norm")
    dt = dtypes.promote_inexact(x)
    x = to_tensor(x, dtype=dt, op="norm")
    if axis is None:
        axes = tuple(range(x.ndim))
        if ord is not None and x.ndim > 2:
            raise ValueError(f"`norm`: ord={ord!r} needs an axis for an input of rank {x.ndim}")
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        axes = tuple(g.normalize_axis(a, x.ndim, "norm") for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(f"`norm`: repeated axis in {axis!r}")
    if len(axes) == 1 or (axis is None and ord is None):
        if isinstance(ord, str):
            raise ValueError(f"`norm`: invalid ord {ord!r} for a vector norm")
        return apply(
            "linalg.vector_norm",
            _vector_norm,
            [x],
            ord=ord,
            axes=tuple(sorted(axes)),
            keepdims=bool(keepdims),
        )
    if len(axes) != 2:
        raise ValueError(f"`norm`: axis must name 1 or 2 dims, got {axis!r}")
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"`norm`: invalid ord {ord!r} for a matrix norm")
    if ord in ("nuc", 2, -2) and None in (x.shape[axes[0]], x.shape[axes[1]]):
        raise ValueError(f"`norm`: ord={ord!r} needs static matrix dims, got shape {x.shape}")
    return apply(
        "linalg.matrix_norm", _matrix_norm, [x], ord=ord, axes=axes, keepdims=bool(keepdims)
    )


@register("linalg")
def jvp(fun, primals, tangents, has_aux=False):
    raise NotImplementedError("`jvp`: keras-ov has no forward-mode autodiff")
