"""Gradient rules of activations and the remaining element-wise math.

Each derivative is written from the op's input ``x`` and output ``y`` with
forward nodes; kinks (ReLU-like corners) take the derivative of the side the
CPU kernel computes for ``x`` strictly inside it, as JAX does.
"""

import math

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import add, div, like, mul, neg, sub, unbroadcast
from keras_ov.autodiff.rules_elementwise import unary
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _mask(cond, x):
    return g.out(ov_ops.convert(cond, x.get_element_type()))


def _sq(x):
    return mul(x, x)


def _rsqrt(x):
    return div(like(1, x), g.out(ov_ops.sqrt(x)))


unary("Tan", lambda x, y: add(like(1, x), _sq(y)))
unary("Asin", lambda x, y: _rsqrt(sub(like(1, x), _sq(x))))
unary("Acos", lambda x, y: neg(_rsqrt(sub(like(1, x), _sq(x)))))
unary("Atan", lambda x, y: div(like(1, x), add(like(1, x), _sq(x))))
unary("Sinh", lambda x, y: g.out(ov_ops.cosh(x)))
unary("Cosh", lambda x, y: g.out(ov_ops.sinh(x)))
unary("Asinh", lambda x, y: _rsqrt(add(_sq(x), like(1, x))))
unary("Acosh", lambda x, y: _rsqrt(sub(_sq(x), like(1, x))))
unary("Atanh", lambda x, y: div(like(1, x), sub(like(1, x), _sq(x))))
unary("SoftSign", lambda x, y: _sq(div(like(1, x), add(like(1, x), g.out(ov_ops.abs(x))))))
unary(
    "HSigmoid",
    lambda x, y: mul(
        like(1 / 6, x),
        _mask(ov_ops.logical_and(ov_ops.greater(x, like(-3, x)), ov_ops.less(x, like(3, x))), x),
    ),
)


def _hswish(x, y):
    inside = ov_ops.logical_and(ov_ops.greater(x, like(-3, x)), ov_ops.less(x, like(3, x)))
    slope = div(add(mul(like(2, x), x), like(3, x)), like(6, x))
    return g.select(inside, slope, _mask(ov_ops.greater_equal(x, like(3, x)), x))


unary("HSwish", _hswish)


def _gelu_erf(x):
    cdf = mul(like(0.5, x), add(like(1, x), g.out(ov_ops.erf(mul(x, like(1 / math.sqrt(2), x))))))
    pdf = mul(like(1 / math.sqrt(2 * math.pi), x), g.out(ov_ops.exp(mul(like(-0.5, x), _sq(x)))))
    return add(cdf, mul(x, pdf))


def _gelu_tanh(x):
    c = math.sqrt(2 / math.pi)
    inner = mul(like(c, x), add(x, mul(like(0.044715, x), mul(x, _sq(x)))))
    t = g.out(ov_ops.tanh(inner))
    d_inner = mul(like(c, x), add(like(1, x), mul(like(3 * 0.044715, x), _sq(x))))
    return add(
        mul(like(0.5, x), add(like(1, x), t)),
        mul(mul(like(0.5, x), x), mul(sub(like(1, x), _sq(t)), d_inner)),
    )


@rule("Gelu")
def _(node, ct):
    (x,) = inputs(node)
    mode = str(node.get_attributes()["approximation_mode"]).lower()
    return [mul(ct[0], _gelu_tanh(x) if mode == "tanh" else _gelu_erf(x))]


@rule("Swish")
def _(node, ct):
    xs = inputs(node)
    x = xs[0]
    beta = xs[1] if len(xs) > 1 else like(1, x)
    s = g.out(ov_ops.sigmoid(mul(beta, x)))
    ds = mul(s, sub(like(1, x), s))  # sigma'(beta x)
    dx = add(s, mul(mul(beta, x), ds))
    out = [mul(ct[0], dx)]
    if len(xs) > 1:
        out.append(unbroadcast(mul(ct[0], mul(_sq(x), ds)), beta))
    return out


@rule("Elu")
def _(node, ct):
    (x,) = inputs(node)
    alpha = node.get_attributes()["alpha"]
    y = node.output(0)
    return [mul(ct[0], g.select(ov_ops.greater(x, like(0, x)), like(1, x), add(y, like(alpha, x))))]


@rule("Selu")
def _(node, ct):
    x, alpha, lam = inputs(node)
    neg_side = mul(mul(lam, alpha), g.out(ov_ops.exp(x)))
    d = g.select(
        ov_ops.greater(x, like(0, x)), g.out(ov_ops.broadcast(lam, g.shape_of(x))), neg_side
    )
    return [mul(ct[0], d), None, None]


@rule("PRelu")
def _(node, ct):
    x, slope = inputs(node)
    if g.rank(slope) > 1 or (
        g.rank(slope) == 1 and g.rank(x) > 1 and g.static_shape(slope)[0] not in (1, None)
    ):
        raise NotImplementedError("keras-ov: gradient of PRelu with a per-channel slope")
    positive = ov_ops.greater(x, like(0, x))
    dx = g.select(positive, ct[0], mul(ct[0], slope))
    dslope = g.select(positive, like(0, x), mul(ct[0], x))
    return [dx, unbroadcast(dslope, slope)]


@rule("SquaredDifference")
def _(node, ct):
    a, b = inputs(node)
    da = mul(ct[0], mul(like(2, a), sub(a, b)))
    return [unbroadcast(da, a), unbroadcast(neg(da), b)]


def _remainder(node, ct, quotient):
    a, b = inputs(node)
    q = quotient(div(a, b))
    return [unbroadcast(ct[0], a), unbroadcast(neg(mul(ct[0], q)), b)]


@rule("FloorMod")
def _(node, ct):
    # a - floor(a / b) * b: 1 for a, -floor(a / b) for b (as JAX's mod).
    return _remainder(node, ct, lambda q: g.out(ov_ops.floor(q)))


@rule("Mod")
def _(node, ct):
    # a - trunc(a / b) * b.
    return _remainder(
        node, ct, lambda q: mul(g.out(ov_ops.sign(q)), g.out(ov_ops.floor(g.out(ov_ops.abs(q)))))
    )
