"""The registry: names, aliases, host paths, and the per-op flags of ``apply``."""

import numpy as np
import pytest

import keras

from keras_ov.ops import graph as g
from keras_ov.ops import registry
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import REGISTRY, apply


def _one_part(x):
    return [g.out(g.ov_ops.negative(x))]  # a list of one output: the op returns a tuple


def _split_keys():
    return [k for k in registry._MULTI if k[0] == "test.one_part"]


def test_a_one_element_list_stays_a_tuple_on_cache_hits():
    x = to_tensor(np.arange(3, dtype="float32"))
    for _ in range(2):  # build, then a cache hit (the translator does not run)
        out = apply("test.one_part", _one_part, [x])
        assert isinstance(out, tuple) and len(out) == 1
        np.testing.assert_array_equal(out[0].numpy(), -np.arange(3, dtype="float32"))


def test_the_per_op_flags_are_dropped_with_the_session():
    x = to_tensor(np.arange(3, dtype="float32"))
    apply("test.one_part", _one_part, [x])
    assert _split_keys()
    keras.backend.clear_session()
    keras.ops.convert_to_numpy(keras.ops.multiply(np.ones(4, "float32"), 2.0))
    assert not _split_keys()  # gone with the compiled models of the old session
    out = apply("test.one_part", _one_part, [x])  # and right again afterwards
    assert isinstance(out, tuple) and len(out) == 1


def test_names_are_registered_once():
    with pytest.raises(RuntimeError, match="registered twice"):
        registry.register("numpy", "add")(lambda x: x)


def test_aliases_are_the_same_function():
    assert REGISTRY["numpy.abs"] is REGISTRY["numpy.absolute"]
    assert REGISTRY["numpy.bitwise_not"] is REGISTRY["numpy.bitwise_invert"]
