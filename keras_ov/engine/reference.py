"""``ReferenceExecutable``: a model run node by node with OpenVINO's reference
kernels (``Node.evaluate``), for graphs the CPU plugin would not compute
exactly (int64, uint64, uint32 or float64 data, which it narrows; see
``execute.needs_reference``), and its exact fallbacks for nodes without a
reference kernel: data movement on bit patterns, narrow integers widened,
float64 comparisons on order keys, IsNaN/IsInf/IsFinite from Equal, the float64
lowerings of ``float64.py``, NumPy for integer CumSum and bitwise ops and for
GatherND, float32 nodes run alone on the CPU plugin, Loops that run no
iteration or carry empty data, and nodes with empty outputs (not evaluated).
Anything else raises ``NotImplementedError`` rather than return a wrong number.
"""

import functools

import numpy as np
import openvino as ov
from openvino import opset15

from keras_ov.engine import dtypes, float64
from keras_ov.engine.plugin import RAW_BITS, CompiledExecutable, counters
from keras_ov.engine.tensor import from_ov_tensor, to_ov_tensor


def zero_size(shape):
    return shape.is_static and 0 in list(shape.to_shape())


def _empty_result(op, inputs):
    """The outputs of ``op`` if every one is static with zero elements, else None.

    Such a node is not evaluated: its result is known, and reference kernels
    can divide by the output size (a static Broadcast to a 0-size shape dies
    with SIGFPE).  (Measured: a Broadcast to a 0-size shape known only from
    data at run time does not.)
    """
    shapes = [o.get_partial_shape() for o in op.outputs()]
    if not all(zero_size(s) for s in shapes):
        return None
    return [ov.Tensor(o.get_element_type(), s.to_shape()) for o, s in zip(op.outputs(), shapes)]


def _loop_not_run(op, outputs, inputs):
    """A Loop that runs no iteration (trip count 0 or a false condition), set
    into ``outputs``: the reference kernel refuses it ("Zero count of
    iteration not supported"), though the answer is defined: final values of
    carried variables are their initial ones.  False if the Loop runs (or has
    other outputs)."""
    count = int(np.array(inputs[0].data).reshape(-1)[0])
    go = bool(np.array(inputs[1].data).reshape(-1)[0])
    if count != 0 and go:
        return False
    initial = {
        d.body_value_index: d.input_index
        for d in op.get_input_descriptions()
        if type(d).__name__ == "MergedInputDescription"
    }
    done = {}
    for d in op.get_output_descriptions():
        if d.body_value_index not in initial or type(d).__name__ != "BodyOutputDescription":
            return False  # (a concatenated output, or one no variable defines)
        done[d.output_index] = inputs[initial[d.body_value_index]]
    for i, t in done.items():
        outputs[i] = t
    return True


def _evaluate_loop_of_empty(op, outputs, inputs):
    """A Loop with an empty input, run here iteration by iteration, its body
    by a ``ReferenceExecutable`` (which skips empty nodes): OpenVINO's Loop
    kernel dies on such bodies (double free in an LU solve of a (0, n, n)
    batch).  Carried values and last-iteration outputs only; False for
    other Loops (left to OpenVINO)."""
    if not any(t.size == 0 for t in inputs[2:]):
        return False
    ins, outs = op.get_input_descriptions(), op.get_output_descriptions()
    kinds = {type(d).__name__ for d in ins} | {type(d).__name__ for d in outs}
    if not kinds <= {
        "MergedInputDescription",
        "InvariantInputDescription",
        "BodyOutputDescription",
    }:
        return False
    if any(d.iteration != -1 for d in outs if type(d).__name__ == "BodyOutputDescription"):
        return False
    body = op.get_function()
    counter, condition = op.get_special_body_ports()
    bodies = {}  # the body reshaped to its parameters' shapes, so that its
    # empty nodes have static shapes (``_empty_result``), by those shapes
    params = [None] * len(body.get_parameters())
    for d in ins:
        params[d.body_parameter_index] = inputs[d.input_index]
    merged = [d for d in ins if type(d).__name__ == "MergedInputDescription"]
    count = int(np.array(inputs[0].data).reshape(-1)[0])
    go = bool(np.array(inputs[1].data).reshape(-1)[0])
    results, i = None, 0
    while go and (count < 0 or i < count):
        if counter >= 0:
            t = body.get_parameters()[counter].get_output_element_type(0).to_dtype()
            params[counter] = ov.Tensor(np.array(i, t))
        shapes = tuple(tuple(t.shape) for t in params)
        if shapes not in bodies:
            static = body.clone()
            static.reshape({k: ov.PartialShape(list(sh)) for k, sh in enumerate(shapes)})
            bodies[shapes] = ReferenceExecutable(static)
        results = bodies[shapes].evaluate_tensors(params)
        for d in merged:
            params[d.body_parameter_index] = results[d.body_value_index]
        if condition >= 0:
            go = bool(np.array(results[condition].data).reshape(-1)[0])
        i += 1
    if results is None:
        return _loop_not_run(op, outputs, [ov.Tensor(np.array(0, np.int64))] + inputs[1:])
    for d in outs:
        outputs[d.output_index] = results[d.body_value_index]
    return True


def _empty_tensor(output):
    ps = output.get_partial_shape()
    shape = ps.to_shape() if ps.is_static else [0] * ps.rank.get_length()
    return ov.Tensor(output.get_element_type(), ov.Shape(shape))


def _small_int(t):
    """An int32/int64 tensor of at most 64 values: an axis, a shape, a bound."""
    return t.element_type in (ov.Type.i32, ov.Type.i64) and t.size <= 64


class ReferenceExecutable:
    """Node-by-node evaluation with OpenVINO's reference kernels."""

    def __init__(self, model, fallback=None):
        self.model = model
        self.ops = list(model.get_ordered_ops())
        self.params = {id(p): i for i, p in enumerate(model.get_parameters())}
        # For a graph the CPU plugin computes exactly: what runs it when a
        # node has no reference kernel (made on first need).
        self.fallback = fallback
        self._on_cpu = {}  # (node name, input shapes) -> CompiledExecutable
        counters["reference_built"] += 1

    def __call__(self, arrays, in_dtypes):
        if isinstance(self.fallback, CompiledExecutable):
            return self.fallback(arrays, in_dtypes)
        try:
            return self._evaluate(arrays, in_dtypes)
        except NotImplementedError:
            if self.fallback is None:
                raise
        self.fallback = self.fallback()
        return self.fallback(arrays, in_dtypes)

    def _alone(self, op, inputs):
        """A copy of ``op`` fed by ``inputs``' shapes: ``(node, parameters)``.
        Small integer inputs (axes, shapes) become Constants of their values,
        the others Parameters (the Python API cannot clone one node: the graph
        up to it is copied)."""
        copy = ov.Model(list(op.outputs()), self.model.get_parameters()).clone()
        node = copy.get_results()[0].input_value(0).get_node()
        params = []
        for k, t in enumerate(inputs):
            if _small_int(t):
                source = opset15.constant(np.array(t.data))  # (maybe a shape)
            else:
                source = opset15.parameter(list(t.shape), t.element_type)
                params.append(source)
            node.input(k).replace_source_output(source.output(0))
        node.validate_and_infer_types()
        return node, params

    def _empty_at_run_time(self, op, inputs):
        """``_empty_result`` for a node of dynamic output shape with an empty
        input (after a Loop, say): its shapes inferred for these inputs on a
        copy of the graph up to it (the Python API cannot clone one node)."""
        if all(o.get_partial_shape().is_static for o in op.outputs()):
            return None
        if not any(t.size == 0 for t in inputs) or op.get_type_name() in ("Loop", "If"):
            return None
        node, _ = self._alone(op, inputs)
        shapes = [node.get_output_partial_shape(k) for k in range(node.get_output_size())]
        if not all(zero_size(s) for s in shapes):
            return None
        return [
            ov.Tensor(o.get_element_type(), sh.to_shape()) for o, sh in zip(op.outputs(), shapes)
        ]

    def _evaluate_on_cpu(self, op, outputs, inputs):
        """A float32 node without a reference kernel (a convolution, an Einsum)
        in a graph sent here for its integer or wide parts: run alone on the
        CPU plugin, whose float32 kernels are the ones ``predict`` uses."""
        f32 = ov.Type.f32
        if any(o.get_element_type() != f32 for o in op.outputs()):
            return False
        small = [_small_int(t) for t in inputs]
        if any(t.element_type != f32 and not s for t, s in zip(inputs, small)):
            return False
        key = (op.get_name(), tuple(tuple(t.shape) for t in inputs))
        compiled = self._on_cpu.get(key)
        if compiled is None:
            node, params = self._alone(op, inputs)
            alone = ov.Model([opset15.result(o) for o in node.outputs()], params)
            compiled = self._on_cpu[key] = CompiledExecutable(alone)
        fed = [np.array(t.data) for t, s in zip(inputs, small) if not s]
        results = compiled(fed, ["float32"] * len(fed))
        for i, r in enumerate(results):
            outputs[i] = ov.Tensor(np.array(r, order="C"))  # (keeps 0-d)
        return True

    def _evaluate(self, arrays, in_dtypes):
        tensors = [to_ov_tensor(a, d) for a, d in zip(arrays, in_dtypes)]
        return [from_ov_tensor(t) for t in self.evaluate_tensors(tensors)]

    def evaluate_tensors(self, tensors):
        """The model's results (``ov.Tensor``) for its Parameters' tensors."""
        values = {}
        for op in self.ops:
            kind = op.get_type_name()
            name = op.get_name()
            if kind == "Parameter":
                values[name] = [tensors[self.params[id(op)]]]
                continue
            if kind == "Constant":
                values[name] = [_constant_tensor(op)]
                continue
            inputs = [
                values[s.get_node().get_name()][s.get_index()]
                for s in (i.get_source_output() for i in op.inputs())
            ]
            if kind == "Result":
                values[name] = inputs
                continue
            outputs = [_empty_tensor(o) for o in op.outputs()]
            empty = _empty_result(op, inputs) or self._empty_at_run_time(op, inputs)
            if empty is not None:
                values[name] = empty  # (nothing to compute: see _empty_result)
                continue
            if kind == "Loop" and (
                _loop_not_run(op, outputs, inputs) or _evaluate_loop_of_empty(op, outputs, inputs)
            ):
                values[name] = outputs
                continue
            if not (
                op.evaluate(outputs, inputs)
                or _evaluate_as_bits(op, outputs, inputs)
                or _evaluate_widened(op, outputs, inputs)
                or _evaluate_ordered(op, outputs, inputs)
                or _evaluate_isnan(op, outputs, inputs)
                or _evaluate_float64(op, outputs, inputs)
                or _evaluate_numpy(op, outputs, inputs)
                or self._evaluate_on_cpu(op, outputs, inputs)
            ):
                raise NotImplementedError(
                    f"keras-ov: OpenVINO has no exact reference kernel for "
                    f"{kind} on {[str(t.element_type) for t in inputs]}, and the CPU "
                    "plugin would not compute it exactly (it narrows 64-bit/uint32 "
                    "data, saturates int8 and rounds float8 twice), so keras-ov "
                    "refuses rather than return a wrong number"
                )
            values[name] = outputs
        return [values[r.get_name()][0] for r in self.model.get_results()]


# Ops that only move or select elements: running them on the bit patterns of
# float64 data (viewed as int64) is exact, and OpenVINO has int64 kernels for
# them where it lacks float64 ones.
DATA_MOVEMENT = frozenset(
    (
        "Broadcast",
        "Concat",
        "DepthToSpace",
        "Gather",
        "GatherElements",
        "GatherND",
        "Pad",
        "Reshape",
        "Reverse",
        "Roll",
        "ScatterElementsUpdate",
        "ScatterNDUpdate",
        "ScatterUpdate",
        "Select",
        "Slice",
        "SpaceToDepth",
        "Split",
        "Squeeze",
        "StridedSlice",
        "Tile",
        "Transpose",
        "Unsqueeze",
        "VariadicSplit",
    )
)


# Element types moved as the integers of their bit patterns: OpenVINO has
# integer kernels for data movement where it lacks float64/float8 ones.
_BIT_TWIN = {
    ov.Type.f64: (ov.Type.i64, np.int64),
    ov.Type.f8e4m3: (ov.Type.u8, np.uint8),
    ov.Type.f8e5m2: (ov.Type.u8, np.uint8),
}


def _reduction_of(op):
    """A scatter node's reduction attribute ("none", "sum", "max", ...)."""
    return str(op.get_attributes().get("reduction", "none")).lower()


def _as_bits(t):
    twin = _BIT_TWIN.get(t.element_type)
    if twin is None:
        return t
    return ov.Tensor(np.ascontiguousarray(np.array(t.data).view(twin[1])))


def _from_bits(bits, element_type):
    data = np.ascontiguousarray(np.array(bits.data))
    if element_type == ov.Type.f64:
        return ov.Tensor(data.view(np.float64))
    return ov.Tensor(data, list(data.shape), element_type)


def _evaluate_as_bits(op, outputs, inputs):
    """Evaluate a data-movement op on float64/float8 bit patterns as integers."""
    if op.get_type_name() not in DATA_MOVEMENT:
        return False
    if op.get_type_name() in ("ScatterElementsUpdate", "ScatterNDUpdate"):
        if _reduction_of(op) != "none":
            return False
    if not any(t.element_type in _BIT_TWIN for t in inputs):
        return False
    bit_outputs = [
        ov.Tensor(_BIT_TWIN[t.element_type][0], t.shape) if t.element_type in _BIT_TWIN else t
        for t in outputs
    ]
    if not op.evaluate(bit_outputs, [_as_bits(t) for t in inputs]):
        return False
    for i, (t, b) in enumerate(zip(outputs, bit_outputs)):
        if b is not t:
            outputs[i] = _from_bits(b, t.element_type)
    return True


_NARROW_INTS = {
    ov.Type.i8: np.int8,
    ov.Type.u8: np.uint8,
    ov.Type.i16: np.int16,
    ov.Type.u16: np.uint16,
}


def _evaluate_widened(op, outputs, inputs):
    """Evaluate on 8/16-bit integers widened to int32, results wrapped back.

    OpenVINO lacks many reference kernels for narrow integers.  Integer
    arithmetic modulo 2**n commutes with widening, and order and equality are
    preserved, so computing in int32 and converting back with wraparound gives
    exactly what NumPy computes in the narrow type.
    """
    if not any(t.element_type in _NARROW_INTS for t in inputs):
        return False
    wide_in = [
        ov.Tensor(np.array(t.data).astype(np.int32)) if t.element_type in _NARROW_INTS else t
        for t in inputs
    ]
    wide_out = [
        ov.Tensor(ov.Type.i32, t.shape) if t.element_type in _NARROW_INTS else t for t in outputs
    ]
    if not op.evaluate(wide_out, wide_in):
        return False
    for i, (t, w) in enumerate(zip(outputs, wide_out)):
        if w is not t:
            outputs[i] = ov.Tensor(np.array(w.data).astype(_NARROW_INTS[t.element_type]))
    return True


# Ops that only compare or select float64 values.  OpenVINO has no float64
# kernels for them, but they give the same answer on int64 "order keys": the
# IEEE bit pattern with the magnitude bits flipped for negative numbers is an
# int64 whose order is the float order (-0.0 is first made +0.0, so equal
# floats have equal keys).  Selections map keys back to floats; comparisons
# with a NaN operand cannot be answered this way and are refused.
ORDERED_SELECT = frozenset(("Maximum", "Minimum", "ReduceMax", "ReduceMin", "TopK"))
ORDERED_COMPARE = frozenset(
    (
        "Equal",
        "Greater",
        "GreaterEqual",
        "Less",
        "LessEqual",
        "NotEqual",
    )
)
_MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)


def _order_key(values):
    """Float64 values as int64 keys with the same order (NaN above +inf)."""
    values = np.where(np.isnan(values), np.nan, values) + 0.0  # canonical NaN, +0.0
    bits = values.view(np.int64)
    return np.where(bits < 0, bits ^ _MAGNITUDE, bits)


def _from_order_key(keys):
    values = np.where(keys < 0, keys ^ _MAGNITUDE, keys).view(np.float64)
    # Empty ReduceMax/ReduceMin yield the int64 extremes: the float extremes.
    values[keys == np.iinfo(np.int64).min] = -np.inf
    values[keys == np.iinfo(np.int64).max] = np.inf
    return values


def _evaluate_ordered(op, outputs, inputs):
    """Evaluate a float64 comparison or selection on int64 order keys."""
    kind = op.get_type_name()
    if kind == "ScatterNDUpdate":  # max/min reductions select; the rest do not
        if _reduction_of(op) not in ("max", "min"):
            return False
    elif kind not in ORDERED_SELECT and kind not in ORDERED_COMPARE:
        return False
    if not any(t.element_type == ov.Type.f64 for t in inputs):
        return False
    data = [np.array(t.data) if t.element_type == ov.Type.f64 else None for t in inputs]
    if kind in ORDERED_COMPARE and any(d is not None and np.isnan(d).any() for d in data):
        return False
    key_in = [ov.Tensor(_order_key(d)) if d is not None else t for d, t in zip(data, inputs)]
    key_out = [
        ov.Tensor(ov.Type.i64, t.shape) if t.element_type == ov.Type.f64 else t for t in outputs
    ]
    if not op.evaluate(key_out, key_in):
        return False
    for i, (t, k) in enumerate(zip(outputs, key_out)):
        if k is not t:
            outputs[i] = ov.Tensor(_from_order_key(np.array(k.data)))
    return True


def _cumsum(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis, dtype=x.dtype)  # wraps as the integer type does
    if exclusive:  # shifted by one along the axis, a 0 first
        y = np.roll(y, 1, axis)
        np.moveaxis(y, axis, 0)[0] = 0
    return np.flip(y, axis) if reverse else y


def _gather_nd(op, data, indices):
    b = int(op.get_attributes()["batch_dims"])
    k = indices.shape[-1]
    batch = int(np.prod(data.shape[:b], dtype=np.int64))
    d = data.reshape((batch,) + data.shape[b:])
    ind = indices.reshape((batch,) + indices.shape[b:])
    # (numpy indexes negative indices from the end, as GatherND does)
    rows = [d[i][tuple(np.moveaxis(ind[i], -1, 0))] for i in range(batch)]
    out = np.stack(rows) if rows else np.zeros((0,), data.dtype)
    return out.reshape(indices.shape[:-1] + data.shape[b + k :])


# Element types whose tensors NumPy holds as themselves (``Tensor.data``).
_NUMPY_NATIVE = frozenset(
    getattr(ov.Type, n)
    for n in ("f16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "boolean")
)


def _is_integer(t):
    return np.issubdtype(np.array(t.data).dtype, np.integer)


# Kernels OpenVINO's reference evaluation lacks, computed by NumPy: (which
# inputs it takes, the function).  CumSum and the bitwise ops have no integer
# reference kernel (NumPy's integer arithmetic wraps exactly as they do, and
# broadcasts as they do); GatherND has none at all (it only moves data).
_NUMPY_KERNELS = {
    "BitwiseAnd": (_is_integer, lambda op, a, b: np.bitwise_and(a, b)),
    "BitwiseOr": (_is_integer, lambda op, a, b: np.bitwise_or(a, b)),
    "BitwiseXor": (_is_integer, lambda op, a, b: np.bitwise_xor(a, b)),
    "BitwiseNot": (_is_integer, lambda op, a: np.invert(a)),
    "CumSum": (
        _is_integer,
        lambda op, x, axis: _cumsum(
            x,
            int(np.asarray(axis).reshape(-1)[0]) % max(x.ndim, 1),
            bool(op.get_attributes()["exclusive"]),
            bool(op.get_attributes()["reverse"]),
        ),
    ),
    "GatherND": (lambda t: t.element_type in _NUMPY_NATIVE, _gather_nd),
}


def _evaluate_numpy(op, outputs, inputs):
    """Evaluate one of ``_NUMPY_KERNELS`` with NumPy."""
    kernel = _NUMPY_KERNELS.get(op.get_type_name())
    if kernel is None or not kernel[0](inputs[0]):
        return False
    result = np.asarray(kernel[1](op, *[np.array(t.data) for t in inputs]))
    dtype = np.array(inputs[0].data).dtype
    outputs[0] = ov.Tensor(np.array(result, dtype=dtype, order="C"))  # (keeps 0-d)
    return True


def _evaluate_isnan(op, outputs, inputs):
    """IsNaN, IsInf and IsFinite have no reference kernels: evaluate them with
    OpenVINO's Equal, Subtract and logical kernels instead (NaN is ``not x ==
    x``, finite is ``x - x == 0``, the infinities are ``x == +-inf``)."""
    kind = op.get_type_name()
    if kind not in ("IsNaN", "IsInf", "IsFinite"):
        return False
    x = inputs[0]
    p = opset15.parameter(list(x.shape), x.element_type)
    if kind == "IsNaN":
        last = opset15.logical_not(opset15.equal(p, p))
    elif kind == "IsFinite":
        last = opset15.equal(opset15.subtract(p, p), _float_constant(0.0, x.element_type))
    else:
        a = op.get_attributes()
        signs = [s for s, on in ((1.0, a["detect_positive"]), (-1.0, a["detect_negative"])) if on]
        if not signs:
            outputs[0] = ov.Tensor(np.zeros(tuple(x.shape), bool))
            return True
        hits = [opset15.equal(p, _float_constant(s * np.inf, x.element_type)) for s in signs]
        last = hits[0] if len(hits) == 1 else opset15.logical_or(*hits)
    return _evaluate_small(last, p, x, outputs)


def _float_constant(value, element_type):
    return opset15.convert(opset15.constant(np.array(value, np.float32)), element_type)


def _evaluate_small(last, parameter, x, outputs):
    """Evaluate the little graph from ``parameter`` (fed ``x``) to the node
    ``last`` with the reference kernels, its result into ``outputs[0]``."""
    values = {parameter.get_instance_id(): x}
    for node in ov.Model([last.output(0)], [parameter]).get_ordered_ops():
        kind = node.get_type_name()
        if kind in ("Parameter", "Result"):
            continue
        if kind == "Constant":
            values[node.get_instance_id()] = _constant_tensor(node)
            continue
        ins = [values[v.get_node().get_instance_id()] for v in node.input_values()]
        out = _empty_tensor(node.output(0))
        if not node.evaluate([out], ins):
            return False
        values[node.get_instance_id()] = out
    outputs[0] = values[last.get_instance_id()]
    return True


@functools.lru_cache(maxsize=256)
def _float64_executable(kind, shapes, attrs):
    return ReferenceExecutable(float64.lowering(kind, shapes, attrs))


def _evaluate_float64(op, outputs, inputs):
    """Float64 arithmetic the reference kernels lack, lowered by ``float64``:
    Add/Subtract/Negative/Abs on int64 bit patterns, reductions and CumSum to
    trees and scans of those, summing/multiplying scatters to one update at a
    time."""
    kind = op.get_type_name()
    if kind not in float64.LOWERED or inputs[0].element_type != ov.Type.f64:
        return False
    data = np.array(inputs[0].data)
    arrays, on_bits = [data], False
    if kind in ("ReduceSum", "ReduceProd"):
        axes = tuple(int(a) for a in np.array(inputs[1].data).reshape(-1))
        attrs = (axes, bool(op.get_attributes()["keep_dims"]))
    elif kind == "ScatterNDUpdate":
        if _reduction_of(op) not in ("sum", "prod"):  # (max/min: _evaluate_ordered)
            return False
        attrs = (_reduction_of(op), inputs[1].element_type)
        arrays = [np.array(t.data) for t in inputs]
    elif kind == "CumSum":
        a = op.get_attributes()
        axis = int(np.array(inputs[1].data)) % max(data.ndim, 1)
        attrs = (axis, bool(a["exclusive"]), bool(a["reverse"]))
    else:  # Add/Subtract/Negative/Abs: int64 bit patterns in and out
        if any(t.element_type != ov.Type.f64 for t in inputs):
            return False
        attrs, on_bits = None, True
        arrays = [np.array(t.data).view(np.int64) for t in inputs]
    exe = _float64_executable(kind, tuple(a.shape for a in arrays), attrs)
    (result,) = exe(arrays, [dtypes.from_numpy(a.dtype) for a in arrays])
    result = np.ascontiguousarray(result).reshape(result.shape)  # (keeps 0-d)
    outputs[0] = ov.Tensor(result.view(np.float64) if on_bits else result)
    return True


def _constant_tensor(op):
    data = op.get_data()
    if not data.flags.c_contiguous:
        data = np.ascontiguousarray(data)
    t = op.get_output_element_type(0)
    if t in RAW_BITS:  # bfloat16/float8: raw bits
        return ov.Tensor(data.view(RAW_BITS[t]), list(data.shape), t)
    return ov.Tensor(data, shared_memory=False)
