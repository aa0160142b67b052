"""Keras backend contract: export.

``trace_model`` turns a Keras model into one ``openvino.Model`` by calling it
on symbolic inputs (weights become Constants); ``export_model`` saves that as
OpenVINO IR (``.xml`` + ``.bin``).  Keras's own ``model.export(format=
"openvino")`` also works: it uses the ``OpenVINOKerasTensor`` name in
``backend.core``.  TensorFlow SavedModel archives are not available with
this backend.
"""

import inspect

import openvino as ov

from keras.src import tree
from keras.src.backend.common import standardize_dtype
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_ov.engine import compiled, execute, layout
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops.coerce import to_tensor


class OpenvinoExportArchive:
    """Backend half of ``keras.export.ExportArchive`` (TF SavedModel): unsupported."""

    def _unsupported(self, *args, **kwargs):
        raise NotImplementedError(
            "`export_saved_model` only currently supports the tensorflow, jax "
            "and torch backends. With keras-ov, export OpenVINO IR instead: "
            "`model.export(path, format='openvino')` or `keras-ov export "
            "MODEL.keras OUT.xml`"
        )

    track = _unsupported
    add_endpoint = _unsupported
    track_and_add_endpoint = _unsupported


def _specs(model, input_signature):
    if input_signature is None:
        # lazy: keras.src.export loads TensorFlow-facing modules; only needed here
        from keras.src.export.export_utils import get_input_signature

        input_signature = get_input_signature(model)
        if isinstance(input_signature, list) and len(input_signature) == 1:
            input_signature = input_signature[0]
    return input_signature


def _spec_name(spec, i):
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) and name else f"input_{i}"


def trace_model(model, input_signature=None):
    """The model's inference call (``training=False``) as one ``openvino.Model``.

    ``input_signature``: a structure of ``keras.InputSpec``/``KerasTensor``
    (``None`` dims stay dynamic); by default the model's own inputs.
    """
    signature = _specs(model, input_signature)
    leaves = tree.flatten(signature)
    specs = [(tuple(s.shape), standardize_dtype(s.dtype or "float32")) for s in leaves]

    def fn(*inputs):
        packed = tree.pack_sequence_as(signature, list(inputs))
        with StatelessScope():
            if isinstance(packed, (list, tuple)) and _takes_several_inputs(model, packed):
                outputs = model(*packed, training=False)
            else:
                outputs = model(packed, training=False)
        flat = tree.flatten(outputs)
        return [o if isinstance(o, OVTensor) else _as_tensor(o) for o in flat]

    ov_model, _ = compiled.trace(fn, specs, name=getattr(model, "name", "keras_model"))
    for i, (param, spec) in enumerate(zip(ov_model.get_parameters(), leaves)):
        name = _spec_name(spec, i)
        param.set_friendly_name(name)
        param.output(0).get_tensor().set_names({name})
    out_names = getattr(model, "output_names", None) or []
    for i, result in enumerate(ov_model.outputs):
        name = out_names[i] if i < len(out_names) else f"output_{i}"
        result.get_tensor().set_names({name})
    return ov_model


def _takes_several_inputs(model, packed):
    params = [
        p for p in inspect.signature(model.call).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "training"
    ]
    return len(params) > 1 and len(packed) == len(params)


def _as_tensor(value):
    return to_tensor(value, op="export")


def export_model(model, filepath, input_signature=None, compress_to_fp16=False):
    """Save ``model`` as OpenVINO IR at ``filepath`` (``.xml``; weights in ``.bin``)."""
    if not str(filepath).endswith(".xml"):
        raise ValueError(f"keras-ov: OpenVINO IR paths end with '.xml', got {filepath!r}")
    ov_model = trace_model(model, input_signature)
    if not execute.needs_reference(ov_model):  # a clean graph: no layout Transpose pairs
        layout.optimize(ov_model)
    ov.save_model(ov_model, str(filepath), compress_to_fp16=compress_to_fp16)
    return ov_model
