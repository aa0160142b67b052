"""OpenVINO-native post-training quantization of a Keras model with NNCF.

``quantize(model, mode, calibration_data)`` traces the model's inference call
into one ``openvino.Model`` (``export.trace_model``, the graph ``predict``
runs), hands it to NNCF and returns a :class:`QuantizedModel` that predicts
and exports that quantized graph.  The Keras model itself is not touched, so
a failed quantization leaves it as it was.

modes:
  "int8"          ``nncf.quantize``: int8 weights and activations (FakeQuantize
                  ranges calibrated on ``calibration_data``); the CPU plugin runs
                  its int8 kernels
  "int8_weights"  ``nncf.compress_weights`` INT8_ASYM: int8 weights, float
                  activations (no calibration data)
  "int4"          ``nncf.compress_weights`` INT4_SYM, per output channel unless
                  ``group_size`` is given (NNCF keeps some layers in int8)

NNCF is optional: ``pip install 'keras-ov[nncf]'``.
"""

from typing import Any

import numpy as np
import openvino as ov

from keras.src import tree
from keras.src.trainers.data_adapters import data_adapter_utils, get_data_adapter

from keras_ov.backend import export
from keras_ov.engine import compiled, layout

MODES = ("int8", "int8_weights", "int4")


def _nncf():
    try:
        import nncf  # lazy: optional extra keras-ov[nncf]; imported only when quantizing
    except ImportError as e:
        raise ImportError(
            "keras_ov.quantize needs NNCF, OpenVINO's compression library: "
            "pip install 'keras-ov[nncf]'"
        ) from e
    return nncf


def _batches(data, batch_size):
    """NumPy batches of the model inputs in ``data`` (arrays, ``(x, y)``, a
    ``keras.utils.PyDataset``, a tf.data or grain dataset, a generator)."""
    adapter = get_data_adapter(data, batch_size=batch_size, shuffle=False)
    for batch in adapter.get_numpy_iterator():
        x, _, _ = data_adapter_utils.unpack_x_y_sample_weight(batch)
        yield [np.asarray(a) for a in tree.flatten(x)]


def quantize(
    model: Any,
    mode: str = "int8",
    calibration_data: Any = None,
    *,
    batch_size: int = 32,
    subset_size: int = 300,
    **nncf_options: Any,
) -> "QuantizedModel":
    """Quantize ``model``'s inference graph with NNCF; returns a QuantizedModel.

    ``calibration_data`` (required for "int8"): model inputs as NumPy arrays,
    ``(x, y)`` tuples, a ``keras.utils.PyDataset``, a tf.data or grain dataset;
    ``subset_size`` samples of it calibrate the ranges.  ``nncf_options`` go to
    ``nncf.quantize`` / ``nncf.compress_weights`` unchanged.
    """
    if mode not in MODES:
        raise ValueError(f"keras_ov.quantize: mode must be one of {MODES}, got {mode!r}")
    if (
        not getattr(model, "built", False)
        or not getattr(model, "inputs", None)
        and not (getattr(model, "_build_shapes_dict", None))
    ):
        raise ValueError(
            f"keras_ov.quantize: model {getattr(model, 'name', model)!r} is not built; "
            "call it on data or build it with an input shape first"
        )
    if mode == "int8" and calibration_data is None:
        raise ValueError("keras_ov.quantize: mode='int8' needs calibration_data (model inputs)")
    nncf = _nncf()
    ov_model = export.trace_model(model)
    layout.optimize(ov_model)
    try:
        if mode == "int8":
            names = [p.get_friendly_name() for p in ov_model.get_parameters()]

            def feed(arrays):
                return dict(zip(names, arrays))

            dataset = nncf.Dataset(list(_batches(calibration_data, batch_size)), feed)
            options = {"subset_size": subset_size, **nncf_options}
            quantized = nncf.quantize(ov_model, dataset, **options)
        else:
            weights_mode = {
                "int8_weights": nncf.CompressWeightsMode.INT8_ASYM,
                "int4": nncf.CompressWeightsMode.INT4_SYM,
            }[mode]
            options = {"group_size": -1, "ratio": 1.0} if mode == "int4" else {}
            options.update(nncf_options)
            quantized = nncf.compress_weights(ov_model, mode=weights_mode, **options)
    except Exception as e:  # NNCF's own errors are many kinds: name the step
        raise RuntimeError(
            f"keras_ov.quantize: NNCF failed to quantize {model.name!r} with mode={mode!r} "
            f"({type(e).__name__}: {e}); the Keras model is unchanged"
        ) from e
    return QuantizedModel(quantized, model.name, mode)


class QuantizedModel:
    """An NNCF-quantized inference graph: ``predict`` and ``export`` on it.

    ``ov_model`` is the quantized ``openvino.Model``.
    """

    def __init__(self, ov_model, name, mode):
        self.ov_model = ov_model
        self.name = name
        self.mode = mode
        self._function = compiled.CompiledFunction(ov_model)

    def predict(self, x, batch_size=32):
        """Outputs for inputs ``x`` (arrays or any source ``quantize`` takes),
        concatenated over batches: one array per model output."""
        outs = [self._function(arrays) for arrays in _batches(x, batch_size)]
        if not outs:
            raise ValueError(f"keras_ov QuantizedModel.predict: no batches in {type(x).__name__}")
        merged = [np.concatenate([np.asarray(o[i]) for o in outs]) for i in range(len(outs[0]))]
        return merged[0] if len(merged) == 1 else merged

    def predict_on_batch(self, x):
        outs = self._function([np.asarray(a) for a in tree.flatten(x)])
        merged = [np.asarray(o) for o in outs]
        return merged[0] if len(merged) == 1 else merged

    def export(self, filepath, compress_to_fp16=False):
        """Save the quantized graph as OpenVINO IR (``.xml`` plus ``.bin``)."""
        if not str(filepath).endswith(".xml"):
            raise ValueError(
                f"keras_ov QuantizedModel.export: IR paths end with '.xml', got {filepath!r}"
            )
        ov.save_model(self.ov_model, str(filepath), compress_to_fp16=compress_to_fp16)
        return str(filepath)

    def __repr__(self):
        return f"<keras_ov.QuantizedModel {self.name!r} mode={self.mode!r}>"


def runtime_precisions(model: Any) -> list[dict[str, Any]]:
    """What ran: for each compiled predict graph of a Keras ``model`` (after a
    ``predict``) or of a QuantizedModel, ``{"hint": INFERENCE_PRECISION_HINT,
    "kernels": {(layer type, runtime precision): count}}`` over its matrix
    kernels (FullyConnected, MatMul, Convolution, ...), read from the CPU
    plugin's runtime model."""
    if isinstance(model, QuantizedModel):
        functions = [model._function]
    else:
        step = getattr(getattr(model, "predict_function", None), "graph_step", None)
        if step is None:
            raise ValueError(
                f"keras_ov.runtime_precisions: {getattr(model, 'name', model)!r} has no "
                "compiled predict graph yet; call predict first"
            )
        functions = [t.function for t in step._cache._data.values()]
    reports = []
    for function in functions:
        executable = function.executable or function.dynamic
        compiled_model = getattr(executable, "compiled", None)
        if compiled_model is None:
            continue
        kernels = {}
        for node in compiled_model.get_runtime_model().get_ordered_ops():
            info = node.get_rt_info()
            kind = info["layerType"].astype(str)
            if kind in ("FullyConnected", "MatMul", "Convolution", "GroupConvolution", "Einsum"):
                key = (kind, info["runtimePrecision"].astype(str))
                kernels[key] = kernels.get(key, 0) + 1
        hint = compiled_model.get_property("INFERENCE_PRECISION_HINT").to_string()
        reports.append({"hint": hint, "kernels": kernels})
    return reports
