"""The trainer methods keras-hub's OpenVINO generation path calls.

On the ``openvino`` backend, keras-hub's ``CausalLM.make_generate_function``
(and so every ``Seq2SeqLM``) runs ``generate`` through
``keras_hub/src/utils/openvino_utils.py::ov_infer``:

1. ``struct_params = model._parameterize_data(inputs)``: the NumPy inputs as
   symbolic tensors whose ``.output.get_node()`` is an OpenVINO Parameter;
2. ``model.struct_outputs = generate_step(struct_params, stop_token_ids)``,
   run symbolically, so the whole generation (prefill, the ``while_loop`` of
   decode steps, the sampler) is traced into one OpenVINO graph; the model's
   weights, read outside any ``StatelessScope``, become Constants of it;
3. an ``ov.Model`` of those Parameters and outputs, with every input dim made
   dynamic, compiled by keras-hub and stored as ``model.ov_compiled_model``;
4. ``model._unpack_singleton`` on the packed outputs.

keras-ov takes step 3 over (``FastGenerate``): when ``struct_outputs`` is
set, it compiles the traced graph itself, for the traced static shapes, with
``layout.optimize`` and one CPU thread at small batches; keras-hub is handed
stand-ins of the outputs (same structure, scalar Constants), compiles those in
milliseconds, and the ``ov_compiled_model`` setter keeps keras-ov's model.

``compile_model`` makes a Result of every leaf of ``tree.flatten(outputs)``,
and Keras's ``tree`` keeps ``None`` as a leaf: a text-only Gemma3 returns
``"images": None``.  Each None output is compiled as a placeholder (a bool
scalar Constant of its own), and ``_unpack_singleton`` turns the
placeholders' values back into None.

Later calls reuse ``model.ov_compiled_model`` for *any* input, whatever its
shape and whatever sampler was compiled since.  The graph is traced with the
static shapes of the first inputs (Python shape arithmetic in
``generate_step`` -- the decode loop's length, the cache's size -- is baked
in), so such reuse could return wrong tokens silently.  ``GenerationMixin``
therefore keeps one compiled model per input signature and sampler: a call
with a signature it has not compiled raises ``RuntimeError``, which keras-hub
answers by tracing and compiling again (it prints a warning), and a new
sampler (``compile(sampler=...)``) or generate function drops them all, as
do new weights (assigned by ``fit`` or ``load_weights``, or variables replaced
by a layer-level ``quantize``: ``graph_step.WeightsStamp``).
"""

import numpy as np
import openvino as ov

from keras.src import tree

from keras_ov.backend.graph_step import WeightsStamp
from keras_ov.engine import compiled, dtypes, layout, plugin
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _leaf_spec(x):
    """``(shape, dtype)`` of one input leaf (a host array or a Python scalar)."""
    if isinstance(x, OVTensor) and not x.is_symbolic:
        x = x.data
    if isinstance(x, bool):
        return (), "bool"
    if isinstance(x, int):
        return (), "int32"
    if isinstance(x, float):
        return (), "float32"
    if isinstance(x, (np.ndarray, np.generic)):
        dtype = dtypes.from_numpy(x.dtype)
        if dtype is None:
            raise TypeError(
                f"keras-ov: `generate` got an input of dtype {x.dtype} (shape "
                f"{x.shape}), which OpenVINO cannot take"
            )
        return tuple(x.shape), dtype
    raise TypeError(
        f"keras-ov: `generate` got an input of type {type(x).__name__} ({x!r:.80}); "
        "expected NumPy arrays or Python numbers"
    )


def _signature(data):
    return tuple(_leaf_spec(x) for x in tree.flatten(data))


class _PerSignature:
    """The compiled models of one generate function, one per input signature.

    Called as keras-hub calls a compiled model (``compiled(flat_inputs)``), it
    runs the model compiled for the inputs' signature, or raises
    ``RuntimeError`` so that keras-hub traces and compiles for it.
    """

    def __init__(self, owner):
        self.owner = owner
        self.models = {}

    def __call__(self, flat_inputs):
        sig = _signature(flat_inputs)
        model = self.models.get(sig)
        if model is None:
            raise RuntimeError(f"keras-ov: no generate graph compiled yet for inputs {sig}")
        return model(flat_inputs)


class _Outputs(tuple):
    """Host outputs of one generate call, read by keras-hub as ``.to_tuple()``."""

    def to_tuple(self):
        return tuple(self)


class FastGenerate:
    """keras-ov's own compile of one traced generate graph.

    keras-hub would compile the graph with every input dim made dynamic, on
    the device's default threads.  The graph was traced for static shapes
    anyway (the decode loop's length and the cache's size are baked in), so
    keras-ov keeps them, folds constants and sinks Transposes
    (``layout.optimize``), and compiles with the engine's config (its
    threads: every core unless ``KERAS_OV_THREADS`` says otherwise; on a quiet
    2-core machine two threads decode 1.5x (batch 1 and 4) the tokens/s of
    one, GPT-2-style model, 6 layers, hidden 512).

    Like keras-hub's compile, this runs the graph on the CPU plugin even
    where ``execute.needs_reference`` would send a traced function to the
    reference kernels: every generate graph holds int32 reductions of the
    padding mask (its row lengths, at most the sequence length, where the
    CPU plugin is exact) and an int64 trip count, and the reference kernels
    have no Einsum.
    """

    def __init__(self, params, outputs):
        model = ov.Model(
            [ov_ops.result(o.output) for o in outputs],
            [compiled.parameter_of(p) for p in params],
            "keras_ov_generate",
        )
        self.in_dtypes = [p.dtype for p in params]
        layout.optimize(model)
        self.rewritten = matvec_einsums(model)
        self.split_carries = split_loop_carries(model)
        self.executable = plugin.CompiledExecutable(model)

    def __call__(self, flat_inputs):
        arrays = [np.asarray(x, dtypes.to_numpy(d)) for x, d in zip(flat_inputs, self.in_dtypes)]
        return _Outputs(self.executable(arrays, self.in_dtypes))


def _matvec_einsum(node):
    """An Einsum of two computed operands where every label missing from the
    larger one has size 1 (a decode step's attention: one query against the
    cache, ``aecd,abcd->acbe``; the probabilities times the values,
    ``acbe,aecd->abcd``), as Multiply + ReduceSum in the larger operand's
    layout.  The CPU plugin's Einsum would transpose the whole cache for a
    MatMul of one row; here only the small operand and the small result move.
    Returns the replacement Output, or None if the pattern does not apply."""
    spec = node.get_attributes()["equation"].replace(" ", "")
    if "..." in spec or node.get_input_size() != 2:
        return None
    ins, out = spec.split("->")
    labels = ins.split(",")
    values = [node.input_value(i) for i in range(2)]
    if any(v.get_node().get_type_name() == "Constant" for v in values):
        return None  # a weight: the plugin's FullyConnected is the right kernel
    shapes = [v.get_partial_shape() for v in values]
    if not all(s.is_static for s in shapes) or any(len(set(lab)) != len(lab) for lab in labels):
        return None
    shapes = [list(s.to_shape()) for s in shapes]
    size = {}
    for lab, shape in zip(labels, shapes):
        for c, d in zip(lab, shape):
            if size.setdefault(c, d) != d:
                return None  # broadcasting size-1 labels: leave it to Einsum
    big = int(np.prod(shapes[1])) > int(np.prod(shapes[0]))
    big_lab, small_lab = labels[big], labels[not big]
    extra = "".join(dict.fromkeys(c for c in small_lab + out if c not in big_lab))
    if any(c not in size or size[c] != 1 for c in extra):
        return None  # an output-only label, or a free dim of the small operand
    common = big_lab + extra
    big_v = g.reshape(values[big], [size[c] for c in common])
    order = [c for c in common if c in small_lab]
    small_v = ov_ops.transpose(values[not big], g.i64([small_lab.index(c) for c in order]))
    small_v = g.reshape(small_v.output(0), [size[c] if c in small_lab else 1 for c in common])
    prod = ov_ops.multiply(big_v, small_v)
    summed = [i for i, c in enumerate(common) if c not in out]
    kept = [c for c in common if c in out]
    red = ov_ops.reduce_sum(prod, g.i64(summed), False) if summed else prod
    perm = [kept.index(c) for c in out]
    moved = [i for i in perm if size[kept[i]] != 1]
    if moved == sorted(moved):  # only size-1 dims move: a Reshape (the CPU
        # plugin compiles such a Transpose after a ReduceSum to a wrong shape)
        return g.reshape(red.output(0), [size[c] for c in out])
    return ov_ops.transpose(red, g.i64(perm)).output(0)


def matvec_einsums(model):
    """``_matvec_einsum`` on every Einsum of ``model`` and of its Loop bodies;
    returns how many were rewritten."""
    done = 0
    for node in model.get_ordered_ops():
        kind = node.get_type_name()
        if kind == "Loop":
            body = node.get_function()
            if matvec_einsums(body):
                done += 1
        elif kind == "Einsum":
            new = _matvec_einsum(node)
            if new is not None:
                new.get_node().set_friendly_name(node.get_friendly_name())
                node.output(0).replace(new)
                done += 1
    if done:
        model.validate_nodes_and_infer_types()
    return done


def _const_ints(value):
    """The integers of a Constant Output, or None if it is not a Constant."""
    node = value.get_node()
    if node.get_type_name() != "Constant":
        return None
    return [int(v) for v in np.asarray(node.get_data()).reshape(-1)]


def _picked_index(node, shape):
    """``(axis, index)`` if ``node`` is a StridedSlice (of a value of
    ``shape``) that picks one index of one axis (shrinking it) and keeps every
    other axis whole; else None."""
    if node.get_type_name() != "StridedSlice":
        return None
    bounds = [_const_ints(node.input_value(i)) for i in (1, 2, 3)]
    rank = len(shape)
    if any(b is None or len(b) != rank for b in bounds):
        return None
    begin, end, strides = bounds
    attrs = node.get_attributes()

    def mask(name):
        m = list(attrs.get(name) or [])
        return m + [0] * (rank - len(m)) if len(m) <= rank else None

    masks = {k: mask(k) for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
    if any(m is None for m in masks.values()) or any(attrs.get("new_axis_mask") or []):
        return None
    if any(attrs.get("ellipsis_mask") or []):
        return None
    shrunk = [j for j, m in enumerate(masks["shrink_axis_mask"]) if m]
    if len(shrunk) != 1 or masks["begin_mask"][shrunk[0]]:
        return None
    axis = shrunk[0]
    for j in range(rank):
        if j == axis:
            continue
        whole_begin = masks["begin_mask"][j] or begin[j] == 0
        whole_end = masks["end_mask"][j] or end[j] >= shape[j]
        if not (whole_begin and whole_end and strides[j] == 1):
            return None
    index = begin[axis] + shape[axis] if begin[axis] < 0 else begin[axis]
    if not 0 <= index < shape[axis]:
        return None
    return axis, index


def _live_readers(value, live):
    """The nodes among ``live`` (instance ids) that read ``value``: a rewrite
    leaves the nodes it cut off still connected to their inputs."""
    nodes = (t.get_node() for t in value.get_target_inputs())
    return [n for n in nodes if n.get_instance_id() in live]


def _stacked_parts(value, axis, n, part_shape, live):
    """The Unsqueezes through which ``value`` stacks ``n`` parts along
    ``axis`` as ``Concat(Unsqueeze(part, axis) ..., axis)``, read by nothing
    but one Result; else None."""
    concat = value.get_node()
    if concat.get_type_name() != "Concat" or concat.get_input_size() != n:
        return None
    rank = len(part_shape) + 1
    if concat.get_attributes()["axis"] % rank != axis or len(_live_readers(value, live)) != 1:
        return None
    parts = []
    for v in concat.input_values():
        unsqueeze = v.get_node()
        if unsqueeze.get_type_name() != "Unsqueeze":
            return None
        axes = _const_ints(unsqueeze.input_value(1))
        if axes is None or [a % rank for a in axes] != [axis]:
            return None
        part = unsqueeze.input_value(0)
        ps = part.get_partial_shape()
        if not ps.is_static or list(ps.to_shape()) != part_shape:
            return None
        parts.append(unsqueeze)
    return parts


def _split_one_carry(loop):
    """One carried value of ``loop`` that the body only reads as whole slices
    ``x[:, k]`` (StridedSlices picking index ``k`` of one axis) and writes
    back as ``stack([y_0, ..., y_{n-1}], axis)``, split into ``n`` carried
    values (the slices become body Parameters, the ``y_k`` body Results).
    keras-hub's decode loop carries all layers' keys and values as one
    tensor: the CPU plugin copies it slice by slice into the layers and back
    into one tensor on every step.  Returns the new Loop (the old one's
    outputs replaced), or None if no carried value has that shape."""
    body = loop.get_function()
    params, results = list(body.get_parameters()), list(body.get_results())
    ins, outs = loop.get_input_descriptions(), loop.get_output_descriptions()
    kinds = {type(d).__name__ for d in ins} | {type(d).__name__ for d in outs}
    if not kinds <= {
        "MergedInputDescription",
        "InvariantInputDescription",
        "SliceInputDescription",
        "BodyOutputDescription",
        "ConcatOutputDescription",
    }:
        return None
    counter, condition = loop.get_special_body_ports()
    live = {n.get_instance_id() for n in body.get_ordered_ops()}
    for d in ins:
        if type(d).__name__ != "MergedInputDescription":
            continue
        param, result = params[d.body_parameter_index], results[d.body_value_index]
        ps = param.get_output_partial_shape(0)
        if not ps.is_static or ps.rank.get_length() == 0 or d.body_parameter_index == counter:
            continue
        shape = list(ps.to_shape())
        readers = _live_readers(param.output(0), live)
        picks = [_picked_index(r, shape) for r in readers]
        if not picks or any(p is None for p in picks) or len({a for a, _ in picks}) != 1:
            continue
        axis = picks[0][0]
        part_shape = shape[:axis] + shape[axis + 1 :]
        parts = _stacked_parts(result.input_value(0), axis, shape[axis], part_shape, live)
        if parts is None or d.body_value_index == condition:
            continue
        uses = [o for o in outs if o.body_value_index == d.body_value_index]
        if any(type(o).__name__ != "BodyOutputDescription" or o.iteration != -1 for o in uses):
            continue
        merged = [m for m in ins if type(m).__name__ == "MergedInputDescription"]
        if sum(1 for m in merged if m.body_value_index == d.body_value_index) != 1:
            continue
        return _rebuild_split(loop, d, axis, readers, picks, parts, part_shape)
    return None


def _rebuild_split(loop, carry, axis, readers, picks, parts, part_shape):
    """``_split_one_carry``'s new Loop (see there)."""
    body = loop.get_function()
    params, results = list(body.get_parameters()), list(body.get_results())
    old_param, old_result = params[carry.body_parameter_index], results[carry.body_value_index]
    dtype = old_param.get_output_element_type(0)
    n = len(parts)
    new_params = [ov_ops.parameter(part_shape, dtype) for _ in range(n)]
    for reader, (_, k) in zip(readers, picks):
        reader.output(0).replace(new_params[k].output(0))
    new_results = [ov_ops.result(u.input_value(0)) for u in parts]
    keep_params = [p for p in params if p is not old_param]
    keep_results = [r for r in results if r is not old_result]
    new_body = ov.Model(
        keep_results + new_results, keep_params + new_params, body.get_friendly_name()
    )
    param_at = {id(p): i for i, p in enumerate(keep_params)}
    result_at = {id(r): i for i, r in enumerate(keep_results)}
    counter, condition = loop.get_special_body_ports()
    new_loop = ov_ops.loop(loop.input_value(0), loop.input_value(1))
    new_loop.set_function(new_body)
    new_loop.set_special_body_ports(
        [
            -1 if counter < 0 else param_at[id(params[counter])],
            -1 if condition < 0 else result_at[id(results[condition])],
        ]
    )
    body_params, body_results = new_body.get_parameters(), new_body.get_results()
    for d in loop.get_input_descriptions():
        value = loop.input_value(d.input_index)
        kind = type(d).__name__
        if d.body_parameter_index == carry.body_parameter_index:
            for k in range(n):
                first = ov_ops.gather(value, g.i64(k), g.i64(axis)).output(0)
                new_loop.set_merged_input(
                    body_params[len(keep_params) + k],
                    first,
                    body_results[len(keep_results) + k].output(0),
                )
            continue
        p = body_params[param_at[id(params[d.body_parameter_index])]]
        if kind == "MergedInputDescription":
            r = body_results[result_at[id(results[d.body_value_index])]]
            new_loop.set_merged_input(p, value, r.output(0))
        elif kind == "InvariantInputDescription":
            new_loop.set_invariant_input(p, value)
        else:
            new_loop.set_sliced_input(p, value, d.start, d.stride, d.part_size, d.end, d.axis)
    replaced = []
    for d in loop.get_output_descriptions():
        old = loop.output(d.output_index)
        if not old.get_target_inputs():
            continue
        if d.body_value_index == carry.body_value_index:
            finals = [
                new_loop.get_iter_value(body_results[len(keep_results) + k].output(0), -1)
                for k in range(n)
            ]
            stacked = [g.unsqueeze_axes(f, [axis]) for f in finals]
            new = ov_ops.concat(stacked, axis).output(0)
        else:
            r = body_results[result_at[id(results[d.body_value_index])]].output(0)
            if type(d).__name__ == "BodyOutputDescription":
                new = new_loop.get_iter_value(r, d.iteration)
            else:
                new = new_loop.get_concatenated_slices(
                    r, d.start, d.stride, d.part_size, d.end, d.axis
                )
        replaced.append((old, new))
    new_loop.validate_and_infer_types()
    new_loop.set_friendly_name(loop.get_friendly_name())
    for old, new in replaced:
        old.replace(new)
    return new_loop


def split_loop_carries(model):
    """``_split_one_carry`` on every Loop of ``model`` until none applies (a
    carry split once may split again: keras-hub's cache is split by layer,
    then by key/value); returns the number of splits."""
    done = 0
    for node in list(model.get_ordered_ops()):
        if node.get_type_name() != "Loop":
            continue
        while node is not None:
            node = _split_one_carry(node)
            done += node is not None
    if done:
        model.validate_nodes_and_infer_types()
    return done


class _NoneOutput:
    """Stands for a None output of ``generate_step`` in the compiled graph:
    ``.output`` is a Constant (a bool scalar)."""

    def __init__(self):
        self.output = ov_ops.constant(np.zeros((), bool)).output(0)
        self.dtype = "bool"


def _stand_in(tensor):
    """A Constant of ``tensor``'s dtype, in place of a traced output (see
    ``GenerationMixin.struct_outputs``)."""
    if isinstance(tensor, _NoneOutput):
        return tensor
    zero = np.zeros((), dtypes.to_numpy(tensor.dtype))
    return OVTensor(output=ov_ops.constant(zero).output(0))


class GenerationMixin:
    """``_parameterize_data``, ``_unpack_singleton``, ``struct_outputs`` and a
    per-signature ``ov_compiled_model`` for keras-hub's OpenVINO generate path.

    ``ov_infer`` sets ``struct_outputs`` to the traced outputs and then
    compiles them itself.  keras-ov compiles them when they are set
    (``FastGenerate``) and hands keras-hub, in their place, the same
    structure of scalar Constants: keras-hub needs only the structure (to pack
    the outputs) and compiles a trivial model of the stand-ins, which
    ``ov_compiled_model``'s setter then replaces with keras-ov's.
    """

    _ov_generate = None  # _PerSignature, once keras-hub has compiled a graph
    _ov_generate_for = None  # (sampler, generate_function) it was compiled for
    _ov_generate_stamp = None  # the weights baked into those graphs
    _ov_pending_signature = None  # signature of the inputs being traced
    _ov_pending_params = None  # their Parameters, flat
    _ov_pending_fast = None  # FastGenerate of the traced outputs
    _ov_struct_outputs = None
    _ov_struct_raw = None  # struct_outputs as set, None outputs kept

    def _parameterize_data(self, data):
        """``data`` (NumPy arrays, Python numbers, in any structure) as fresh
        symbolic tensors of the same shapes and dtypes, each a Parameter."""
        signature = _signature(data)

        def parameter(x):
            if isinstance(x, OVTensor) and x.is_symbolic:
                return x
            shape, dtype = _leaf_spec(x)
            return compiled.symbolic(shape, dtype)

        params = tree.map_structure(parameter, data)
        self._ov_pending_signature = signature
        self._ov_pending_params = tree.flatten(params)
        self._ov_pending_fast = None
        return params

    def _unpack_singleton(self, x):
        raw = self._ov_struct_raw
        if raw is not None:
            flat, like = tree.flatten(x), tree.flatten(raw)
            if len(flat) == len(like) and any(o is None for o in like):
                x = tree.pack_sequence_as(
                    raw, [None if o is None else v for o, v in zip(like, flat)]
                )
        if isinstance(x, (list, tuple)) and len(x) == 1:
            return x[0]
        return x

    @property
    def struct_outputs(self):
        return self._ov_struct_outputs

    @struct_outputs.setter
    def struct_outputs(self, value):
        self._ov_struct_raw = value
        if value is not None:
            value = tree.map_structure(lambda x: _NoneOutput() if x is None else x, value)
        params = self._ov_pending_params
        if value is None or params is None:
            self._ov_struct_outputs = value
            return
        self._ov_pending_fast = FastGenerate(params, tree.flatten(value))
        self._ov_pending_params = None
        self._ov_struct_outputs = tree.map_structure(_stand_in, value)

    def _ov_generate_key(self):
        return (getattr(self, "sampler", None), getattr(self, "generate_function", None))

    @property
    def ov_compiled_model(self):
        cache = self._ov_generate
        if cache is None or not cache.models:
            return None
        sampler, function = self._ov_generate_for
        now_sampler, now_function = self._ov_generate_key()
        if sampler is not now_sampler or function is not now_function:
            self._ov_generate = None  # compile() was called since: trace again
            return None
        if self._ov_generate_stamp.stale(self.variables):
            self._ov_generate = None  # new weights (fit, load_weights, quantize)
            return None
        return cache

    @ov_compiled_model.setter
    def ov_compiled_model(self, value):
        if value is None or isinstance(value, _PerSignature):
            return  # keras-hub drops its model after a miss: keep the others
        if self.ov_compiled_model is None:
            self._ov_generate = _PerSignature(self)
            self._ov_generate_for = self._ov_generate_key()
            self._ov_generate_stamp = WeightsStamp(self.variables, self.variables)
        sig = self._ov_pending_signature
        if sig is None:
            raise RuntimeError(
                "keras-ov: a compiled generate model was stored without "
                "`_parameterize_data` being called first"
            )
        if self._ov_pending_fast is not None:
            value = self._ov_pending_fast  # keras-hub's is of the stand-ins
        self._ov_generate.models[sig] = value
        self._ov_pending_signature = None
        self._ov_pending_fast = None
