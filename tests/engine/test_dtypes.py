"""engine.dtypes: the tables and Keras's dtype rules, checked against Keras and NumPy."""

import numpy as np
import pytest

import keras
from keras.src.backend.common.dtypes import result_type as keras_result_type
from keras.src.backend.common.variables import standardize_dtype

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor


@pytest.mark.parametrize("name", dtypes.KERAS_DTYPES)
def test_the_tables_round_trip(name):
    assert dtypes.from_ov(dtypes.to_ov(name)) == name
    assert dtypes.from_numpy(dtypes.to_numpy(name)) == name


@pytest.mark.parametrize("spelling", [np.float32, "float32", np.dtype("int8"), "int64", bool])
def test_standardize_is_keras_standardize_dtype(spelling):
    assert dtypes.standardize(spelling) == standardize_dtype(spelling)


@pytest.mark.parametrize(
    "args",
    [
        ("int8", "uint8"),
        ("int32", float),
        ("bfloat16", "float16"),
        ("int64", "float32"),
        ("bool", int),
        ("uint32", "int32"),
        (float,),
        ("float64",),
    ],
)
def test_result_type_is_keras_result_type(args):
    assert dtypes.result_type(*args) == keras_result_type(*args)


def test_result_type_follows_floatx():
    before = keras.config.floatx()
    try:
        keras.config.set_floatx("float16")
        assert dtypes.floatx() == "float16"
        assert dtypes.result_type("int32", float) == keras_result_type("int32", float)
    finally:
        keras.config.set_floatx(before)
    assert dtypes.floatx() == before


@pytest.mark.parametrize(
    "dtype,want",
    [
        ("int8", "int32"),
        ("uint16", "int32"),
        ("int32", "int32"),
        ("bool", "bool"),
        ("float16", "float16"),
        ("int64", "int64"),
    ],
)
def test_narrow_ints_compute_in_int32(dtype, want):
    assert dtypes.int32_if_narrow(dtype) == want


def _t(dtype):
    return OVTensor(np.zeros((2,), dtypes.to_numpy(dtype)), dtype=dtype)


@pytest.mark.parametrize(
    "inputs,want",
    [
        (("int32", "int32"), "int32"),
        (("int64", "int32"), "int64"),  # Keras would narrow to int32: joins keep 64 bits
        (("uint64", "uint8"), "uint64"),
        (("float64", "float32"), "float64"),
        (("float64", 1.0), "float64"),  # a Python scalar joins a wide tensor
        (("int8", "uint8"), "int16"),
        (("int32", 1.5), dtypes.floatx()),
    ],
)
def test_join_dtype_never_narrows_64_bit_inputs(inputs, want):
    xs = [_t(x) if isinstance(x, str) else x for x in inputs]
    assert dtypes.join_dtype(*xs) == want
