"""Keras backend contract: export to OpenVINO IR.

``trace_model`` turns a Keras model into one ``openvino.Model`` by calling it
on symbolic inputs (weights become Constants).  Every dim the model leaves
``None`` (the batch dim always) stays dynamic, and the IR's inputs and outputs
are named after the Keras model's.  ``export_model`` saves it as IR (``.xml``
+ ``.bin``) that keeps keras-ov's precision when compiled with plain
OpenVINO (see ``keep_precision``).  Both ``keras-ov export`` and Keras's
``model.export(path, format="openvino")`` end here: ``keras_ov._activation``
routes Keras's ``export_openvino`` to ``export_openvino`` below, whose own
openvino-backend branch bakes batch 1 into reshapes and names inputs
``Parameter_<n>``.  TensorFlow SavedModel archives are not available with
this backend.
"""

import inspect
import json
import os
import xml.etree.ElementTree as ET

import numpy as np
import openvino as ov
import openvino.opset1 as ov1

from keras.src import tree
from keras.src.backend.common import standardize_dtype
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_ov.engine import compiled, execute, layout
from keras_ov.engine.tensor import OVTensor
from keras_ov.engine.version import VERSION
from keras_ov.ops.coerce import to_tensor

PRECISIONS = ("f32", "bf16", "f16")

# What plain OpenVINO does with an exported IR on each precision:
# f32  -- every node carries ``DisablePrecisionConversion`` for bf16 and f16,
#         so a CPU with bf16 (or a GPU, f16 by default) still computes in
#         float32, as ``predict`` does; weights are stored as float32.
# bf16 -- no marks: the device's default (bf16 on CPUs that have it).
# f16  -- no marks, weights stored as float16.
# Each also records ``runtime_options/INFERENCE_PRECISION_HINT`` in the model's
# rt_info.  OpenVINO 2026.4's CPU plugin does not read that key (it reads only
# the KV-cache options there), hence the per-node marks.
_KEEP_PRECISION = ("DisablePrecisionConversion", "0", "dynamic:bf16,f16")


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
    if isinstance(input_signature, (list, tuple)) and len(input_signature) == 1:
        input_signature = input_signature[0]
    return input_signature


def _spec_name(spec, i):
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) and name else f"input_{i}"


def _splat(model, packed):
    """True if ``model.call`` takes the inputs as separate positional arguments.

    A Functional model takes one structure (``call(inputs, training, mask)``);
    a subclassed ``call(self, x, y)`` takes two.  Only the positional
    parameters without a default count.
    """
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.models.functional import Functional

    if isinstance(model, Functional) or not isinstance(packed, (list, tuple)):
        return False
    required = [
        p
        for p in inspect.signature(model.call).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
        and p.name not in ("training", "mask")
    ]
    return len(required) > 1 and len(required) == len(packed)


def trace_model(model, input_signature=None):
    """The model's inference call (``training=False``) as one ``openvino.Model``.

    ``input_signature``: a structure of ``keras.InputSpec``/``KerasTensor``
    (``None`` dims stay dynamic); by default the model's own inputs with a
    dynamic batch dim.
    """
    signature = _specs(model, input_signature)
    leaves = tree.flatten(signature)
    specs = [(tuple(s.shape), standardize_dtype(s.dtype or "float32")) for s in leaves]

    def fn(*inputs):
        packed = tree.pack_sequence_as(signature, list(inputs))
        with StatelessScope():
            if _splat(model, packed):
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
    out_names = _output_names(model)
    if len(out_names) != len(ov_model.outputs):
        out_names = [f"output_{i}" for i in range(len(ov_model.outputs))]
    for name, result in zip(out_names, ov_model.outputs):
        result.get_tensor().set_names({name})
    return ov_model


def _output_names(model):
    """Functional: its ``output_names``; Sequential: its last layer's name."""
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.models.sequential import Sequential

    if isinstance(model, Sequential) and model.layers:
        return [model.layers[-1].name]
    return list(getattr(model, "output_names", None) or [])


def _as_tensor(value):
    return to_tensor(value, op="export")


def check_precision(precision):
    if precision not in PRECISIONS:
        raise ValueError(
            f"keras-ov export: precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    return precision


def _pools_as_opset1(ov_model):
    """Rewrite MaxPool-8/14 (indices unused) and AvgPool-14 as their opset1 forms.

    The CPU plugin converts the newer versions back to opset1 before building
    its graph, and the new nodes lose ``DisablePrecisionConversion`` (it is
    not copyable): a pool between two convolutions would then run in bf16.
    Written as opset1 they reach the plugin as they are, marks and all.
    """
    changed = False
    for op in ov_model.get_ordered_ops():
        kind, version = op.get_type_name(), op.get_type_info().version_id
        if kind not in ("MaxPool", "AvgPool") or version == "opset1":
            continue
        a = op.get_attributes()
        if a["rounding_type"] not in ("floor", "ceil"):
            continue
        if kind == "MaxPool":
            if any(d != 1 for d in a["dilations"]) or op.output(1).get_target_inputs():
                continue
            new = ov1.max_pool(
                op.input_value(0),
                a["strides"],
                a["pads_begin"],
                a["pads_end"],
                a["kernel"],
                a["rounding_type"],
                a["auto_pad"],
            )
        else:
            new = ov1.avg_pool(
                op.input_value(0),
                a["strides"],
                a["pads_begin"],
                a["pads_end"],
                a["kernel"],
                a["exclude-pad"],
                a["rounding_type"],
                a["auto_pad"],
            )
        new.set_friendly_name(op.get_friendly_name())
        op.output(0).replace(new.output(0))
        changed = True
    if changed:
        ov_model.validate_nodes_and_infer_types()


def _unit_transposes_as_reshapes(ov_model):
    """Rewrite a Transpose that moves only size-1 dims (a 1-channel image's
    NHWC -> NCHW) as a Reshape.

    The CPU plugin makes that rewrite itself, and its new node loses
    ``DisablePrecisionConversion``: the convolution after it would then read a
    bf16 input and the rest of the graph run in bf16.
    """
    changed = False
    for op in ov_model.get_ordered_ops():
        if op.get_type_name() != "Transpose":
            continue
        order = op.input_value(1).get_node()
        shape = op.input_value(0).get_partial_shape()
        if order.get_type_name() != "Constant" or shape.rank.is_dynamic:
            continue
        perm = [int(i) for i in order.get_data().reshape(-1)]
        moved = [i for i in perm if shape[i].is_dynamic or shape[i].get_length() != 1]
        if moved != sorted(moved):
            continue
        target = [0 if shape[i].is_dynamic else shape[i].get_length() for i in perm]
        if sum(d == 0 for d in target) > 1:
            continue
        new = ov1.reshape(op.input_value(0), ov1.constant(np.array(target, np.int64)), True)
        new.set_friendly_name(op.get_friendly_name())
        op.output(0).replace(new.output(0))
        changed = True
    if changed:
        ov_model.validate_nodes_and_infer_types()


# Ops that map each element on its own (second input, if any, a scalar Constant):
# a Dense layer's activation, which stays between the bias Add and the Reshape
# back (see ``_dense_biases_apart``).
_ELEMENTWISE = frozenset(
    {
        "Relu",
        "Gelu",
        "Tanh",
        "Sigmoid",
        "Swish",
        "HSwish",
        "HSigmoid",
        "Elu",
        "Exp",
        "Clamp",
        "SoftPlus",
        "Mish",
        "Abs",
        "Negative",
        "Multiply",
        "Add",
        "Subtract",
        "Divide",
        "Maximum",
        "Minimum",
        "Power",
    }
)


def _is_scalar_constant(value):
    node = value.get_node()
    return node.get_type_name() == "Constant" and int(np.prod(node.get_output_shape(0))) == 1


def _single_consumer(value):
    targets = value.get_target_inputs()
    return next(iter(targets)).get_node() if len(targets) == 1 else None


def _dense_biases_apart(ov_model):
    """Move each Dense layer's bias Add off its MatMul with a Reshape pair.

    The CPU plugin turns ``MatMul(x, W) + b`` into one FullyConnected node with
    a bias, and that new node loses ``DisablePrecisionConversion`` (it is not
    copyable): the layer would run in bf16 on a CPU that has it.  Written as
    ``MatMul -> Reshape [..., 1, N] -> Add b -> activation -> Reshape [..., N]``
    the MatMul becomes a FullyConnected that keeps the mark, and the bias Add
    (with the activation fused into it) stays an f32 elementwise node; the
    Reshapes move no data.  The Reshape back goes after the activation, else
    the plugin moves the activation above it and the rebuilt Reshape loses
    its mark too.
    """
    changed = False
    for op in ov_model.get_ordered_ops():
        if op.get_type_name() != "Add" or op.get_output_element_type(0) != ov.Type.f32:
            continue
        kinds = [op.input_value(i).get_node().get_type_name() for i in (0, 1)]
        if sorted(kinds) != ["Constant", "MatMul"]:
            continue
        port = kinds.index("MatMul")
        matmul, bias = op.input_value(port), op.input_value(1 - port)
        if (
            _single_consumer(matmul) is None
            or matmul.get_node().input_value(1).get_node().get_type_name() != "Constant"
        ):
            continue
        shape = matmul.get_partial_shape()
        if shape.rank.is_dynamic or shape.rank.get_length() < 2 or shape[-1].is_dynamic:
            continue
        rank, units = shape.rank.get_length(), shape[-1].get_length()
        values = bias.get_node().get_data()
        if values.ndim > rank or not values.any():  # OpenVINO drops a zero bias itself
            continue
        # the activation after the bias: single-consumer elementwise ops
        last = op.output(0)
        while True:
            nxt = _single_consumer(last)
            if nxt is None or nxt.get_type_name() not in _ELEMENTWISE or nxt.get_output_size() != 1:
                break
            others = [
                nxt.input_value(i)
                for i in range(nxt.get_input_size())
                if nxt.input_value(i) != last
            ]
            if not all(_is_scalar_constant(v) for v in others):
                break
            last = nxt.output(0)
        consumers = list(last.get_target_inputs())
        split = ov1.reshape(
            matmul, ov1.constant(np.array([0] * (rank - 1) + [units, 1], np.int64)), True
        )
        op.input(port).replace_source_output(split.output(0))
        op.input(1 - port).replace_source_output(
            ov1.constant(values.reshape(values.shape[:-1] + (units, 1))).output(0)
        )
        back = ov1.reshape(last, ov1.constant(np.array([0] * (rank - 1) + [units], np.int64)), True)
        for port in consumers:
            port.replace_source_output(back.output(0))
        changed = True
    if changed:
        ov_model.validate_nodes_and_infer_types()


def keep_precision(xml_path):
    """Mark every layer of the IR at ``xml_path`` (bodies too) to run in its own precision.

    The CPU plugin keeps a node in float32 when its ``DisablePrecisionConversion``
    attribute forbids f16 (it then ignores the bf16 default, and an explicit
    ``INFERENCE_PRECISION_HINT`` too).  The attribute has no Python setter, so
    it is written into the IR's XML.
    """
    name, version, value = _KEEP_PRECISION
    doc = ET.parse(xml_path)
    for layer in doc.iter("layer"):
        rt_info = layer.find("rt_info")
        if rt_info is None:
            rt_info = ET.Element("rt_info")
            children = list(layer)
            at = next((i + 1 for i, c in enumerate(children) if c.tag == "data"), 0)
            layer.insert(at, rt_info)
        if any(a.get("name") == name for a in rt_info.findall("attribute")):
            continue
        ET.SubElement(rt_info, "attribute", {"name": name, "version": version, "value": value})
    doc.write(xml_path, encoding="utf-8", xml_declaration=True)


def export_model(model, filepath, input_signature=None, precision="f32", compress_to_fp16=None):
    """Save ``model`` as OpenVINO IR at ``filepath`` (``.xml``; weights in ``.bin``).

    ``precision`` ("f32", "bf16" or "f16") is what plain OpenVINO computes the
    IR in by default (see ``PRECISIONS``); weights are stored as float16 for
    "f16" (or when ``compress_to_fp16`` says so).  Returns the ``ov.Model``.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".xml"):
        raise ValueError(f"keras-ov export: OpenVINO IR paths end with '.xml', got {filepath!r}")
    check_precision(precision)
    ov_model = trace_model(model, input_signature)
    if not execute.needs_reference(ov_model):  # a clean graph: no layout Transpose pairs
        layout.optimize(ov_model)
    if precision == "f32":
        _pools_as_opset1(ov_model)
        _unit_transposes_as_reshapes(ov_model)
        _dense_biases_apart(ov_model)
    ov_model.set_rt_info(precision, ["runtime_options", "INFERENCE_PRECISION_HINT"])
    ov_model.set_rt_info(precision, ["keras_ov", "precision"])
    ov_model.set_rt_info(VERSION, ["keras_ov", "version"])
    if compress_to_fp16 is None:
        compress_to_fp16 = precision == "f16"
    ov.save_model(ov_model, filepath, compress_to_fp16=compress_to_fp16)
    if precision == "f32":
        keep_precision(filepath)
    return ov_model


def export_openvino(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``keras.src.export.openvino.export_openvino`` for keras-ov.

    Same arguments as Keras's; ``precision=`` ("f32" by default) may be passed
    through ``model.export(..., format="openvino", precision=...)``.
    """
    precision = kwargs.pop("precision", "f32")
    if kwargs:
        raise ValueError(
            f"keras-ov export: unexpected arguments for the openvino format: {sorted(kwargs)}"
        )
    filepath = os.fspath(filepath)
    if not filepath.endswith(".xml"):
        raise ValueError(
            "The OpenVINO export requires the filepath to end with '.xml'. "
            f"Got: filepath={filepath}"
        )
    export_model(model, filepath, input_signature=input_signature, precision=precision)
    if verbose is None or verbose:
        # lazy: keras loads keras_ov.backend, which loads this module
        from keras.src.utils import io_utils

        io_utils.print_msg(f"Saved OpenVINO IR at '{filepath}'.")


def ovms_repository(model, directory, name, precision="f32", version=1):
    """Lay ``model`` out as an OpenVINO Model Server repository.

    Writes ``directory/name/version/model.xml`` (+ ``.bin``) and adds (or
    replaces) ``name`` in ``directory/config.json``, with the precision as the
    model's ``plugin_config``.  Returns the path of the ``.xml``.
    """
    check_precision(precision)
    if not name or any(c in name for c in "/\\") or name in (".", ".."):
        raise ValueError(f"keras-ov export: OVMS model name must be a plain name, got {name!r}")
    xml = os.path.join(directory, name, str(version), "model.xml")
    os.makedirs(os.path.dirname(xml), exist_ok=True)
    export_model(model, xml, precision=precision)
    config_path = os.path.join(directory, "config.json")
    config = {"model_config_list": []}
    if os.path.exists(config_path):
        with open(config_path) as f:
            config = json.load(f)
        if not isinstance(config.get("model_config_list"), list):
            raise ValueError(
                f"keras-ov export: {config_path} exists but has no 'model_config_list' list"
            )
    entries = [e for e in config["model_config_list"] if e.get("config", {}).get("name") != name]
    entries.append(
        {
            "config": {
                "name": name,
                "base_path": name,  # relative to config.json
                "plugin_config": {"INFERENCE_PRECISION_HINT": precision},
            }
        }
    )
    config["model_config_list"] = entries
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return xml
