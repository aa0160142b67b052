"""Edge-shape cases for every registered op, and the child process that runs them.

The case table is built from a per-op signature description:

* ``FAMILIES`` derive cases from a signature: ``unary`` (x), ``binary`` (x1, x2:
  broadcasting pairs with 0- and 1-size dims, scalars, Python operands),
  ``reduce`` (x, axis, keepdims), ``axis`` (x, axis);
* ``SPECIAL`` lists hand-written cases for ops with more structure;
* ``NOT_DESCRIBED`` is every other op, as data, each with its reason.

A case is ``(op, args, kwargs, dtype, ref)``: ``args`` hold ``A(shape)``
placeholders made into arrays of the case's dtype in the child; ``ref`` is a
function of the same arguments on NumPy arrays (jax.numpy), or None.

Run as ``python -m tests.edge_cases`` with a JSON list of case ids on stdin,
it prints one JSON line per case: ``ok``, ``raised`` (a Python exception; the
reference may or may not raise), ``mismatch`` (both ran, answers differ) or
``ref-raised`` (the reference refused, keras-ov answered).
"""

import inspect
import json
import os
import sys

import numpy as np

FULL = bool(os.environ.get("KERAS_OV_EDGE_FULL"))
DTYPES = (
    ["float32", "int32", "bool", "int8", "uint8", "float16", "bfloat16", "int64", "float64"]
    if FULL
    else ["float32"]
)


class A:
    """An array argument: shape, and a dtype (the case's if None)."""

    def __init__(self, shape, dtype=None, lo=None, hi=None):
        self.shape, self.dtype, self.lo, self.hi = tuple(shape), dtype, lo, hi

    def __repr__(self):
        return f"A{self.shape}" + (f":{self.dtype}" if self.dtype else "")


# -- shapes -----------------------------------------------------------------------

UNARY_SHAPES = [(), (0,), (1,), (3,), (1, 1), (2, 0), (0, 3), (1, 0, 2), (2, 1, 3)]
UNARY_SHAPES_FAST = [(), (0,), (1, 1), (1, 0, 2)]
BINARY_PAIRS = [
    ((), ()),
    ((), (0,)),
    ((0,), ()),
    ((1,), (0,)),
    ((2, 0), (2, 1)),
    ((2, 1), (1, 0)),
    ((1, 3), (2, 1)),
    ((0, 3), (1, 3)),
    ((1,), (1, 1, 1)),
    ((2, 3), (3,)),
    ((), (2, 3)),
    ((0, 1), (1, 0)),
]
BINARY_PAIRS_FAST = [((), (0,)), ((2, 0), (2, 1)), ((1, 3), (2, 1)), ((0, 1), (1, 0))]
PY_OPERANDS = [2, 2.5, [1, 2, 3], [[1], [2]]]
REDUCE_CASES = [
    ((), None),
    ((0,), None),
    ((0,), 0),
    ((2, 0), 1),
    ((2, 0), 0),
    ((0, 3), -1),
    ((1, 1), None),
    ((1, 3), 0),
    ((2, 0), (0, 1)),
]


def _jnp(name):
    import jax.numpy as jnp

    return getattr(jnp, name, None)


def _jnn(name):
    import jax

    return getattr(jax.nn, name, None)


def _ref_for(op):
    ns, name = op.split(".")
    if ns == "numpy":
        return _jnp(name)
    if ns == "nn":
        return _jnn(name)
    if ns == "math" and name in ("erf", "erfc", "erfinv"):
        import jax.scipy.special as sp

        return getattr(sp, name)
    return None


# -- families -----------------------------------------------------------------------


def unary(op, full):
    ref = _ref_for(op)
    for dt in DTYPES:
        for s in UNARY_SHAPES if full else UNARY_SHAPES_FAST:
            yield (A(s),), {}, dt, ref


def binary(op, full):
    ref = _ref_for(op)
    for dt in DTYPES:
        for a, b in BINARY_PAIRS if full else BINARY_PAIRS_FAST:
            yield (A(a), A(b)), {}, dt, ref
    for v in PY_OPERANDS if full else PY_OPERANDS[::3]:
        yield (A((2, 3)), v), {}, "float32", ref
        yield (v, A((2, 3))), {}, "int32", ref


def reduce(op, full):
    ref = _ref_for(op)
    for dt in DTYPES:
        for s, axis in REDUCE_CASES if full else REDUCE_CASES[1::2]:
            if axis is not None and len(s) == 0:
                continue
            for keepdims in (False, True) if full else (axis is None,):
                yield (A(s),), {"axis": axis, "keepdims": keepdims}, dt, ref


def axis_op(op, full):
    ref = _ref_for(op)
    for dt in DTYPES:
        for s, axis in REDUCE_CASES:
            if isinstance(axis, int) or (axis is None and len(s) == 1):
                yield (A(s),), {} if axis is None else {"axis": axis}, dt, ref


def _params(fn):
    return list(inspect.signature(fn).parameters.values())


def family(op, fn):
    """The family of ``op`` from its signature, or None."""
    ps = _params(fn)
    required = tuple(
        p.name
        for p in ps
        if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD
    )
    names = tuple(p.name for p in ps)
    if op in NOT_GENERIC:
        return None
    if required == ("x",) and names[1:3] == ("axis", "keepdims"):
        return reduce
    if required == ("x",) and names[1:] == ("axis",) or op in AXIS_OPS:
        return axis_op
    if required == ("x",):
        return unary
    if required in (("x1", "x2"), ("x", "y")):
        return binary
    return None


AXIS_OPS = {
    "nn.softmax",
    "nn.log_softmax",
    "nn.glu",
    "nn.sparsemax",
    "numpy.argsort",
    "numpy.sort",
    "numpy.flip",
    "numpy.count_nonzero",
    "numpy.squeeze",
}
# Ops with a (x) or (x1, x2) signature that are not element-wise arrays in,
# arrays out: their cases are in SPECIAL (or they are NOT_DESCRIBED).
NOT_GENERIC = {
    "numpy.bartlett",
    "numpy.blackman",
    "numpy.hamming",
    "numpy.hanning",  # x is an int
    "numpy.size",
    "numpy.ndim",
    "numpy.nonzero",
    "numpy.corrcoef",
    "numpy.ravel",
    "numpy.matmul",
    "numpy.dot",
    "numpy.inner",
    "numpy.outer",
    "numpy.vdot",
    "numpy.kron",
    "numpy.cross",
    "numpy.correlate",
    "numpy.tensordot",
    "numpy.append",
    "numpy.isin",
    "numpy.diag",
    "numpy.diagflat",
    "numpy.diagonal",
    "numpy.trace",
    "numpy.copy",
    "numpy.array",
    "numpy.transpose",
    "numpy.vander",
    "numpy.unique",
    "numpy.view",
    "linalg.det",
    "linalg.eig",
    "linalg.eigh",
    "linalg.inv",
    "linalg.lu_factor",
    "linalg.matrix_rank",
    "linalg.pinv",
    "linalg.qr",
    "linalg.svd",
    "linalg.cholesky",
    "linalg.cholesky_inverse",
    "linalg.norm",
    "linalg.solve",
    "linalg.lstsq",
    "math.fft",
    "math.fft2",
    "math.ifft2",
    "math.rfft",
    "math.irfft",
    "math.logdet",
    "math.logsumexp",
    "math.cdist",
    "numpy.slogdet",
    "numpy.fliplr",
    "numpy.flipud",
    "numpy.median",
    "numpy.nanmedian",
    "image.rgb_to_grayscale",
    "image.rgb_to_hsv",
    "image.hsv_to_rgb",
    "image.sobel_edges",
    "numpy.empty_like",
    "numpy.zeros_like",
    "numpy.ones_like",
    "numpy.i0",
}


def _jx(fn):
    """A reference from a jax.numpy expression."""
    return fn


def _special():
    import jax.numpy as jnp

    i32 = "int32"
    return {
        "numpy.take_along_axis": [
            ((A((1, 5)), A((1, 1), i32, 0, 5)), {"axis": 1}, jnp.take_along_axis),
            ((A((1, 5)), A((1, 3), i32, -5, 5)), {"axis": -1}, jnp.take_along_axis),
            ((A((1, 1, 4)), A((1, 1, 2), i32, 0, 4)), {"axis": 2}, jnp.take_along_axis),
            ((A((2, 0)), A((2, 0), i32)), {"axis": 1}, jnp.take_along_axis),
            ((A((0, 3)), A((0, 2), i32, 0, 3)), {"axis": 1}, jnp.take_along_axis),
            ((A((1, 0, 3)), A((1, 0, 1), i32, 0, 3)), {"axis": 2}, jnp.take_along_axis),
        ],
        "numpy.take": [
            ((A((1, 5)), A((1, 1), i32, 0, 5)), {"axis": 1}, jnp.take),
            ((A((2, 0)), A((0,), i32)), {"axis": 1}, jnp.take),
            ((A((0, 3)), A((2,), i32, 0, 3)), {"axis": 1}, jnp.take),
            ((A((3,)), A((), i32, 0, 3)), {}, jnp.take),
        ],
        "numpy.broadcast_to": [
            ((A((2, 0, 1)), (2, 0, 32)), {}, jnp.broadcast_to),
            ((A(()), (0,)), {}, jnp.broadcast_to),
            ((A((1,)), (3, 0)), {}, jnp.broadcast_to),
            ((A((1, 1)), (1, 1)), {}, jnp.broadcast_to),
        ],
        "numpy.reshape": [
            ((A((2, 0)), (0, 5)), {}, jnp.reshape),
            ((A((2, 0)), (-1,)), {}, jnp.reshape),
            ((A((1,)), ()), {}, jnp.reshape),
        ],
        "numpy.concatenate": [
            (([A((2, 0)), A((2, 3))],), {"axis": 1}, jnp.concatenate),
            (([A((0, 3)), A((0, 3))],), {"axis": 0}, jnp.concatenate),
            (([A((1,)), A((0,))],), {}, jnp.concatenate),
        ],
        "numpy.stack": [
            (([A((2, 0)), A((2, 0))],), {"axis": 1}, jnp.stack),
            (([A(()), A(())],), {}, jnp.stack),
        ],
        "numpy.matmul": [
            ((A((2, 0)), A((0, 3))), {}, jnp.matmul),
            ((A((0, 2)), A((2, 3))), {}, jnp.matmul),
            ((A((1, 1)), A((1, 1))), {}, jnp.matmul),
            ((A((3,)), A((3,))), {}, jnp.matmul),
            ((A((1, 0, 2)), A((2, 1))), {}, jnp.matmul),
        ],
        "numpy.dot": [((A((2, 0)), A((0, 3))), {}, jnp.dot), ((A(()), A((2,))), {}, jnp.dot)],
        "numpy.outer": [((A((0,)), A((3,))), {}, jnp.outer), ((A((1,)), A((1,))), {}, jnp.outer)],
        "numpy.einsum": [
            (("ij,jk->ik", A((2, 0)), A((0, 3))), {}, jnp.einsum),
            (("i,i->", A((0,)), A((0,))), {}, jnp.einsum),
        ],
        "numpy.where": [
            ((A((2, 0), "bool"), A((2, 0)), A((1,))), {}, jnp.where),
            ((A((1,), "bool"), A(()), A((0,))), {}, jnp.where),
        ],
        "numpy.clip": [((A((2, 0)), 0, 1), {}, jnp.clip), ((A(()), 0, 1), {}, jnp.clip)],
        "numpy.tile": [((A((2, 0)), (2, 1)), {}, jnp.tile), ((A((1,)), (0,)), {}, jnp.tile)],
        "numpy.repeat": [((A((2, 0)), 2), {"axis": 0}, jnp.repeat), ((A((3,)), 0), {}, jnp.repeat)],
        "numpy.pad": [((A((2, 0)), ((1, 1), (0, 2))), {}, jnp.pad), ((A((1, 1)), 1), {}, jnp.pad)],
        "numpy.cumsum": [
            ((A((2, 0)),), {"axis": 1}, jnp.cumsum),
            ((A(()),), {}, jnp.cumsum),
            ((A((0,)),), {}, jnp.cumsum),
        ],
        "numpy.cumprod": [((A((2, 0)),), {"axis": 1}, jnp.cumprod), ((A((0,)),), {}, jnp.cumprod)],
        "numpy.diff": [((A((2, 0)),), {}, jnp.diff), ((A((1,)),), {}, jnp.diff)],
        "numpy.roll": [((A((2, 0)), 1), {"axis": 1}, jnp.roll), ((A((0,)), 1), {}, jnp.roll)],
        "numpy.transpose": [((A((2, 0)),), {}, jnp.transpose), ((A(()),), {}, jnp.transpose)],
        "numpy.ravel": [((A((2, 0)),), {}, jnp.ravel), ((A(()),), {}, jnp.ravel)],
        "numpy.expand_dims": [
            ((A((2, 0)), 1), {}, jnp.expand_dims),
            ((A(()), 0), {}, jnp.expand_dims),
        ],
        "numpy.swapaxes": [((A((2, 0)), 0, 1), {}, jnp.swapaxes)],
        "numpy.moveaxis": [((A((2, 0, 1)), 0, 2), {}, jnp.moveaxis)],
        "numpy.tril": [((A((2, 0)),), {}, jnp.tril), ((A((1, 1)),), {}, jnp.tril)],
        "numpy.triu": [((A((0, 3)),), {}, jnp.triu)],
        "numpy.diagonal": [((A((2, 0)),), {}, jnp.diagonal), ((A((1, 1)),), {}, jnp.diagonal)],
        "numpy.trace": [((A((2, 0)),), {}, jnp.trace), ((A((1, 1)),), {}, jnp.trace)],
        "numpy.diag": [((A((0,)),), {}, jnp.diag), ((A((1, 1)),), {}, jnp.diag)],
        "numpy.split": [((A((0, 2)), 2), {"axis": 1}, jnp.split)],
        "numpy.array_split": [((A((2, 0)), 2), {"axis": 0}, None)],
        "numpy.argpartition": [((A((2, 1)), 0), {}, None)],
        "numpy.nonzero": [((A((2, 0)),), {}, jnp.nonzero), ((A((1,)),), {}, jnp.nonzero)],
        "numpy.unique": [((A((0,)),), {}, None), ((A((1,)),), {}, None)],
        "numpy.searchsorted": [
            ((A((0,)), A((3,))), {}, jnp.searchsorted),
            ((A((3,)), A((0,))), {}, jnp.searchsorted),
        ],
        "numpy.digitize": [((A((0,)), A((3,), "float32")), {}, jnp.digitize)],
        "numpy.bincount": [((A((0,), i32),), {}, None), ((A((1,), i32, 0, 3),), {}, None)],
        "numpy.median": [((A((2, 0)),), {"axis": 0}, jnp.median), ((A((1, 1)),), {}, jnp.median)],
        "numpy.quantile": [((A((2, 1)), 0.5), {"axis": 0}, jnp.quantile)],
        "numpy.select": [(([A((2, 0), "bool")], [A((2, 0))]), {}, jnp.select)],
        "numpy.full_like": [((A((2, 0)), 1), {}, jnp.full_like)],
        "numpy.zeros_like": [((A((2, 0)),), {}, jnp.zeros_like)],
        "numpy.ones_like": [((A((0,)),), {}, jnp.ones_like)],
        "numpy.empty_like": [((A((0,)),), {}, None)],
        "numpy.zeros": [(((2, 0),), {}, jnp.zeros), (((),), {}, jnp.zeros)],
        "numpy.ones": [(((0,),), {}, jnp.ones)],
        "numpy.full": [(((0, 2), 1.0), {}, jnp.full)],
        "numpy.empty": [(((0, 2),), {}, None)],
        "numpy.eye": [((0,), {}, jnp.eye), ((1,), {}, jnp.eye)],
        "numpy.identity": [((0,), {}, jnp.identity)],
        "numpy.tri": [((0,), {}, jnp.tri), ((1, 0), {}, jnp.tri)],
        "numpy.arange": [((0,), {}, jnp.arange), ((1,), {}, jnp.arange)],
        "numpy.linspace": [((0, 1), {"num": 0}, jnp.linspace), ((0, 1), {"num": 1}, jnp.linspace)],
        "numpy.bartlett": [((0,), {}, jnp.bartlett), ((1,), {}, jnp.bartlett)],
        "numpy.hanning": [((0,), {}, jnp.hanning), ((1,), {}, jnp.hanning)],
        "numpy.hamming": [((1,), {}, jnp.hamming)],
        "numpy.blackman": [((1,), {}, jnp.blackman)],
        "numpy.kaiser": [((1, 0.5), {}, jnp.kaiser), ((0, 0.5), {}, jnp.kaiser)],
        "numpy.size": [((A((2, 0)),), {}, jnp.size)],
        "numpy.ndim": [((A(()),), {}, jnp.ndim)],
        "numpy.copy": [((A((2, 0)),), {}, jnp.copy)],
        "numpy.array": [((A((0,)),), {}, jnp.array)],
        "numpy.isin": [((A((2, 0)), A((3,))), {}, jnp.isin), ((A((2,)), A((0,))), {}, jnp.isin)],
        "numpy.append": [((A((2, 0)), A((3,))), {}, jnp.append)],
        "numpy.kron": [((A((1, 0)), A((2, 1))), {}, jnp.kron)],
        "numpy.inner": [((A((0,)), A((0,))), {}, jnp.inner)],
        "numpy.vdot": [((A((0,)), A((0,))), {}, jnp.vdot)],
        "numpy.tensordot": [((A((2, 0)), A((0, 3))), {"axes": 1}, jnp.tensordot)],
        "numpy.average": [((A((2, 1)),), {"axis": 0}, jnp.average)],
        "numpy.trapezoid": [((A((1,)),), {}, None), ((A((0,)),), {}, None)],
        "numpy.vander": [((A((0,)),), {}, jnp.vander), ((A((1,)),), {}, jnp.vander)],
        "numpy.rot90": [((A((2, 0)),), {}, jnp.rot90)],
        "numpy.fliplr": [((A((2, 0)),), {}, jnp.fliplr)],
        "numpy.flipud": [((A((0, 2)),), {}, jnp.flipud)],
        "numpy.meshgrid": [((A((0,)), A((2,))), {}, jnp.meshgrid)],
        "numpy.unravel_index": [((A((0,), i32), (2, 3)), {}, jnp.unravel_index)],
        "numpy.histogram": [((A((1,)),), {"bins": 2}, None)],
        "numpy.nan_to_num": [((A((2, 0)),), {}, jnp.nan_to_num)],
        "numpy.round": [((A((2, 0)),), {}, jnp.round)],
        "numpy.cbrt": [((A((0,)),), {}, jnp.cbrt)],
        "core.cast": [((A((2, 0)), "float16"), {}, None), ((A(()), "int32"), {}, None)],
        "core.getitem": [((A((2, 0)), 0), {}, None), ((A((1, 3)), (0, slice(0, 0))), {}, None)],
        "core.slice": [
            ((A((2, 3)), (0, 0), (2, 0)), {}, None),
            ((A((1, 1)), (0, 0), (1, 1)), {}, None),
        ],
        "core.slice_update": [((A((2, 3)), (0, 0), A((2, 0))), {}, None)],
        "core.scatter": [((A((0, 1), i32), A((0,)), (3,)), {}, None)],
        "core.scatter_update": [((A((3,)), A((0, 1), i32), A((0,))), {}, None)],
        "nn.one_hot": [((A((0,), i32), 3), {}, None), ((A((1,), i32, 0, 3), 1), {}, None)],
        "nn.multi_hot": [((A((1, 0), i32), 3), {}, None)],
        "nn.moments": [((A((2, 0)), [1]), {}, None), ((A((1, 1)), [0, 1]), {}, None)],
        "nn.conv": [
            ((A((1, 4, 1)), A((3, 1, 2))), {}, None),
            ((A((0, 4, 1)), A((3, 1, 2))), {}, None),
        ],
        "nn.depthwise_conv": [((A((1, 4, 1)), A((3, 1, 1))), {}, None)],
        "nn.max_pool": [((A((1, 4, 1)), 2), {}, None), ((A((0, 4, 1)), 2), {}, None)],
        "nn.average_pool": [((A((1, 4, 1)), 2), {}, None), ((A((0, 4, 1)), 2), {}, None)],
        "nn.batch_normalization": [((A((2, 0)), A((0,)), A((0,)), -1), {}, None)],
        "nn.dot_product_attention": [
            ((A((1, 1, 1, 2)), A((1, 1, 1, 2)), A((1, 1, 1, 2))), {}, None),
            ((A((1, 0, 1, 2)), A((1, 3, 1, 2)), A((1, 3, 1, 2))), {}, None),
        ],
        "nn.categorical_crossentropy": [
            ((A((2, 0)), A((2, 0))), {}, None),
            ((A((1, 1)), A((1, 1))), {}, None),
        ],
        "nn.sparse_categorical_crossentropy": [
            ((A((1,), i32, 0, 3), A((1, 3))), {}, None),
            ((A((0,), i32), A((0, 3))), {}, None),
        ],
        "nn.binary_crossentropy": [((A((2, 0)), A((2, 0))), {}, None)],
        "math.top_k": [((A((1, 5)), 1), {}, None), ((A((2, 0)), 0), {}, None)],
        "math.in_top_k": [
            ((A((1,), i32, 0, 3), A((1, 3), "float32"), 1), {}, None),
            ((A((0,), i32), A((0, 3), "float32"), 1), {}, None),
        ],
        "math.segment_sum": [
            ((A((0,)), A((0,), i32)), {"num_segments": 2}, None),
            ((A((1,)), A((1,), i32, 0, 1)), {"num_segments": 1}, None),
        ],
        "math.segment_max": [((A((0,)), A((0,), i32)), {"num_segments": 2}, None)],
        "math.logsumexp": [((A((2, 0)),), {"axis": 1}, None), ((A(()),), {}, None)],
        "math.extract_sequences": [((A((1, 4)), 2, 1), {}, None)],
        "math.fft": [((A((1, 1), "float32"), A((1, 1), "float32")), {}, None)],
        "math.rfft": [((A((1, 1), "float32"),), {}, None)],
        "linalg.det": [((A((1, 1), "float32"),), {}, None), ((A((0, 0), "float32"),), {}, None)],
        "linalg.inv": [((A((1, 1), "float32", 1, 2),), {}, None)],
        "linalg.qr": [
            ((A((1, 1, 1), "float32"),), {}, None),
            ((A((1, 3, 2), "float32"),), {}, None),
        ],
        "linalg.svd": [((A((1, 2, 2), "float32"),), {}, None)],
        "linalg.norm": [((A((2, 0), "float32"),), {}, None), ((A((1,), "float32"),), {}, None)],
        "linalg.solve": [((A((1, 1), "float32", 1, 2), A((1, 1), "float32")), {}, None)],
        "linalg.cholesky": [((A((1, 1), "float32", 1, 2),), {}, None)],
        "image.resize": [((A((1, 1, 1, 3), "float32"), (2, 2)), {}, None)],
        "image.rgb_to_grayscale": [
            ((A((1, 1, 1, 3), "float32"),), {}, None),
            ((A((0, 1, 1, 3), "float32"),), {}, None),
        ],
        "random.normal": [(((0, 2),), {"seed": 1}, None)],
        "random.uniform": [(((0,),), {"seed": 1}, None)],
        "random.shuffle": [((A((1,)),), {"seed": 1}, None), ((A((0,)),), {"seed": 1}, None)],
        "random.categorical": [((A((1, 3), "float32"), 1), {"seed": 1}, None)],
        # -- images (channels_last) --
        "image.affine_transform": [
            ((A((1, 2, 2, 3)), A((1, 8))), {}, None),
            ((A((0, 2, 2, 3)), A((0, 8))), {}, None),
            ((A((1, 1, 3)), A((8,))), {}, None),
        ],
        "image.compute_homography_matrix": [
            ((A((1, 4, 2)), A((1, 4, 2))), {}, None),
            ((A((0, 4, 2)), A((0, 4, 2))), {}, None),
        ],
        "image.elastic_transform": [
            ((A((1, 4, 4, 1)),), {"seed": 1}, None),
            ((A((0, 4, 4, 1)),), {"seed": 1}, None),
        ],
        "image.gaussian_blur": [
            ((A((1, 3, 3, 1)),), {}, None),
            ((A((0, 3, 3, 1)),), {}, None),
            ((A((1, 1, 1, 1)),), {}, None),
        ],
        "image.hsv_to_rgb": [
            ((A((1, 1, 1, 3)),), {}, None),
            ((A((0, 1, 1, 3)),), {}, None),
            ((A((2, 0, 3)),), {}, None),
        ],
        "image.rgb_to_hsv": [
            ((A((1, 1, 1, 3)),), {}, None),
            ((A((0, 1, 1, 3)),), {}, None),
            ((A((2, 0, 3)),), {}, None),
        ],
        "image.map_coordinates": [
            ((A((3, 3)), A((2, 1, 1), None, 0, 2), 1), {}, None),
            ((A((3, 3)), A((2, 0)), 1), {}, None),
            ((A((1, 1)), A((2, 2), None, 0, 1), 0), {}, None),
        ],
        "image.perspective_transform": [
            ((A((1, 2, 2, 3)), A((1, 4, 2)), A((1, 4, 2))), {}, None),
            ((A((0, 2, 2, 3)), A((0, 4, 2)), A((0, 4, 2))), {}, None),
        ],
        "image.scale_and_translate": [
            ((A((1, 2, 2, 1)), (1, 4, 4, 1), A((2,)), A((2,)), (1, 2), "bilinear"), {}, None),
            ((A((1, 1, 1, 1)), (1, 1, 1, 1), A((2,)), A((2,)), (1, 2), "linear"), {}, None),
        ],
        "image.sobel_edges": [((A((1, 3, 3, 1)),), {}, None), ((A((0, 3, 3, 1)),), {}, None)],
        # -- linear algebra --
        "linalg.cholesky_inverse": [((A((1, 1), None, 1, 2),), {}, None), ((A((0, 0)),), {}, None)],
        "linalg.eig": [((A((1, 1)),), {}, None), ((A((0, 0)),), {}, None)],
        "linalg.eigh": [((A((1, 1)),), {}, None), ((A((0, 0)),), {}, None)],
        "linalg.lstsq": [
            ((A((1, 1), None, 1, 2), A((1,))), {}, None),
            ((A((2, 1), None, 1, 2), A((2,))), {}, None),
        ],
        "linalg.lu_factor": [((A((1, 1), None, 1, 2),), {}, None), ((A((0, 0)),), {}, None)],
        "linalg.matrix_rank": [
            ((A((1, 1)),), {}, jnp.linalg.matrix_rank),
            ((A((2, 0)),), {}, None),
        ],
        "linalg.pinv": [((A((1, 1)),), {}, jnp.linalg.pinv), ((A((2, 0)),), {}, None)],
        "linalg.solve_triangular": [
            ((A((1, 1), None, 1, 2), A((1,))), {}, None),
            ((A((0, 0)), A((0,))), {}, None),
        ],
        "math.logdet": [((A((1, 1), None, 1, 2),), {}, None), ((A((0, 0)),), {}, None)],
        "numpy.slogdet": [
            ((A((1, 1)),), {}, jnp.linalg.slogdet),
            ((A((0, 0)),), {}, jnp.linalg.slogdet),
        ],
        # -- math --
        "math.cdist": [
            ((A((1, 2)), A((3, 2))), {}, None),
            ((A((0, 2)), A((3, 2))), {}, None),
            ((A((2, 0)), A((3, 0))), {}, None),
        ],
        "math.fft2": [
            (((A((1, 1)), A((1, 1))),), {}, None),
            (((A((2, 1, 1)), A((2, 1, 1))),), {}, None),
        ],
        "math.ifft2": [(((A((1, 1)), A((1, 1))),), {}, None)],
        "math.irfft": [
            (((A((1, 2)), A((1, 2))),), {"fft_length": 2}, None),
            (((A((1, 1)), A((1, 1))),), {}, None),
        ],
        "math.stft": [
            ((A((8,)), 4, 2, 4), {}, None),
            ((A((1, 8)), 4, 2, 4), {}, None),
            ((A((4,)), 4, 1, 4), {"center": False}, None),
        ],
        "math.istft": [
            (((A((3, 3)), A((3, 3))), 4, 2, 4), {}, None),
            (((A((1, 3, 3)), A((1, 3, 3))), 4, 2, 4), {}, None),
        ],
        "math.segment_min": [
            ((A((0,)), A((0,), i32)), {"num_segments": 2}, None),
            ((A((1,)), A((1,), i32, 0, 1)), {"num_segments": 1}, None),
        ],
        "math.segment_prod": [
            ((A((0,)), A((0,), i32)), {"num_segments": 2}, None),
            ((A((1,)), A((1,), i32, 0, 1)), {"num_segments": 1}, None),
        ],
        # -- nn --
        "nn.adaptive_average_pool": [
            ((A((1, 4, 4, 1)), 2), {}, None),
            ((A((1, 1, 1, 1)), 1), {}, None),
            ((A((0, 4, 4, 1)), (2, 2)), {}, None),
        ],
        "nn.adaptive_max_pool": [
            ((A((1, 4, 4, 1)), 2), {}, None),
            ((A((1, 1, 1, 1)), 1), {}, None),
            ((A((0, 4, 4, 1)), (2, 2)), {}, None),
        ],
        "nn.conv_transpose": [
            ((A((1, 4, 1)), A((3, 2, 1))), {}, None),
            ((A((0, 4, 1)), A((3, 2, 1))), {}, None),
        ],
        "nn.separable_conv": [
            ((A((1, 4, 1)), A((3, 1, 1)), A((1, 1, 2))), {}, None),
            ((A((0, 4, 1)), A((3, 1, 1)), A((1, 1, 2))), {}, None),
        ],
        "nn.ctc_decode": [
            ((A((1, 3, 4)), A((1,), i32, 1, 3)), {}, None),
            ((A((1, 1, 2)), A((1,), i32, 1, 2)), {}, None),
        ],
        "nn.ctc_loss": [
            ((A((1, 2), i32, 1, 3), A((1, 4, 3)), A((1,), i32, 1, 3), A((1,), i32, 4, 5)), {}, None)
        ],
        "nn.depth_to_space": [((A((1, 1, 1, 4)), 2), {}, None), ((A((0, 1, 1, 4)), 2), {}, None)],
        "nn.space_to_depth": [((A((1, 2, 2, 1)), 2), {}, None), ((A((0, 2, 2, 1)), 2), {}, None)],
        "nn.fold": [((A((1, 4, 1)), (2, 2), 2), {}, None), ((A((0, 4, 1)), (2, 2), 2), {}, None)],
        "nn.unfold": [((A((1, 1, 2, 2)), 2), {}, None), ((A((0, 1, 2, 2)), 2), {}, None)],
        "nn.psnr": [
            ((A((1, 1)), A((1, 1)), 1.0), {}, None),
            ((A((2, 0)), A((2, 0)), 1.0), {}, None),
        ],
        "nn.threshold": [
            ((A((2, 0)), 0.5, 0.0), {}, None),
            ((A(()), 0.5, 0.0), {}, None),
            ((A((1, 3)), 0.5, 0.0), {}, None),
        ],
        # -- numpy --
        "numpy.corrcoef": [
            ((A((2, 3)),), {}, jnp.corrcoef),
            ((A((1, 3)),), {}, jnp.corrcoef),
            ((A((3,)),), {}, jnp.corrcoef),
        ],
        "numpy.correlate": [
            ((A((3,)), A((1,))), {}, jnp.correlate),
            ((A((1,)), A((1,))), {"mode": "full"}, jnp.correlate),
        ],
        "numpy.cross": [
            ((A((1, 3)), A((1, 3))), {}, jnp.cross),
            ((A((0, 3)), A((0, 3))), {}, jnp.cross),
            ((A((2,)), A((2,))), {}, None),
        ],
        "numpy.diagflat": [
            ((A((0,)),), {}, jnp.diagflat),
            ((A((1, 1)),), {}, jnp.diagflat),
            ((A(()),), {}, jnp.diagflat),
        ],
        "numpy.dsplit": [((A((1, 1, 2)), 2), {}, jnp.dsplit), ((A((1, 1, 0)), 1), {}, jnp.dsplit)],
        "numpy.hsplit": [((A((2, 0)), 1), {}, jnp.hsplit), ((A((1, 2)), 2), {}, jnp.hsplit)],
        "numpy.vsplit": [((A((0, 2)), 1), {}, jnp.vsplit), ((A((2, 1)), 2), {}, jnp.vsplit)],
        "numpy.dstack": [
            (([A((2,)), A((2,))],), {}, jnp.dstack),
            (([A((0,)), A((0,))],), {}, jnp.dstack),
        ],
        "numpy.hstack": [
            (([A((2, 0)), A((2, 1))],), {}, jnp.hstack),
            (([A(()), A(())],), {}, jnp.hstack),
        ],
        "numpy.vstack": [
            (([A((0, 2)), A((1, 2))],), {}, jnp.vstack),
            (([A(()), A(())],), {}, jnp.vstack),
        ],
        "numpy.geomspace": [
            ((1, 2), {"num": 0}, jnp.geomspace),
            ((1, 2), {"num": 1}, jnp.geomspace),
        ],
        "numpy.logspace": [((0, 1), {"num": 0}, jnp.logspace), ((0, 1), {"num": 1}, jnp.logspace)],
        "numpy.i0": [((A((2, 0)),), {}, jnp.i0), ((A(()),), {}, jnp.i0), ((A((1,)),), {}, jnp.i0)],
        "numpy.nanmedian": [
            ((A((2, 0)),), {"axis": 0}, jnp.nanmedian),
            ((A((1, 1)),), {}, jnp.nanmedian),
        ],
        "numpy.percentile": [
            ((A((2, 1)), 50), {"axis": 0}, jnp.percentile),
            ((A((0, 2)), 50), {"axis": 1}, jnp.percentile),
        ],
        "numpy.nanpercentile": [((A((2, 1)), 50), {"axis": 0}, jnp.nanpercentile)],
        "numpy.nanquantile": [
            ((A((2, 1)), 0.5), {"axis": 0}, jnp.nanquantile),
            ((A((1,)), 0.5), {}, jnp.nanquantile),
        ],
        "numpy.view": [
            ((A((2, 0)), "int32"), {}, lambda x, d: np.asarray(x).view(d)),
            ((A((1,)), "float32"), {}, lambda x, d: np.asarray(x).view(d)),
        ],
        # -- random --
        "random.beta": [
            (((0,), 1.0, 1.0), {"seed": 1}, None),
            (((1,), 0.5, 0.5), {"seed": 1}, None),
        ],
        "random.binomial": [
            (((0,), 5, 0.5), {"seed": 1}, None),
            (((1,), 1, 0.5), {"seed": 1}, None),
        ],
        "random.gamma": [(((0,), 1.0), {"seed": 1}, None), (((1,), 0.5), {"seed": 1}, None)],
        "random.randint": [(((0,), 0, 3), {"seed": 1}, None), (((1,), 0, 1), {"seed": 1}, None)],
        "random.truncated_normal": [(((0, 2),), {"seed": 1}, None), (((1,),), {"seed": 1}, None)],
        "random.dropout": [
            ((A((2, 0)), 0.5), {"seed": 1}, None),
            ((A((1,)), 0.0), {"seed": 1}, None),
        ],
    }


# Ops the table does not describe: op -> reason.
NOT_DESCRIBED = {
    "linalg.jvp": "a function transform: its argument is a Python function, not arrays",
    "numpy.vectorize": "takes and returns a Python function: no array arguments",
}


def cases(full=FULL):
    """Every case: ``{id: (op, args, kwargs, dtype, ref)}`` with stable ids."""
    from keras_ov.ops.registry import REGISTRY

    special = _special()
    out = {}
    for op in sorted(REGISTRY):
        if op in special:
            made = [(args, kw, "float32", ref) for args, kw, ref in special[op]]
            made += [
                (args, kw, "int32", ref)
                for args, kw, ref in special[op]
                if full and any(isinstance(a, A) and a.dtype is None for a in args)
            ]
        else:
            fam = family(op, REGISTRY[op])
            made = list(fam(op, full)) if fam else []
        for k, (args, kw, dt, ref) in enumerate(made):
            out[f"{op}#{k}"] = (op, args, kw, dt, ref)
    return out


def not_described():
    from keras_ov.ops.registry import REGISTRY

    special = _special()
    return {
        op: NOT_DESCRIBED.get(op)
        for op in sorted(REGISTRY)
        if op not in special and family(op, REGISTRY[op]) is None
    }


# -- the child ---------------------------------------------------------------------


def _make(a, dtype, rng):
    import ml_dtypes

    if isinstance(a, (list, tuple)):
        return type(a)(_make(i, dtype, rng) for i in a)
    if not isinstance(a, A):
        return a
    dt = a.dtype or dtype
    lo = 0.1 if a.lo is None else a.lo
    if dt == "bool":
        return rng.random(a.shape) > 0.5
    np_dt = ml_dtypes.bfloat16 if dt == "bfloat16" else np.dtype(dt)
    if dt.startswith(("int", "uint")):
        hi = 4 if a.hi is None else a.hi
        return rng.integers(max(int(lo), 1) if a.lo is None else int(lo), hi, a.shape).astype(np_dt)
    hi = 0.9 if a.hi is None else a.hi
    return rng.uniform(lo, hi, a.shape).astype(np_dt)


def _flat(x):
    if isinstance(x, (list, tuple)):
        out = []
        for i in x:
            out.extend(_flat(i))
        return out
    return [x]


def _compare(got, want):
    got, want = _flat(got), _flat(want)
    if len(got) != len(want):
        return f"{len(got)} outputs, reference has {len(want)}"
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape:
            return f"shape {g.shape}, reference {w.shape}"
        if g.size == 0:
            continue
        g64, w64 = g.astype(np.float64), w.astype(np.float64)
        tol = 2e-2 if {g.dtype.name, w.dtype.name} & {"float16", "bfloat16"} else 1e-4
        if not np.allclose(g64, w64, rtol=tol, atol=tol, equal_nan=True):
            return f"values {g64.ravel()[:4]} vs reference {w64.ravel()[:4]}"
    return None


def run_case(case):
    op, args, kw, dt, ref = case
    from keras_ov.ops.registry import REGISTRY

    rng = np.random.default_rng(0)
    made = _make(args, dt, rng)
    try:
        got = REGISTRY[op](*made, **kw)
        got = [np.asarray(g) for g in _flat(got)]
    except Exception as e:  # noqa: BLE001  (the point: a Python exception, not a signal)
        return {"status": "raised", "error": f"{type(e).__name__}: {str(e)[:200]}"}
    if ref is None:
        return {"status": "ok"}
    try:
        want = ref(*[_to_ref(a) for a in made], **kw)
    except Exception as e:  # noqa: BLE001  (the reference refuses)
        return {"status": "ref-raised", "error": f"{type(e).__name__}: {str(e)[:120]}"}
    bad = _compare(got, want)
    return {"status": "mismatch", "error": bad} if bad else {"status": "ok"}


def _to_ref(a):
    if isinstance(a, np.ndarray) and a.dtype.name == "bfloat16":
        return a.astype(np.float32)
    if isinstance(a, list):
        if not any(isinstance(i, np.ndarray) for i in _flat(a)):
            return np.asarray(a)  # Python operands (jax.numpy takes no lists)
        return [_to_ref(i) for i in a]
    return a


def main():
    import jax

    import keras_ov  # noqa: F401  (before keras)

    jax.config.update("jax_enable_x64", True)
    table = cases()
    for cid in json.load(sys.stdin):
        result = run_case(table[cid])
        result["id"] = cid
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
