"""Reverse-mode differentiation of OpenVINO graphs.

``grad(ys, xs)`` walks the graph that computes the ``openvino.Output`` values
``ys`` back to the Outputs ``xs`` and returns, for each ``x``, an Output that
computes the vector-Jacobian product: gradients are ordinary graph nodes, so
they compile, fold and cache like any forward graph.

Each OpenVINO op type has one rule in ``RULES``, registered with ``@rule``
next to its siblings in the ``rules_*`` modules::

    @rule("Multiply")
    def _(node, ct):            # ct: the cotangent of each node output (or None)
        a, b = inputs(node)
        return [unbroadcast(mul(ct[0], b), a), unbroadcast(mul(ct[0], a), b)]

A rule returns one cotangent per node input, ``None`` where no gradient flows
(shapes, indices, comparisons).  Types in ``NONDIFF`` have no differentiable
outputs at all.  A node reached by a gradient whose type has no rule raises
``NotImplementedError`` naming the type: never a silently wrong gradient.

Two markers stop or redirect the walk (set by ``keras.ops.stop_gradient`` and
``custom_gradient`` through ``mark_stop`` and ``mark_custom``).
"""

import itertools

from keras_ov.engine import scope
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops

RULES = {}

# Op types whose outputs carry no gradient: integer/boolean results, shape
# arithmetic, random bits.  (Float outputs of these types never depend on a
# differentiable input in a way that has a derivative.)
NONDIFF = frozenset(
    {
        "ShapeOf",
        "Equal",
        "NotEqual",
        "Less",
        "LessEqual",
        "Greater",
        "GreaterEqual",
        "LogicalAnd",
        "LogicalOr",
        "LogicalNot",
        "LogicalXor",
        "ReduceLogicalAnd",
        "ReduceLogicalOr",
        "IsNaN",
        "IsInf",
        "IsFinite",
        "Sign",
        "Floor",
        "Ceiling",
        "Round",
        "BitwiseAnd",
        "BitwiseOr",
        "BitwiseXor",
        "BitwiseNot",
        "BitwiseLeftShift",
        "BitwiseRightShift",
        "RandomUniform",
        "Range",
        "NonZero",
        "ArgMax",
        "ArgMin",
        "OneHot",
        "Bucketize",
        "Unique",
        "NonMaxSuppression",
        "SearchSorted",
        "Multinomial",
    }
)

_STOP = "keras_ov_stop_gradient"
_CUSTOM = "keras_ov_custom_gradient"
_CUSTOM_FNS = scope.NodeTable()  # node instance id -> (input Outputs, vjp function)


def rule(*type_names):
    """Register ``fn(node, cotangents) -> input cotangents`` for op types."""

    def deco(fn):
        for name in type_names:
            if name in RULES:
                raise RuntimeError(f"keras-ov: gradient rule for {name} registered twice")
            RULES[name] = fn
        return fn

    return deco


def inputs(node):
    """A node's input values (Outputs)."""
    return [node.input_value(i) for i in range(node.get_input_size())]


def is_float(x):
    return x.get_element_type().is_real()


# -- markers ---------------------------------------------------------------
def mark_stop(x):
    """An identity of ``x`` that gradients do not pass (``stop_gradient``)."""
    if not is_float(x):  # no gradient flows through integers anyway
        return x
    node = ov_ops.convert(x, x.get_element_type())
    node.get_rt_info()[_STOP] = True
    return node.output(0)


def mark_custom(y, xs, vjp):
    """An identity of ``y`` whose gradient is ``vjp(ct)`` -> cotangents of ``xs``.

    The walk does not enter the graph that computes ``y``: the cotangents
    ``vjp`` returns are sent to ``xs`` instead.
    """
    node = ov_ops.convert(y, y.get_element_type())
    node.get_rt_info()[_CUSTOM] = True
    _CUSTOM_FNS[node.get_instance_id()] = (list(xs), vjp)
    return node.output(0)


def _flag(node, name):
    rt = node.get_rt_info()
    if name not in rt:
        return False
    if name == _CUSTOM and node.get_instance_id() not in _CUSTOM_FNS:
        # a clone (an If/Loop body differentiated as a copy) keeps the mark, not the vjp
        raise NotImplementedError(
            "keras-ov: `custom_gradient` inside a `cond`/`while_loop`/`scan` body cannot be "
            f"differentiated yet ({node.get_friendly_name()})"
        )
    return True


# -- the walk ----------------------------------------------------------------
def _key(output):
    return (output.get_node().get_instance_id(), output.get_index())


def _topological(ys, x_keys):
    """Nodes that lie between ``xs`` and ``ys``, ``ys``' side last."""
    order, state, reaches = [], {}, {}
    for y in ys:
        stack = [(y.get_node(), False)]
        while stack:
            node, done = stack.pop()
            nid = node.get_instance_id()
            if done:
                srcs = [v for v in inputs(node)]
                if _flag(node, _CUSTOM):
                    srcs = srcs + _CUSTOM_FNS[nid][0]
                if _flag(node, g.STRAIGHT_THROUGH_FLAG):
                    srcs = srcs + [g.STRAIGHT_THROUGH[nid]]
                hit = any(
                    _key(v) in x_keys or reaches.get(v.get_node().get_instance_id()) for v in srcs
                )
                reaches[nid] = hit and not _flag(node, _STOP)
                state[nid] = 2
                order.append(node)
                continue
            if state.get(nid):
                continue
            state[nid] = 1
            stack.append((node, True))
            srcs = inputs(node)
            if _flag(node, _CUSTOM):
                srcs = srcs + _CUSTOM_FNS[nid][0]
            if _flag(node, g.STRAIGHT_THROUGH_FLAG):
                srcs = srcs + [g.STRAIGHT_THROUGH[nid]]
            for v in srcs:
                if not state.get(v.get_node().get_instance_id()):
                    stack.append((v.get_node(), False))
    return [n for n in order if reaches[n.get_instance_id()]]


def _accumulate(cts, output, ct):
    if ct is None:
        return
    ct = g.out(ct)
    if ct.get_element_type() != output.get_element_type():
        # Narrowing rounds to nearest even (``g.cast``), as JAX rounds the
        # cotangent of a bfloat16/float8 value; the CPU's Convert may not.
        ct = g.cast(ct, g.dtype(output))
    key = _key(output)
    prev = cts.get(key)
    cts[key] = ct if prev is None else g.out(ov_ops.add(prev, ct))


def grad(ys, xs, cotangents=None):
    """Cotangents of ``xs`` for the cotangents of ``ys`` (``d sum(ys) / d xs``).

    ``ys`` and ``xs`` are lists of ``openvino.Output``; ``cotangents`` (one per
    y, same shape) defaults to ones.  An ``x`` that ``ys`` do not depend on
    gets zeros.
    """
    ys, xs = [g.out(y) for y in ys], [g.out(x) for x in xs]
    for v in itertools.chain(ys, xs):
        if not is_float(v):
            raise TypeError(
                f"keras-ov: `grad` differentiates floating-point values only, got "
                f"{v.get_element_type()} ({v.get_node().get_type_name()})"
            )
    if cotangents is None:
        cotangents = [g.out(ov_ops.broadcast(g.const(1, g.dtype(y)), g.shape_of(y))) for y in ys]
    x_keys = {_key(x) for x in xs}
    cts = {}
    for y, ct in zip(ys, cotangents):
        _accumulate(cts, y, ct)
    for node in reversed(_topological(ys, x_keys)):
        outs = [cts.get((node.get_instance_id(), i)) for i in range(node.get_output_size())]
        if all(c is None for c in outs) or _flag(node, _STOP):
            continue
        if _flag(node, _CUSTOM):
            srcs, vjp = _CUSTOM_FNS[node.get_instance_id()]
            for src, ct in zip(srcs, vjp(outs[0])):
                _accumulate(cts, src, ct)
            continue
        if _flag(node, g.STRAIGHT_THROUGH_FLAG):  # a rounding cast: the identity
            ct = outs[0]
            narrow = g.ROUND_COTANGENT.get(node.get_instance_id())
            if narrow is not None:  # it stood for a float8 value
                ct = g.cast(g.cast(ct, narrow), g.dtype(ct))
            _accumulate(cts, g.STRAIGHT_THROUGH[node.get_instance_id()], ct)
            continue
        kind = node.get_type_name()
        if kind in NONDIFF:
            continue
        fn = RULES.get(kind)
        if fn is None:
            raise NotImplementedError(
                f"keras-ov: no gradient rule for the OpenVINO op {kind} "
                f"({node.get_friendly_name()})"
            )
        in_cts = fn(node, outs)
        if len(in_cts) != node.get_input_size():
            raise RuntimeError(
                f"keras-ov: gradient rule for {kind} returned {len(in_cts)} cotangents "
                f"for {node.get_input_size()} inputs"
            )
        for src, ct in zip(inputs(node), in_cts):
            if ct is not None and is_float(src):
                _accumulate(cts, src, ct)
    return [cts.get(_key(x)) if _key(x) in cts else g.zeros_like(x) for x in xs]
