"""Gradient rules of element-wise ops (binary ones broadcast back with ``unbroadcast``)."""

import math

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import add, div, like, mul, neg, sub, unbroadcast
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def unary(type_name, derivative):
    """Register ``ct * derivative(x, y)`` for a one-input op (``y`` its output)."""

    @rule(type_name)
    def _(node, ct):
        (x,) = inputs(node)
        return [mul(ct[0], derivative(x, node.output(0)))]


def _mask(cond, x):
    return g.out(ov_ops.convert(cond, x.get_element_type()))


unary("Exp", lambda x, y: y)
unary("Log", lambda x, y: div(like(1, x), x))
unary("Sqrt", lambda x, y: div(like(0.5, x), y))
unary("Tanh", lambda x, y: sub(like(1, x), mul(y, y)))
unary("Sigmoid", lambda x, y: mul(y, sub(like(1, x), y)))
unary("Relu", lambda x, y: _mask(ov_ops.greater(x, like(0, x)), x))
unary("Abs", lambda x, y: g.out(ov_ops.sign(x)))
unary("Sin", lambda x, y: g.out(ov_ops.cos(x)))
unary("Cos", lambda x, y: neg(g.out(ov_ops.sin(x))))
unary("Erf", lambda x, y: mul(like(2 / math.sqrt(math.pi), x), g.out(ov_ops.exp(neg(mul(x, x))))))
unary("SoftPlus", lambda x, y: g.out(ov_ops.sigmoid(x)))


@rule("Negative")
def _(node, ct):
    return [neg(ct[0])]


@rule("Convert")
def _(node, ct):
    # The walk converts the cotangent to the input's type; integer inputs get none.
    return [ct[0]]


@rule("Add")
def _(node, ct):
    a, b = inputs(node)
    return [unbroadcast(ct[0], a), unbroadcast(ct[0], b)]


@rule("Subtract")
def _(node, ct):
    a, b = inputs(node)
    return [unbroadcast(ct[0], a), unbroadcast(neg(ct[0]), b)]


@rule("Multiply")
def _(node, ct):
    a, b = inputs(node)
    return [unbroadcast(mul(ct[0], b), a), unbroadcast(mul(ct[0], a), b)]


@rule("Divide")
def _(node, ct):
    a, b = inputs(node)
    ga = div(ct[0], b)
    return [unbroadcast(ga, a), unbroadcast(neg(mul(ga, node.output(0))), b)]


@rule("Power")
def _(node, ct):
    a, b = inputs(node)
    y = node.output(0)
    ga = mul(ct[0], mul(b, g.out(ov_ops.power(a, sub(b, like(1, b))))))
    # d/db a**b = a**b log(a), taken as 0 where a <= 0 (as JAX does at a == 0).
    positive = ov_ops.greater(a, like(0, a))
    safe = g.select(positive, a, g.out(ov_ops.broadcast(like(1, a), g.shape_of(a))))
    log_a = g.select(positive, g.out(ov_ops.log(safe)), like(0, a))
    gb = mul(ct[0], mul(y, log_a))
    return [unbroadcast(ga, a), unbroadcast(gb, b)]


def _pick(node, ct, first_wins):
    """Maximum/Minimum: the cotangent goes to the chosen operand, halved on ties."""
    a, b = inputs(node)
    chosen = _mask(first_wins(a, b), ct[0])
    tie = mul(_mask(ov_ops.equal(a, b), ct[0]), like(0.5, ct[0]))
    wa = add(chosen, tie)
    wb = sub(sub(like(1, ct[0]), chosen), tie)
    return [unbroadcast(mul(ct[0], wa), a), unbroadcast(mul(ct[0], wb), b)]


@rule("Maximum")
def _(node, ct):
    return _pick(node, ct, ov_ops.greater)


@rule("Minimum")
def _(node, ct):
    return _pick(node, ct, ov_ops.less)


@rule("Select")
def _(node, ct):
    cond, a, b = inputs(node)
    zero = like(0, ct[0])
    return [
        None,
        unbroadcast(g.select(cond, ct[0], zero), a),
        unbroadcast(g.select(cond, zero, ct[0]), b),
    ]


@rule("FakeQuantize")
def _(node, ct):
    # Straight through inside the input range (the quantization's own rounding
    # has no useful derivative), zero outside it, as in quantization-aware training.
    x, low, high = inputs(node)[:3]
    inside = ov_ops.logical_and(ov_ops.greater_equal(x, low), ov_ops.less_equal(x, high))
    return [mul(ct[0], _mask(inside, x)), None, None, None, None]


@rule("Clamp")
def _(node, ct):
    (x,) = inputs(node)
    attrs = node.get_attributes()
    inside = ov_ops.logical_and(
        ov_ops.greater_equal(x, like(attrs["min"], x)), ov_ops.less_equal(x, like(attrs["max"], x))
    )
    return [mul(ct[0], _mask(inside, x))]


@rule("Softmax")
def _(node, ct):
    y = node.output(0)
    axis = node.get_attributes()["axis"]
    s = g.out(ov_ops.reduce_sum(mul(ct[0], y), g.i64([axis]), True))
    return [mul(y, sub(ct[0], s))]


@rule("LogSoftmax")
def _(node, ct):
    y = node.output(0)
    axis = node.get_attributes()["axis"]
    s = g.out(ov_ops.reduce_sum(ct[0], g.i64([axis]), True))
    return [sub(ct[0], mul(g.out(ov_ops.exp(y)), s))]
