"""Layout clean-up of traced models: fold constants, sink and cancel Transposes.

Keras models are channels-last; OpenVINO's Convolution, GroupConvolution and
pooling ops are channels-first.  Each conv translator therefore wraps its op in
a Transpose pair (NHWC -> NCHW -> NHWC).  Between two convolutions sit
elementwise ops (bias, batch-norm scale/shift, activations, residual adds), so
the pairs never meet.  ``sink_transposes`` moves every Transpose forward
through ops that commute with it -- elementwise unary ops, elementwise binary
ops whose other operand is a constant (transposed here, on the host) or is
transposed the same way, Pad, Concat, reductions -- until it meets the next
Transpose and the two collapse (usually into nothing).  Transposes next to an
Einsum (attention's head split and merge) become part of its equation.  What OpenVINO's
TensorFlow frontend achieves with its transpose-sinking passes; those are not
exposed in OpenVINO's Python API, hence this small pass.

``optimize(model)`` runs constant folding, the sinking, then OpenVINO's own
MOC transformations (which fuse the now adjacent conv/scale/bias ops).  It is
applied to traced functions (predict, evaluate, export), never to the small
eager graphs.
"""

import numpy as np
from openvino import opset15 as op
from openvino._offline_transformations import apply_moc_transformations
from openvino.passes import ConstantFolding, Manager

UNARY = frozenset((
    "Abs", "Ceiling", "Clamp", "Convert", "Cos", "Elu", "Erf", "Exp", "Floor", "Gelu",
    "HSigmoid", "HSwish", "Log", "LogicalNot", "Mish", "Negative", "Relu", "Sigmoid", "Sign",
    "Sin", "SoftPlus", "Sqrt", "Swish", "Tanh",
))
BINARY = frozenset((
    "Add", "Divide", "Equal", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd",
    "LogicalOr", "Maximum", "Minimum", "Multiply", "NotEqual", "Power",
    "SquaredDifference", "Subtract",
))
REDUCE = frozenset((
    "ReduceL1", "ReduceL2", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
))


def _perm_of(output):
    """The permutation if ``output`` comes out of a Transpose by a constant."""
    node = output.get_node()
    if node.get_type_name() != "Transpose":
        return None
    perm = node.input_value(1).get_node()
    if perm.get_type_name() != "Constant":
        return None
    return [int(p) for p in perm.get_data().reshape(-1)]


def _constant(output):
    node = output.get_node()
    return node.get_data() if node.get_type_name() == "Constant" else None


def _transpose(output, perm):
    return op.transpose(output, op.constant(np.array(perm, dtype=np.int64))).output(0)


def _constant_transposed(value, data, perm):
    """Constant ``data`` (broadcastable to rank ``len(perm)``, as the operand
    ``value`` of an element-wise op) transposed on the host by ``perm``."""
    rank = len(perm)
    data = data.reshape((1,) * (rank - data.ndim) + data.shape)
    folded = np.ascontiguousarray(np.transpose(data, perm))
    return op.constant(folded, dtype=value.get_element_type()).output(0)


def _move_below(node, perm):
    """Put a Transpose(perm) after every output of ``node``."""
    for out in node.outputs():
        targets = list(out.get_target_inputs())
        new = _transpose(out, perm)
        for t in targets:
            t.replace_source_output(new)


def _bypass(node, i):
    """Feed input ``i`` of ``node`` from before the Transpose that feeds it."""
    node.input(i).replace_source_output(node.input_value(i).get_node().input_value(0))


def _sink_unary(node, perm):
    _bypass(node, 0)
    node.validate_and_infer_types()
    _move_below(node, perm)


def _sink_binary(node):
    """Both operands transposed alike, or one transposed and one constant."""
    values = [node.input_value(i) for i in range(2)]
    perms = [_perm_of(v) for v in values]
    perm = perms[0] or perms[1]
    if perm is None:
        return False
    inverse = list(np.argsort(perm))
    rank = len(perm)
    new_inputs = []
    for v, p in zip(values, perms):
        if p == perm:
            new_inputs.append(v.get_node().input_value(0))
            continue
        data = _constant(v)
        if data is None or p is not None or data.ndim > rank:
            return False
        new_inputs.append(_constant_transposed(v, data, inverse))
    for i, v in enumerate(new_inputs):
        node.input(i).replace_source_output(v)
    node.validate_and_infer_types()
    _move_below(node, perm)
    return True


def _sink_pad(node, perm):
    begin, end = _constant(node.input_value(1)), _constant(node.input_value(2))
    if begin is None or end is None:
        return False
    inverse = np.argsort(perm)
    _bypass(node, 0)
    for i, pads in ((1, begin), (2, end)):
        node.input(i).replace_source_output(op.constant(pads[inverse].astype(np.int64)).output(0))
    node.validate_and_infer_types()
    _move_below(node, perm)
    return True


def _sink_reduce(node, perm):
    axes = _constant(node.input_value(1))
    if axes is None:
        return False
    rank = len(perm)
    axes = sorted(int(a) % rank for a in axes.reshape(-1))
    keep = bool(node.get_attributes()["keep_dims"])
    _bypass(node, 0)
    node.input(1).replace_source_output(
        op.constant(np.array([perm[a] for a in axes], dtype=np.int64)).output(0))
    node.validate_and_infer_types()
    if keep:
        out_perm = perm
    else:  # the kept axes, in their new order, renumbered
        kept = [perm[i] for i in range(rank) if i not in axes]
        out_perm = [int(r) for r in np.argsort(np.argsort(kept))]
    if out_perm != sorted(out_perm):
        _move_below(node, out_perm)
    return True


def _sink_concat(node):
    perms = [_perm_of(node.input_value(i)) for i in range(node.get_input_size())]
    if perms[0] is None or any(p != perms[0] for p in perms):
        return False
    perm = perms[0]
    axis = node.get_attributes()["axis"] % len(perm)
    for i in range(node.get_input_size()):
        _bypass(node, i)
    node.set_attribute("axis", perm[axis])
    node.validate_and_infer_types()
    _move_below(node, perm)
    return True


def _fuse_transposes(node, perm):
    """Transpose(Transpose(x, p), q) is Transpose(x, p[q]), or x itself."""
    outer = _constant(node.input_value(1))
    if outer is None:
        return False
    source = node.input_value(0).get_node().input_value(0)
    combined = [perm[int(q)] for q in outer.reshape(-1)]
    replacement = source if combined == sorted(combined) else _transpose(source, combined)
    for t in list(node.output(0).get_target_inputs()):
        t.replace_source_output(replacement)
    return True


def _einsum_parts(node):
    inputs, output = node.get_attributes()["equation"].replace(" ", "").split("->")
    return inputs.split(","), output


def _absorb_into_einsum_inputs(node):
    """Einsum(Transpose(x, p), ...) is Einsum(x, ...) with x's subscripts permuted."""
    subs, output = _einsum_parts(node)
    changed = False
    for i in range(node.get_input_size()):
        perm = _perm_of(node.input_value(i))
        if perm is None or "." in subs[i] or len(subs[i]) != len(perm):
            continue
        own = [""] * len(perm)
        for j, p in enumerate(perm):
            own[p] = subs[i][j]
        subs[i] = "".join(own)
        _bypass(node, i)
        changed = True
    if changed:
        node.set_attribute("equation", ",".join(subs) + "->" + output)
        node.validate_and_infer_types()
    return changed


def _permute_einsum_output(einsum, perm):
    """Make the Einsum behind output ``einsum`` write its output permuted by
    ``perm``.  False (and nothing changed) if it has other readers or its
    output subscripts cannot be permuted (ellipsis, another rank)."""
    if len(einsum.get_target_inputs()) != 1:
        return False
    subs, output = _einsum_parts(einsum.get_node())
    if "." in output or len(output) != len(perm):
        return False
    einsum.get_node().set_attribute(
        "equation", ",".join(subs) + "->" + "".join(output[p] for p in perm))
    einsum.get_node().validate_and_infer_types()
    return True


def _absorb_into_einsum_output(node, perm):
    """Transpose(Einsum(...), p) is the Einsum writing its output permuted."""
    einsum = node.input_value(0)
    if not _permute_einsum_output(einsum, perm):
        return False
    for t in list(node.output(0).get_target_inputs()):
        t.replace_source_output(einsum)
    return True


def _hoist_into_einsum(node):
    """Transpose(Einsum(...) + c, p) is Einsum'(...) + c' : the Einsum writes its
    output permuted and the constant ``c`` is transposed on the host.

    The head split of attention: a projection Einsum, its bias, then the
    Transpose to (batch, heads, seq, dim).  Returns False unless the Einsum
    and the binary op each feed only the next node.
    """
    perm = _perm_of(node.output(0))
    binary = node.input_value(0)
    if perm is None or binary.get_node().get_type_name() not in BINARY:
        return False
    if len(binary.get_target_inputs()) != 1:
        return False
    values = [binary.get_node().input_value(i) for i in range(2)]
    kinds = [v.get_node().get_type_name() for v in values]
    if sorted(kinds) != ["Constant", "Einsum"]:
        return False
    e = kinds.index("Einsum")
    data = _constant(values[1 - e])
    if data.ndim > len(perm) or not _permute_einsum_output(values[e], perm):
        return False
    binary.get_node().input(1 - e).replace_source_output(
        _constant_transposed(values[1 - e], data, perm))
    binary.get_node().validate_and_infer_types()
    for t in list(node.output(0).get_target_inputs()):
        t.replace_source_output(binary)
    return True


def sink_transposes(model):
    """Move Transposes towards the outputs and cancel them; returns the count
    of rewrites.  The model is changed in place."""
    rewrites = 0
    for node in model.get_ordered_ops():
        kind = node.get_type_name()
        if kind in ("Parameter", "Constant", "Result") or node.get_input_size() == 0:
            continue
        perm = _perm_of(node.input_value(0))
        if kind == "Einsum":
            done = _absorb_into_einsum_inputs(node)
        elif (kind == "Transpose" and _perm_of(node.output(0)) is not None
              and node.input_value(0).get_node().get_type_name() == "Einsum"):
            done = _absorb_into_einsum_output(node, _perm_of(node.output(0)))
        elif kind == "Transpose" and _hoist_into_einsum(node):
            done = True
        elif kind in BINARY:
            done = _sink_binary(node)
        elif perm is None:
            continue
        elif kind == "Transpose":
            done = _fuse_transposes(node, perm)
        elif kind in UNARY and node.get_input_size() == 1:
            _sink_unary(node, perm)
            done = True
        elif kind == "Pad":
            done = _sink_pad(node, perm)
        elif kind in REDUCE:
            done = _sink_reduce(node, perm)
        elif kind == "Concat":
            done = _sink_concat(node)
        else:
            done = False
        rewrites += bool(done)
    model.validate_nodes_and_infer_types()
    return rewrites


def fold_constants(model):
    manager = Manager()
    manager.register_pass(ConstantFolding())
    manager.run_passes(model)


def optimize(model):
    """Constant folding, transpose sinking, then OpenVINO's MOC fusions.

    MOC runs only while Transposes are left: it fuses batch norms and biases
    into the convolutions around them, and moves some Transposes where a
    second sinking pass cancels them.  A graph without any gains nothing from
    it here that the CPU plugin's own compile pipeline does not do, and it
    costs ~10 ms even on a 16-op MLP (a tenth of that model's first predict),
    ~40 ms on a 2-layer BERT encoder (whose attention Transposes fold into
    its Einsums here, so MOC no longer runs on it).
    """
    fold_constants(model)
    sink_transposes(model)
    if not any(op.get_type_name() == "Transpose" for op in model.get_ops()):
        return model
    apply_moc_transformations(model, cf=False)  # already folded: a second pass costs ~0.2 s
    if sink_transposes(model):
        fold_constants(model)
    return model
