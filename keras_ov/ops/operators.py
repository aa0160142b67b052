"""Python operators on OVTensor (``a + b``, ``x[i]``), routed to the registered Keras ops.

Imported by ``keras_ov.ops`` once every op is registered, so that op code may
use operators on tensors.
"""

from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import elementwise, indexing
from keras_ov.ops.registry import REGISTRY


def _binary(name, reflected=False):
    def method(self, other):
        fn = REGISTRY[name]
        return fn(other, self) if reflected else fn(self, other)

    return method


def _unary(name):
    def method(self):
        return REGISTRY[name](self)

    return method


_BINARY = {
    "add": "numpy.add",
    "sub": "numpy.subtract",
    "mul": "numpy.multiply",
    "truediv": "numpy.true_divide",
    "floordiv": "numpy.floor_divide",
    "mod": "numpy.mod",
    "pow": "numpy.power",
    "matmul": "numpy.matmul",
    "and": "numpy.logical_and",
    "or": "numpy.logical_or",
    "xor": "numpy.logical_xor",
}
_COMPARE = {
    "eq": "numpy.equal",
    "ne": "numpy.not_equal",
    "lt": "numpy.less",
    "le": "numpy.less_equal",
    "gt": "numpy.greater",
    "ge": "numpy.greater_equal",
}
_UNARY = {
    "neg": "numpy.negative",
    "pos": "numpy.copy",
    "abs": "numpy.absolute",
    "invert": "numpy.bitwise_invert",
}

for _name, _op in _BINARY.items():
    setattr(OVTensor, f"__{_name}__", _binary(_op))
    setattr(OVTensor, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in _COMPARE.items():
    setattr(OVTensor, f"__{_name}__", _binary(_op))
for _name, _op in _UNARY.items():
    setattr(OVTensor, f"__{_name}__", _unary(_op))


def _getitem(self, key):
    return indexing.getitem(self, key)


def _round(self, ndigits=None):
    return elementwise.round(self, decimals=ndigits or 0)


OVTensor.__getitem__ = _getitem
OVTensor.__round__ = _round
OVTensor.__hash__ = lambda self: id(self)
