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

``compile_model`` makes a Result of every leaf of ``tree.flatten(outputs)``,
and Keras's ``tree`` keeps ``None`` as a leaf: a text-only Gemma3 returns
``"images": None``.  ``model.struct_outputs`` is therefore a property here: it
reads back with each None replaced by a placeholder (a Constant of its own),
and ``_unpack_singleton`` turns those placeholders' values back into None.

Later calls reuse ``model.ov_compiled_model`` for *any* input, whatever its
shape and whatever sampler was compiled since.  The graph is traced with the
static shapes of the first inputs (Python shape arithmetic in
``generate_step`` -- the decode loop's length, the cache's size -- is baked
in), so such reuse could return wrong tokens silently.  ``GenerationMixin``
therefore keeps one compiled model per input signature and sampler: a call
with a signature it has not compiled raises ``RuntimeError``, which keras-hub
answers by tracing and compiling again (it prints a warning), and a new
sampler (``compile(sampler=...)``) or generate function drops them all.
"""

import numpy as np
from keras.src import tree

from keras_ov.engine import compiled, dtypes
from keras_ov.ops.graph import ov_ops
from keras_ov.engine.tensor import OVTensor


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
            raise RuntimeError(
                f"keras-ov: no generate graph compiled yet for inputs {sig}"
            )
        return model(flat_inputs)


class _NoneOutput:
    """Stands for a None output of ``generate_step`` in keras-hub's
    ``compile_model``: ``.output`` is a Constant (a bool scalar)."""

    def __init__(self):
        self.output = ov_ops.constant(np.zeros((), bool)).output(0)


class GenerationMixin:
    """``_parameterize_data``, ``_unpack_singleton`` and a per-signature
    ``ov_compiled_model`` for keras-hub's OpenVINO generate path."""

    _ov_generate = None  # _PerSignature, once keras-hub has compiled a graph
    _ov_generate_for = None  # (sampler, generate_function) it was compiled for
    _ov_pending_signature = None  # signature of the inputs being traced

    def _parameterize_data(self, data):
        """``data`` (NumPy arrays, Python numbers, in any structure) as fresh
        symbolic tensors of the same shapes and dtypes, each a Parameter."""
        self._ov_pending_signature = _signature(data)

        def parameter(x):
            if isinstance(x, OVTensor) and x.is_symbolic:
                return x
            shape, dtype = _leaf_spec(x)
            return compiled.symbolic(shape, dtype)

        return tree.map_structure(parameter, data)

    @property
    def struct_outputs(self):
        outputs = self.__dict__.get("_ov_struct_outputs")
        if outputs is None:
            return None
        return tree.map_structure(lambda x: _NoneOutput() if x is None else x, outputs)

    @struct_outputs.setter
    def struct_outputs(self, value):
        self.__dict__["_ov_struct_outputs"] = value

    def _unpack_singleton(self, x):
        outputs = self.__dict__.get("_ov_struct_outputs")
        if outputs is not None:
            flat, like = tree.flatten(x), tree.flatten(outputs)
            if len(flat) == len(like) and any(o is None for o in like):
                x = tree.pack_sequence_as(
                    outputs, [None if o is None else v for o, v in zip(like, flat)])
        if isinstance(x, (list, tuple)) and len(x) == 1:
            return x[0]
        return x

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
        return cache

    @ov_compiled_model.setter
    def ov_compiled_model(self, value):
        if value is None or isinstance(value, _PerSignature):
            return  # keras-hub drops its model after a miss: keep the others
        if self.ov_compiled_model is None:
            self._ov_generate = _PerSignature(self)
            self._ov_generate_for = self._ov_generate_key()
        sig = self._ov_pending_signature
        if sig is None:
            raise RuntimeError(
                "keras-ov: a compiled generate model was stored without "
                "`_parameterize_data` being called first"
            )
        self._ov_generate.models[sig] = value
        self._ov_pending_signature = None
