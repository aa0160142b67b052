"""Traced functions: Python code over OVTensors captured as OpenVINO models.

Two users:

* control flow (``backend.core``): an If branch or a Loop body is traced with
  fresh Parameters; ``extract_body`` turns what was built into an ``ov.Model``.
  Values the body reads from the enclosing graph (closures over symbolic
  tensors) become extra body Parameters, returned as ``captured`` so the caller
  wires them to the If/Loop node.
* whole functions (``backend.trainer``, ``backend.export``, the CLI):
  ``trace`` builds one ``ov.Model`` from a function of symbolic inputs, and
  ``CompiledFunction`` compiles it once through the engine and runs each call
  with a single infer request.

Which nodes belong to a body is decided by creation order: OpenVINO numbers
every node it creates (``Node.get_instance_id``), so a node numbered below the
mark taken before tracing was built by the enclosing graph.
"""

import numpy as np
import openvino as ov
import openvino.opset15 as ov_ops

from keras_ov.engine import dtypes, execute, layout, plugin, reference, scope
from keras_ov.engine import tensor as tensor_module
from keras_ov.engine.tensor import OVTensor


def mark():
    """A node number: nodes created after this call have larger numbers."""
    return ov_ops.constant(np.int32(0)).get_instance_id()


def symbolic(shape, dtype, name=None):
    """A fresh Parameter as a symbolic OVTensor (``None`` dims are dynamic)."""
    param = execute.make_parameter([-1 if d is None else d for d in shape], dtype)
    if name:
        param.set_friendly_name(name)
    return OVTensor(output=param.output(0))


def parameter_of(tensor):
    """The Parameter node behind a tensor made by ``symbolic``."""
    return tensor.output.get_node()


def _clone_constant(node):
    return ov.op.Constant(node.get_tensor_view(), shared_memory=False)


def extract_body(results, own_params, since, op):
    """An ``ov.Model`` computing ``results`` from ``own_params``.

    ``results`` are Outputs built after the node number ``since``.  Walking
    back from them, Outputs of older nodes (the enclosing graph) are replaced
    by new Parameters, and returned in ``captured`` (the enclosing Outputs, in
    the order of the extra Parameters); Constants are copied instead, so shape
    arithmetic stays foldable.  Returns ``(model, params, captured)`` with
    ``params = own_params + extra``.
    """
    own = {p.get_instance_id() for p in own_params}
    result_nodes = [ov_ops.result(r) for r in results]
    extra, captured, replacement = [], [], {}
    seen = set()
    stack = list(result_nodes)
    while stack:
        node = stack.pop()
        for port in node.inputs():
            src = port.get_source_output()
            src_node = src.get_node()
            nid = src_node.get_instance_id()
            if nid in own:
                continue
            if nid > since:
                if src_node.get_type_name() == "Parameter":
                    raise ValueError(
                        f"keras-ov: `{op}` body uses a symbolic tensor from another "
                        f"graph ({src_node.get_friendly_name()}); a tensor traced "
                        "elsewhere cannot flow into this one"
                    )
                if nid not in seen:
                    seen.add(nid)
                    stack.append(src_node)
                continue
            key = (nid, src.get_index())
            if key not in replacement:
                if src_node.get_type_name() == "Constant":
                    replacement[key] = _clone_constant(src_node).output(0)
                else:
                    p = ov_ops.parameter(src.get_partial_shape(), src.get_element_type())
                    extra.append(p)
                    captured.append(src)
                    replacement[key] = p.output(0)
            port.replace_source_output(replacement[key])
    params = list(own_params) + extra
    return ov.Model(result_nodes, params, f"keras_ov_{op}_body"), params, captured


def _parameters_of(output):
    """The Parameter nodes ``output`` is computed from."""
    seen, params, stack = set(), [], [output.get_node()]
    while stack:
        node = stack.pop()
        nid = node.get_instance_id()
        if nid in seen:
            continue
        seen.add(nid)
        if node.get_type_name() == "Parameter":
            params.append(node)
        else:
            stack.extend(port.get_source_output().get_node() for port in node.inputs())
    return params


class _KnownInputs:
    """Values of symbolic tensors computed from inputs whose values are known.

    Pushed on ``tensor._symbolic_values`` while ``trace`` runs a function on
    given ``values`` (one per input Parameter): a tensor's value is its part
    of the graph, compiled and run on those values.  A tensor that depends on
    any other Parameter (a control-flow body, a shape-inference trace) has
    none (None).
    """

    def __init__(self, inputs, values):
        self.values = {
            parameter_of(t).get_instance_id(): np.asarray(v) for t, v in zip(inputs, values)
        }
        self.cache = {}

    def __call__(self, tensor):
        output = tensor.output
        key = (output.get_node().get_instance_id(), output.get_index())
        if key in self.cache:
            return self.cache[key]
        params = _parameters_of(output)
        if any(p.get_instance_id() not in self.values for p in params):
            return None
        model = ov.Model([ov_ops.result(output)], params, "keras_ov_value")
        arrays = [self.values[p.get_instance_id()] for p in params]
        in_dtypes = [dtypes.from_ov(p.get_output_element_type(0)) for p in params]
        value = execute.make_executable(model)(arrays, in_dtypes)[0]
        self.cache[key] = value
        return value


def trace(fn, specs, name="keras_ov_function", values=None):
    """Trace ``fn(*symbolic_inputs)`` into ``(ov.Model, outputs)``.

    ``specs`` is a list of ``(shape, dtype)``; ``fn`` returns a flat list of
    OVTensors (concrete results become Constants of the model).  With
    ``values`` (one host array per input), ``fn`` may read the value of any
    tensor it computes from the inputs (``numpy()``, ``float()``, ...), as in
    eager execution; the traced graph is the same.
    """
    inputs = [symbolic(shape, dtype, f"input_{i}") for i, (shape, dtype) in enumerate(specs)]
    with scope.building():
        if values is None:
            outputs = fn(*inputs)
        else:
            tensor_module._symbolic_values.append(_KnownInputs(inputs, values))
            try:
                outputs = fn(*inputs)
            finally:
                tensor_module._symbolic_values.pop()
    for i, o in enumerate(outputs):
        if not isinstance(o, OVTensor):
            raise TypeError(
                f"keras-ov: traced function `{name}` returned a {type(o).__name__} "
                f"as output {i}; outputs must be tensors"
            )
    results = [ov_ops.result(o.output) for o in outputs]
    try:
        model = ov.Model(results, [parameter_of(t) for t in inputs], name)
    except RuntimeError as e:
        if "undeclared parameters" not in str(e):
            raise
        raise ValueError(
            f"keras-ov: traced function `{name}` uses a symbolic tensor from another "
            f"graph (a tensor traced elsewhere cannot flow into this one): {e}"
        ) from None
    return model, outputs


_WIDE_INT = frozenset((ov.Type.i64, ov.Type.u64, ov.Type.u32))


def _narrowing(param):
    """How a wide input may be fed narrower, exactly: None, "convert" or "index".

    Keras layers cast their inputs to the compute dtype, so a float64 NumPy
    batch fed to a float32 model reaches it as ``Parameter(f64) -> Convert(f32)``:
    converting on the way in is bit-identical (both round to nearest).  The
    same holds for int64 ids only cast to int32 (both wrap).  int64 ids that
    only index (``Embedding`` on int64 inputs: Gather indices) or are only
    converted to a float (sparse labels in a loss) are exact in int32
    whenever they fit it, which the feed checks.  Either way the model
    stays off the slow exact path.
    """
    t = param.get_output_element_type(0)
    consumers = list(param.output(0).get_target_inputs())
    if not consumers:
        return None
    kinds = [
        (c.get_node().get_type_name(), c.get_index(), c.get_node().get_output_element_type(0))
        for c in consumers
        if c.get_node().get_type_name() != "ShapeOf"
    ]  # (the shape is the same)
    if t == ov.Type.f64:
        return "convert" if all(k == ("Convert", 0, ov.Type.f32) for k in kinds) else None
    if t not in _WIDE_INT:
        return None
    if all(k == ("Convert", 0, ov.Type.i32) for k in kinds):
        return "convert"
    if all(
        k == ("Convert", 0, ov.Type.i32)
        or k[:2] == ("Gather", 1)
        or (k[:2] == ("Convert", 0) and k[2].is_real())
        for k in kinds
    ):
        return "index"  # (an integer that fits int32 converts to a float the same)
    return None


def narrow_inputs(model):
    """Narrow the wide inputs ``_narrowing`` allows, in place.

    Returns the per-input dtype the caller must feed and the indices of the
    inputs whose values must be checked to fit int32.
    """
    feed, checked = [], []
    for i, param in enumerate(model.get_parameters()):
        dtype = dtypes.from_ov(param.get_output_element_type(0))
        how = _narrowing(param)
        if how is not None:
            narrow = "float32" if dtype == "float64" else "int32"
            param.set_element_type(dtypes.to_ov(narrow))
            if how == "index":
                checked.append(i)
            dtype = narrow
        feed.append(dtype)
    model.validate_nodes_and_infer_types()
    return feed, checked


def _check_index_input(a, i, name):
    if not dtypes.fits_int32(a):
        bad = a.max() if a.max() > 2**31 - 1 else a.min()
        raise ValueError(
            f"keras-ov: input {i} of `{name}` indexes a tensor with the value {bad}, "
            "outside int32: no axis is that long"
        )


class CompiledFunction:
    """One traced model, compiled through the engine.

    ``__call__`` takes host arrays (one per model input) and returns host
    arrays (one per model output) with a single infer request.

    A model traced with dynamic dims (the batch) is compiled for the concrete
    shapes of its first call: the CPU plugin runs static shapes faster (BERT
    encoder, batch 8: ~10%) and compiles them as fast.  Calls with other
    shapes (a last partial batch, another batch size) share one
    dynamic-shape compilation, made when the first of them arrives; the model
    is dropped then.  So a traced function holds at most two executables.
    """

    def __init__(self, model, properties=None):
        self.name = model.get_friendly_name()
        self.in_dtypes, self._checked = narrow_inputs(model)
        exact = execute.needs_reference(model)
        execute.release_intermediate_memory()  # lower the compile's peak
        if not exact:
            layout.optimize(model)  # channels-last convs: cancel the layout Transposes
        self.inputs = [p.get_partial_shape() for p in model.get_parameters()]
        self.properties = properties
        self.static_shapes = None  # the input shapes `executable` was compiled for
        self.dynamic = None  # the executable for every other shape
        if exact or not model.is_dynamic():
            self._model = None
            self.executable = execute.make_executable(model, properties)
            self.dynamic = self.executable
        else:
            self._model = model  # compiled on the first call
            self.executable = None

    @property
    def exact_path(self):
        """True if the model runs on the reference kernels (wide dtypes)."""
        return isinstance(self.executable or self.dynamic, reference.ReferenceExecutable)

    def _specialize(self, shapes):
        """Compile the model with its dynamic dims set to ``shapes``."""
        model = self._model.clone()
        model.reshape(
            {p.output(0): ov.PartialShape(list(s)) for p, s in zip(model.get_parameters(), shapes)}
        )
        return execute.make_executable(model, self.properties)

    def _executable_for(self, fed):
        if self._model is None and self.static_shapes is None:
            return self.dynamic  # static model or wide dtypes: one executable
        shapes = tuple(a.shape for a in fed)
        if self.executable is None and any(0 in s for s in shapes):
            # Empty data: the CPU plugin can crash compiling a graph
            # specialized to a zero-size shape (a LayerNormalization train step
            # on a (1, 0, 10) batch segfaults in compile_model); the
            # dynamic-shape compilation runs it, and empty batches are rare.
            return self._dynamic_executable()
        if self.executable is None:
            self.static_shapes = shapes
            self.executable = self._specialize(shapes)
        if shapes == self.static_shapes:
            return self.executable
        return self._dynamic_executable()

    def _dynamic_executable(self):
        if self.dynamic is None:
            self.dynamic = execute.make_executable(self._model, self.properties)
            self._model = None
        return self.dynamic

    def _feed(self, arrays):
        fed = []
        for a, dt in zip(arrays, self.in_dtypes):
            a = np.asarray(a)
            target = dtypes.to_numpy(dt)
            fed.append(a if a.dtype == target else a.astype(target))
        for i in self._checked:
            if np.asarray(arrays[i]).dtype != fed[i].dtype:
                _check_index_input(np.asarray(arrays[i]), i, self.name)
        return fed

    def __call__(self, arrays):
        fed = self._feed(arrays)
        return self._executable_for(fed)(fed, self.in_dtypes)

    def start(self, arrays):
        """Start ``self(arrays)`` and return at once: a handle whose
        ``wait()`` gives the outputs.  Only the CPU plugin runs it in the
        background; other executors (reference kernels) finish here."""
        fed = self._feed(arrays)
        exe = self._executable_for(fed)
        if isinstance(exe, plugin.CompiledExecutable):
            return exe.start(fed, self.in_dtypes)
        return plugin.Done(exe(fed, self.in_dtypes))

    def map(self, batches):
        """``[self(arrays) for arrays in batches]``, with the batches of one
        compiled shape run through an async infer queue."""
        feds = [self._feed(arrays) for arrays in batches]
        groups = {}  # executable -> indices of the batches it runs
        for k, fed in enumerate(feds):
            groups.setdefault(self._executable_for(fed), []).append(k)
        results = [None] * len(feds)
        for exe, ks in groups.items():
            if isinstance(exe, plugin.CompiledExecutable) and len(ks) > 1:
                outs = exe.run_many([feds[k] for k in ks], self.in_dtypes)
            else:
                outs = [exe(feds[k], self.in_dtypes) for k in ks]
            for k, out in zip(ks, outs):
                results[k] = out
        return results
