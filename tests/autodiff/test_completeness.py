"""Every differentiable OpenVINO op type keras-ov emits has a gradient rule (or a listed gap).

The op types are collected by scanning the translators (``keras_ov/ops``) and
the backend (control flow, RNNs) for the opset functions they use.
"""

import os
import re

import keras_ov
from keras_ov import autodiff
from keras_ov.autodiff.known_gaps import KNOWN_GAPS

# opset function names whose op type is not their CamelCase spelling
SPELLING = {
    "cumsum": "CumSum",
    "cum_sum": "CumSum",
    "matmul": "MatMul",
    "topk": "TopK",
    "prelu": "PRelu",
    "hswish": "HSwish",
    "hsigmoid": "HSigmoid",
    "softplus": "SoftPlus",
    "softsign": "SoftSign",
    "gather_nd": "GatherND",
    "scatter_nd_update": "ScatterNDUpdate",
    "if_op": "If",
    "rdft": "RDFT",
    "irdft": "IRDFT",
    "dft": "DFT",
    "idft": "IDFT",
    "mvn": "MVN",
    "normalize_l2": "NormalizeL2",
    "reduce_l1": "ReduceL1",
    "reduce_l2": "ReduceL2",
    "lstm_sequence": "LSTMSequence",
    "gru_sequence": "GRUSequence",
    "rnn_sequence": "RNNSequence",
    "log_softmax": "LogSoftmax",
    "is_nan": "IsNaN",
}
# graph plumbing, not computation
STRUCTURAL = {"Parameter", "Constant", "Result"}


def _type_name(fn):
    return SPELLING.get(fn) or "".join(part.capitalize() for part in fn.split("_"))


def emitted_op_types():
    root = os.path.dirname(keras_ov.__file__)
    names = set()
    for sub in ("ops", "backend"):
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            for f in files:
                if f.endswith(".py"):
                    with open(os.path.join(dirpath, f)) as fh:
                        names.update(re.findall(r"\bov_ops\.([a-z][a-z0-9_]*)", fh.read()))
    return {_type_name(n) for n in names} - STRUCTURAL


def test_every_emitted_op_type_has_a_rule_or_is_a_known_gap():
    missing = sorted(emitted_op_types() - autodiff.NONDIFF - set(autodiff.RULES) - set(KNOWN_GAPS))
    assert not missing, f"no gradient rule and not in autodiff/known_gaps.py: {missing}"


def test_known_gaps_are_really_gaps_and_have_reasons():
    both = sorted(set(KNOWN_GAPS) & (set(autodiff.RULES) | autodiff.NONDIFF))
    assert not both, f"has a rule but still listed as a gap: {both}"
    for name, reason in KNOWN_GAPS.items():
        assert isinstance(reason, str) and len(reason) > 10, name


def test_spelling_table_names_real_op_types():
    # a wrong CamelCase would hide an op type from the check above
    from openvino.utils.node_factory import NodeFactory

    factory = NodeFactory("opset15").factory
    for name in emitted_op_types():
        factory.create(name)  # raises for a type OpenVINO does not know
