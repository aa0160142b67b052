"""Running OpenVINO graphs: the bounded compiled-model cache and the choice of executor.

``run`` (every eager op) looks a graph up in one LRU cache keyed by the caller
(op name, attributes, input shapes and dtypes) plus ``settings.config``, so a
computation seen before never compiles again; ``make_executable`` picks its
executor:

* ``plugin.CompiledExecutable``: compiled for the configured device, with the
  thread policy of ``_one_thread`` for eager graphs.
* ``reference.ReferenceExecutable``: node by node on OpenVINO's reference
  kernels, for graphs the CPU plugin would not compute exactly
  (``needs_reference``) or that hold empty tensors (``has_empty_data``).
* ``ViewExecutable`` (reshape-only graphs) and ``EmptyExecutable`` (all outputs
  empty), which need not run at all.

The cache is dropped on ``keras.backend.clear_session()`` (``_check_session``).
"""

import collections
import threading

import numpy as np
import openvino as ov
from openvino import opset15

from keras_ov.engine import dtypes, plugin, reference, scope, settings
from keras_ov.engine.plugin import counters


class LRUCache:
    """A bounded map with hit/miss/eviction counters.

    Bounded in entries and, optionally, in bytes: each entry may carry a size
    (for compiled models, the bytes of their inputs and outputs, which the
    plugin's buffers scale with), and the least recently used entries go
    until the total fits (the newest entry always stays).
    """

    def __init__(self, maxsize, maxbytes=None):
        self.maxsize = maxsize
        self.maxbytes = maxbytes
        self._data = collections.OrderedDict()
        self._sizes = {}
        self.bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = 0

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return value

    def put(self, key, value, nbytes=0):
        with self._lock:
            self.bytes -= self._sizes.pop(key, 0)
            self._data[key] = value
            self._data.move_to_end(key)
            self._sizes[key] = nbytes
            self.bytes += nbytes
            while len(self._data) > self.maxsize or (
                self.maxbytes is not None and self.bytes > self.maxbytes and len(self._data) > 1
            ):
                old, _ = self._data.popitem(last=False)
                self.bytes -= self._sizes.pop(old)
                self.evictions += 1

    def clear(self):
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.bytes = 0
            self.hits = self.misses = self.evictions = 0

    def stats(self):
        return {
            "size": len(self._data),
            "maxsize": self.maxsize,
            "bytes": self.bytes,
            "maxbytes": self.maxbytes,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
        }

    def __len__(self):
        return len(self._data)

    def values(self):
        with self._lock:
            return list(self._data.values())


cache = LRUCache(settings.CACHE_SIZE, settings.CACHE_BYTES)


def _no_session():
    return None


# The backend points this at an object that Keras replaces on
# ``keras.backend.clear_session()``; a new session starts with an empty cache
# (as TensorFlow's backend clears its kernel cache there).
session_token = _no_session
_cache_session = [None]
# Other per-session state to drop with the cache (e.g. ``registry``'s flags).
on_new_session = []


def _check_session():
    token = session_token()
    if token is not _cache_session[0]:
        if _cache_session[0] is not None:
            cache.clear()
            for clear in on_new_session:
                clear()
        _cache_session[0] = token


def release_intermediate_memory():
    """Cached eager executables give back their intermediate buffers and the
    host arrays they keep for reuse.

    Called before a traced function compiles: building a model leaves the
    random generators holding buffers sized for its largest weight (and the
    last draw of each, which the initializer then scaled into a new array),
    which would add to the compile's peak.  They allocate again on their next
    call.
    """
    for exe in cache.values():
        if isinstance(exe, plugin.CompiledExecutable):
            with exe._lock:  # not while another thread runs it
                exe.compiled.release_memory()
                exe.drop_host_arrays()
            counters["released"] += 1


# Integer kernels of the CPU plugin that do not compute what NumPy does
# (measured, see tests/engine/test_execute.py): int8/uint8 arithmetic that can
# overflow saturates instead of wrapping, and some int32 ops go through float32.
_I8 = frozenset((ov.Type.i8, ov.Type.u8))
_I8_OVERFLOWING = frozenset(
    (
        "Abs",
        "Add",
        "CumSum",
        "MatMul",
        "Multiply",
        "Negative",
        "Power",
        "ReduceProd",
        "ReduceSum",
        "SquaredDifference",
        "Subtract",
    )
)
_CPU_INEXACT_INT = {
    "MatMul": frozenset((ov.Type.i16, ov.Type.u16, ov.Type.i32)),
    "ReduceSum": frozenset((ov.Type.i32,)),
    "ReduceProd": frozenset((ov.Type.i32,)),
    "ReduceMax": frozenset((ov.Type.i32,)),
    "ReduceMin": frozenset((ov.Type.i32,)),
}


def _cpu_inexact(op, kind):
    """True if the CPU plugin's kernel for this integer node is not exact."""
    for out in op.outputs():
        t = out.get_element_type()
        if t in _I8 and kind in _I8_OVERFLOWING:
            return True
        if t in _CPU_INEXACT_INT.get(kind, ()):
            return True
    return False


# Inputs the CPU plugin reads as 64-bit bounds, exactly (measured: Slice and
# StridedSlice with stops of 2**62, 2**63 - 1 and -2**63, static and dynamic
# shapes): "to the end" sentinels there do not make a graph wide.
_BOUND_INPUTS = {"Slice": (1, 2, 3, 4), "StridedSlice": (1, 2, 3)}


def _only_bounds(constant):
    targets = constant.output(0).get_target_inputs()
    return bool(targets) and all(
        c.get_index() in _BOUND_INPUTS.get(c.get_node().get_type_name(), ()) for c in targets
    )


# rt_info flag of a Convert to float8 whose results the CPU plugin computes
# exactly wherever the graph uses them, although its float32 -> float8 kernel
# rounds twice (through float16): the last Convert of
# ``ops.graph.round_to_float``, whose input float8 holds (a signed canonical NaN
# or a value already rounded), and the float32 -> e4m3fn -> float32 pair there
# that canonicalises NaNs, of which only NaN results are used (the CPU maps
# them to the signed canonical NaN, as ml_dtypes does).  Measured bit for bit
# in tests/engine/test_float8.py.
CPU_EXACT_FLAG = "keras_ov_cpu_exact"
_FLOAT8_OV = frozenset(dtypes.to_ov(n) for n in dtypes.FLOAT8)


def _exact_float8(op, kind):
    """True for the float8 data the CPU plugin moves exactly: a flagged
    Convert, a float8 Parameter read only by Converts to narrow types (float8
    -> float16/bfloat16/float32 widens exactly) and a Result of a flagged
    Convert."""
    if op.get_output_element_type(0) not in _FLOAT8_OV:
        return False
    if kind == "Convert":
        return CPU_EXACT_FLAG in op.get_rt_info()
    if kind == "Parameter":
        targets = op.output(0).get_target_inputs()
        return all(
            t.get_node().get_type_name() == "Convert"
            and t.get_node().get_output_element_type(0) not in dtypes.WIDE_OV
            for t in targets
        )
    source = op.input_value(0).get_node()  # a Result
    return source.get_type_name() == "Convert" and CPU_EXACT_FLAG in source.get_rt_info()


def needs_reference(model):
    """True if the CPU plugin would not compute this model exactly.

    That is the case for wide data (int64/uint64/uint32/float64, which it
    narrows) and for the integer kernels in ``_CPU_INEXACT_INT`` / int8
    arithmetic.  Shape computations (ShapeOf and constants feeding shape
    inputs) are i64 in every OpenVINO graph and are exact on CPU; what matters
    is data: Parameters, Results and Convert targets, plus wide Constants
    holding values that do not fit 32 bits.
    """
    for op in model.get_ordered_ops():
        kind = op.get_type_name()
        if kind in ("Parameter", "Result", "Convert"):
            if op.get_output_element_type(0) in dtypes.WIDE_OV and not _exact_float8(op, kind):
                return True
        elif kind == "Constant":
            t = op.get_output_element_type(0)
            if t in dtypes.WIDE_OV and not _only_bounds(op):
                data = op.get_data()
                if data.size and (
                    t == ov.Type.f64 or np.max(data) > 2**31 - 1 or np.min(data) < -(2**31)
                ):
                    return True
        elif _cpu_inexact(op, kind):
            return True
    return False


# Eager graphs this small run on one thread: waking a pool costs more.
SMALL_GRAPH_ELEMENTS = 1 << 16
# So do graphs without matrix work whose inputs and outputs hold up to this
# many elements: element-wise ops, reductions, gathers and concatenations of a
# few hundred KB are bound by memory, which a second thread does not speed up
# (measured on 256x256 float32: add, sum, take and concatenate 15-40% faster
# on one thread, softmax the same, matmul 1.5x slower).
MEMORY_BOUND_ELEMENTS = 1 << 18
_POOL_OPS = frozenset(
    (
        "MatMul",
        "Einsum",
        "Convolution",
        "GroupConvolution",
        "ConvolutionBackpropData",
        "GroupConvolutionBackpropData",
        "DeformableConvolution",
        "DFT",
        "IDFT",
        "RDFT",
        "IRDFT",
        "Loop",
        "TensorIterator",
        "LSTMSequence",
        "GRUSequence",
        "RNNSequence",
    )
)
# Element-wise kernels that cost several ns per element on the CPU plugin
# (tanh, sin, pow, gelu of 256x256 float32: 0.3-0.7 ms on one thread) are
# bound by compute, not memory: a second thread pays off once inputs and
# outputs hold more than SLOW_KERNEL_ELEMENTS (measured on 256x256 through
# keras.ops: tanh, gelu, sin, pow 1.2-1.6x faster, log the same; sigmoid is
# not slow enough to gain).
SLOW_KERNEL_ELEMENTS = 1 << 16
_SLOW_KERNELS = frozenset(
    (
        "Tanh",
        "Log",
        "Sin",
        "Cos",
        "Tan",
        "Sinh",
        "Cosh",
        "Asin",
        "Acos",
        "Atan",
        "Asinh",
        "Acosh",
        "Atanh",
        "Power",
        "Erf",
        "Gelu",
    )
)


# Eager graphs that only reshape their one input (Parameter -> Reshape /
# Squeeze / Unsqueeze ... -> Result, static output shape) move and compute
# nothing: their result is the input's bytes under the shape OpenVINO inferred
# for the Result.  Running them would only copy those bytes, so
# ``ViewExecutable`` gives the NumPy view instead (declared as a host path of
# the reshaping ops in ``keras_ov/ops/shape.py``).
_VIEW_OPS = frozenset(("Parameter", "Constant", "Result", "Reshape", "Squeeze", "Unsqueeze"))


def view_shape(model):
    """The output shape if ``model`` only reshapes its single input, else None."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    if any(op.get_type_name() not in _VIEW_OPS for op in model.get_ordered_ops()):
        return None
    source = model.get_results()[0].input_value(0)
    while source.get_node().get_type_name() != "Parameter":
        if source.get_node().get_type_name() == "Constant":
            return None
        source = source.get_node().input_value(0)
    shape = model.outputs[0].get_partial_shape()
    return tuple(shape.to_shape()) if shape.is_static else None


class ViewExecutable:
    """A reshape-only model: the input as a view of the output's shape."""

    def __init__(self, shape):
        self.shape = shape
        counters["views"] += 1

    def __call__(self, arrays, in_dtypes):
        return [arrays[0].reshape(self.shape)]


def empty_outputs(model):
    """The (shape, NumPy dtype) of each output if every one is static and empty."""
    specs = []
    for o in model.outputs:
        shape = o.get_partial_shape()
        if not shape.is_static or 0 not in list(shape.to_shape()):
            return None
        et = o.get_element_type()
        specs.append((tuple(shape.to_shape()), dtypes.to_numpy(dtypes.from_ov(et))))
    return specs


class EmptyExecutable:
    """A model whose outputs all have zero elements: their result is known
    exactly without running it (and compiling a zero-size graph can kill the
    process: the CPU plugin divides by zero on Broadcast to a 0-size shape)."""

    def __init__(self, specs):
        self.specs = specs
        counters["empty"] += 1

    def __call__(self, arrays, in_dtypes):
        return [np.empty(shape, dtype) for shape, dtype in self.specs]


def has_empty_data(model):
    """True if a static tensor of ``model`` other than a shape or axes list
    (a 1-D integer vector, empty for scalars) has zero elements.

    The CPU plugin can die compiling such a graph (SIGFPE: det of a (0, 0)
    matrix, Broadcast to a 0-size shape), so it runs on the reference kernels,
    which skip nodes with empty outputs (``_empty_result``).
    """
    for op in model.get_ordered_ops():
        if op.get_type_name() in ("Constant", "ShapeOf", "Result"):
            continue
        for o in op.outputs():
            shape = o.get_partial_shape()
            if not reference.zero_size(shape):
                continue
            if (
                op.get_type_name() != "Parameter"
                and shape.rank.get_length() == 1
                and (o.get_element_type() in (ov.Type.i32, ov.Type.i64))
            ):
                continue
            return True
    return False


def make_executable(model, properties=None):
    """The executor for a model: reference kernels if it carries wide data
    or empty tensors."""
    empty = empty_outputs(model)
    if empty is not None:
        return EmptyExecutable(empty)
    if needs_reference(model):
        return reference.ReferenceExecutable(model)
    if has_empty_data(model):
        # (Compiled after all if a node has no reference kernel: SearchSorted.)
        return reference.ReferenceExecutable(
            model, lambda: plugin.CompiledExecutable(model, properties)
        )
    return plugin.CompiledExecutable(model, properties)


def make_parameter(shape, dtype):
    return opset15.parameter(list(shape), dtypes.to_ov(dtype))


def _one_thread(model, arrays):
    """Whether an eager graph runs faster on one thread (see SMALL_GRAPH_ELEMENTS)."""
    kinds = {op.get_type_name() for op in model.get_ordered_ops()}
    ports = list(model.inputs) + list(model.outputs)
    elements = sum(plugin.port_elements(p) for p in ports)
    if kinds & _SLOW_KERNELS:
        return elements <= SLOW_KERNEL_ELEMENTS
    if sum(a.size for a in arrays) <= SMALL_GRAPH_ELEMENTS:
        return True
    if elements > MEMORY_BOUND_ELEMENTS:
        return False
    return not kinds & _POOL_OPS


def _io_bytes(model):
    """Bytes of a model's (static) inputs and outputs: what its buffers scale with."""
    return sum(plugin.port_bytes(p) for p in list(model.inputs) + list(model.outputs))


def run(key, build, arrays, in_dtypes):
    """Run ``build`` (Parameters -> outputs) on host arrays, compiling once.

    ``key`` must determine the graph ``build`` makes given inputs of these
    shapes and dtypes; the shapes, dtypes and execution config are added here.
    """
    _check_session()
    full_key = (key, tuple((a.shape, d) for a, d in zip(arrays, in_dtypes)), settings.config.key())
    exe = cache.get(full_key)
    if exe is None:
        params = [make_parameter(a.shape, d) for a, d in zip(arrays, in_dtypes)]
        with scope.building():
            outputs = build(params)
        model = ov.Model([o for o in outputs], params, "keras_ov_eager")
        shape = view_shape(model)
        if shape is not None:
            exe = ViewExecutable(shape)
        else:
            one = _one_thread(model, arrays)
            exe = make_executable(model, {"INFERENCE_NUM_THREADS": 1} if one else None)
        cache.put(full_key, exe, _io_bytes(model))
    return exe(arrays, in_dtypes)
