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
import openvino as ov
from openvino import opset15 as op
from openvino._offline_transformations import apply_moc_transformations
from openvino.passes import ConstantFolding, Manager

UNARY = frozenset(
    (
        "Abs",
        "Ceiling",
        "Clamp",
        "Convert",
        "Cos",
        "Elu",
        "Erf",
        "Exp",
        "Floor",
        "Gelu",
        "HSigmoid",
        "HSwish",
        "Log",
        "LogicalNot",
        "Mish",
        "Negative",
        "Relu",
        "Sigmoid",
        "Sign",
        "Sin",
        "SoftPlus",
        "Sqrt",
        "Swish",
        "Tanh",
    )
)
BINARY = frozenset(
    (
        "Add",
        "Divide",
        "Equal",
        "Greater",
        "GreaterEqual",
        "Less",
        "LessEqual",
        "LogicalAnd",
        "LogicalOr",
        "Maximum",
        "Minimum",
        "Multiply",
        "NotEqual",
        "Power",
        "SquaredDifference",
        "Subtract",
    )
)
REDUCE = frozenset(
    (
        "ReduceL1",
        "ReduceL2",
        "ReduceMax",
        "ReduceMean",
        "ReduceMin",
        "ReduceProd",
        "ReduceSum",
    )
)


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
        op.constant(np.array([perm[a] for a in axes], dtype=np.int64)).output(0)
    )
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
        "equation", ",".join(subs) + "->" + "".join(output[p] for p in perm)
    )
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
        _constant_transposed(values[1 - e], data, perm)
    )
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
        elif (
            kind == "Transpose"
            and _perm_of(node.output(0)) is not None
            and node.input_value(0).get_node().get_type_name() == "Einsum"
        ):
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


_COMPRESSED = (
    ov.Type.i8,
    ov.Type.u8,
    ov.Type.i4,
    ov.Type.u4,
    ov.Type.nf4,
    ov.Type.f8e4m3,
    ov.Type.f8e5m2,
)


def _compressed_weights(model):
    """Int8 Constants that reach a FakeQuantize through a Convert (the int8
    products of ``ops.linalg``), possibly through Slices of the constant; and
    every low-precision Constant converted to float (NNCF's compressed weights:
    Constant(u8/i4/...) -> Convert -> Subtract -> Multiply, which the CPU
    plugin runs as compressed-weight kernels when it sees the pattern)."""
    kept = []
    for node in model.get_ordered_ops():
        if node.get_type_name() == "Convert" and node.get_output_element_type(0).is_real():
            source = node.input_value(0)
            if (
                source.get_node().get_type_name() == "Constant"
                and source.get_element_type() in _COMPRESSED
            ):
                kept.append(node.input(0))
            continue
        if node.get_type_name() != "FakeQuantize":
            continue
        convert = node.input_value(0).get_node()
        if convert.get_type_name() != "Convert":
            continue
        source = convert.input_value(0).get_node()
        if (  # a Constant itself is kept above
            source.get_output_element_type(0) in (ov.Type.i8, ov.Type.u8)
            and source.get_type_name() == "Slice"
            and all(v.get_node().get_type_name() == "Constant" for v in source.input_values())
        ):
            kept.append(convert.input(0))
    return kept


def fold_constants(model):
    """OpenVINO's ConstantFolding, except that int8 weights stay int8 in front
    of their FakeQuantize (the CPU plugin's int8 kernels need to see them): they
    are folded on their own and hidden from the pass behind placeholders."""
    hidden = []
    for target in _compressed_weights(model):
        value = target.get_source_output()
        placeholder = op.parameter(value.get_partial_shape(), value.get_element_type())
        target.replace_source_output(placeholder.output(0))
        if value.get_node().get_type_name() != "Constant":  # a Slice of one
            alone = ov.Model([op.result(value)], [])
            _constant_folding(alone)
            value = alone.get_results()[0].input_value(0)
        hidden.append((target, value, placeholder))
    if hidden:
        model.add_parameters([p for _, _, p in hidden])
    _constant_folding(model)
    for target, value, placeholder in hidden:
        target.replace_source_output(value)
        model.remove_parameter(placeholder)


def _int8_marked(value):
    """True for ``ops.linalg``'s int8 operand: FakeQuantize(-128, 127, -128, 127,
    256 levels) of a Convert from int8."""
    node = value.get_node()
    if node.get_type_name() != "FakeQuantize" or node.get_attributes().get("levels") != 256:
        return False
    source = node.input_value(0).get_node()
    if (
        source.get_type_name() != "Convert"
        or source.input_value(0).get_element_type() != ov.Type.i8
    ):
        return False
    bounds = []
    for k in range(1, 5):
        c = node.input_value(k).get_node()
        if c.get_type_name() != "Constant":
            return False
        bounds.append(np.unique(c.get_data()))
    return all(len(b) == 1 for b in bounds) and [b[0] for b in bounds] == [-128, 127, -128, 127]


def _contraction(node):
    """Number of terms each output of an int8 MatMul/Einsum sums, or None when
    a contracted dim is dynamic."""
    shapes = [v.get_partial_shape() for v in node.input_values()]

    def size(shape, axis):
        d = shape[axis]
        return d.get_length() if d.is_static else None

    if node.get_type_name() == "MatMul":
        a = shapes[0]
        return size(
            a, -2 if node.get_attributes()["transpose_a"] and a.rank.get_length() > 1 else -1
        )
    inputs, output = node.get_attributes()["equation"].split("->")
    terms = inputs.split(",")
    if len(terms) != 2 or "." in inputs:
        return None
    sizes = [
        size(shapes[0], terms[0].index(c)) for c in terms[0] if c in terms[1] and c not in output
    ]
    return None if None in sizes else int(np.prod(sizes))


def drop_int8_round_trips(model):
    """``Convert(f32) <- Convert(i32) <- P`` becomes ``P`` where ``P`` is an int8
    x int8 product of ``ops.linalg`` summing at most 1024 terms: its float32
    values are integers of magnitude at most 2**24, so both Converts are the
    identity (Keras's int8 layers cast the int32 product straight back to
    float; the CPU plugin runs those Converts on reference kernels)."""
    dropped = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Convert" or node.get_output_element_type(0) != ov.Type.f32:
            continue
        inner = node.input_value(0).get_node()
        if inner.get_type_name() != "Convert" or inner.get_output_element_type(0) != ov.Type.i32:
            continue
        product = inner.input_value(0)
        p = product.get_node()
        if (
            product.get_element_type() != ov.Type.f32
            or p.get_type_name() not in ("MatMul", "Einsum")
            or not all(_int8_marked(v) for v in p.input_values())
        ):
            continue
        k = _contraction(p)
        if k is None or k > 1024:
            continue
        node.output(0).replace(product)
        dropped += 1
    return dropped


def _constant_folding(model):
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
    drop_int8_round_trips(model)
    sink_transposes(model)
    if not any(op.get_type_name() == "Transpose" for op in model.get_ops()):
        return model
    apply_moc_transformations(model, cf=False)  # already folded: a second pass costs ~0.2 s
    if sink_transposes(model):
        fold_constants(model)
    return model
