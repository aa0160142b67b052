"""Gradient rules of matrix products."""

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import unbroadcast
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _matmul(a, b, ta, tb):
    return g.out(ov_ops.matmul(a, b, ta, tb))


@rule("MatMul")
def _(node, ct):
    a, b = inputs(node)
    attrs = node.get_attributes()
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    c = ct[0]
    # 1-D operands are matrices of one row (a) or one column (b) for the product.
    a1, b1 = g.rank(a) == 1, g.rank(b) == 1
    a2 = g.unsqueeze_axes(a, [0]) if a1 else a
    b2 = g.unsqueeze_axes(b, [1]) if b1 else b
    if a1:
        c = g.unsqueeze_axes(c, [g.rank(c) - 1 if not b1 else 0])
    if b1:
        c = g.unsqueeze_axes(c, [g.rank(c)])
    ta, tb = ta and not a1, tb and not b1
    # C = op(A) @ op(B): dA = dC @ op(B)^T (transposed back if A was), likewise dB.
    da = _matmul(b2, c, tb, True) if ta else _matmul(c, b2, False, not tb)
    db = _matmul(c, a2, True, ta) if tb else _matmul(a2, c, not ta, False)
    if a1:
        da = g.reshape_to(unbroadcast(da, a2), g.shape_of(a))
    if b1:
        db = g.reshape_to(unbroadcast(db, b2), g.shape_of(b))
    return [unbroadcast(da, a), unbroadcast(db, b)]


@rule("Inverse")
def _(node, ct):
    # d(A^-1) = -A^-1 dA A^-1, so dA = -Y^T ct Y^T (Y = A^-1, batched over leading dims)
    y = node.output(0)
    return [g.out(ov_ops.negative(_matmul(_matmul(y, ct[0], True, False), y, False, True)))]
