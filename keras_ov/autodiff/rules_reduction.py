"""Gradient rules of reductions: one helper broadcasts the cotangent back."""

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import broadcast_back, const_axes, div, mul
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _axes(node):
    x = node.input_value(0)
    axes = const_axes(node, 1, g.rank(x))
    if axes is None:
        raise NotImplementedError(
            f"keras-ov: gradient of {node.get_type_name()} over non-constant axes"
        )
    return axes


def _back(node, ct):
    return broadcast_back(ct, node.input_value(0), _axes(node), node.get_attributes()["keep_dims"])


def _count(x, axes):
    """The number of elements reduced over ``axes`` (a scalar of x's type)."""
    dims = g.out(ov_ops.gather(g.shape_of(x), g.i64(axes), g.i64(0)))
    n = g.out(ov_ops.reduce_prod(dims, g.i64([0]), False))
    return g.out(ov_ops.convert(n, x.get_element_type()))


@rule("ReduceSum")
def _(node, ct):
    return [_back(node, ct[0]), None]


@rule("ReduceMean")
def _(node, ct):
    x = node.input_value(0)
    return [div(_back(node, ct[0]), _count(x, _axes(node))), None]


def _extremum(node, ct):
    """Max/min: the cotangent is shared evenly by the elements that tie for it."""
    x = inputs(node)[0]
    y = _back(node, node.output(0))
    hit = g.out(ov_ops.convert(ov_ops.equal(x, y), x.get_element_type()))
    axes = _axes(node)
    ties = broadcast_back(g.out(ov_ops.reduce_sum(hit, g.i64(axes), False)), x, axes, False)
    return [
        mul(div(hit, ties), broadcast_back(ct[0], x, axes, node.get_attributes()["keep_dims"])),
        None,
    ]


@rule("ReduceMax")
def _(node, ct):
    return _extremum(node, ct)


@rule("ReduceMin")
def _(node, ct):
    return _extremum(node, ct)


@rule("ReduceProd")
def _(node, ct):
    x = inputs(node)[0]
    return [div(mul(_back(node, ct[0]), _back(node, node.output(0))), x), None]


@rule("ReduceL2")
def _(node, ct):
    x = inputs(node)[0]
    return [mul(_back(node, ct[0]), div(x, _back(node, node.output(0)))), None]


@rule("ReduceL1")
def _(node, ct):
    x = inputs(node)[0]
    return [mul(_back(node, ct[0]), g.out(ov_ops.sign(x))), None]
