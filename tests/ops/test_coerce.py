"""ops.coerce: the one conversion path, casting, and joining tensors."""

import numpy as np
import pytest

from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import coerce
from keras_ov.ops.coerce import to_tensor

CASES = [
    # (input, dtype argument, expected dtype, expected values)
    (3, None, "int32", np.int32(3)),
    (2.5, None, "float32", np.float32(2.5)),
    (True, None, "bool", np.bool_(True)),
    ([1, 2.0], None, "float32", np.array([1, 2], np.float32)),
    (np.arange(3, dtype=np.int64), None, "int64", np.arange(3)),
    (np.float64(1.5), None, "float64", np.float64(1.5)),
    ([1, 2], "int8", "int8", np.array([1, 2], np.int8)),
    (np.arange(3, dtype=np.int32), "float16", "float16", np.arange(3, dtype=np.float16)),
    ([[1.5, 2.5]], "bfloat16", "bfloat16", np.array([[1.5, 2.5]], np.float32)),
]


@pytest.mark.parametrize("value,dtype,want_dtype,want", CASES)
def test_to_tensor(value, dtype, want_dtype, want):
    t = to_tensor(value, dtype)
    assert isinstance(t, OVTensor) and t.dtype == want_dtype
    np.testing.assert_array_equal(np.asarray(t.numpy(), np.float64), np.asarray(want, np.float64))


def test_an_ovtensor_is_cast_only_when_asked():
    t = to_tensor(np.arange(4, dtype=np.int32))
    assert to_tensor(t) is t and to_tensor(t, "int32") is t
    np.testing.assert_array_equal(to_tensor(t, "float32").numpy(), np.arange(4, dtype=np.float32))


def test_nested_lists_holding_tensors_are_stacked_and_joined():
    a = to_tensor(np.array([1, 2], np.int64))
    t = to_tensor([[a, [3, 4]], [[5, 6], a]])
    assert t.dtype == "int64" and t.shape == (2, 2, 2)
    np.testing.assert_array_equal(t.numpy(), [[[1, 2], [3, 4]], [[5, 6], [1, 2]]])


def test_cast_standardizes_and_rejects_unknown_dtypes():
    assert coerce.cast([1, 2], np.float32).dtype == "float32"
    with pytest.raises((ValueError, TypeError)):
        coerce.cast([1, 2], "complex64")


def test_joining_checks_its_inputs():
    with pytest.raises(ValueError, match="`stack` needs at least one tensor"):
        coerce.promote_all([], "stack")
    a, b = to_tensor(np.zeros((2,), np.float32)), to_tensor(np.zeros((3,), np.float32))
    with pytest.raises(ValueError, match="`stack`: all inputs must have the same shape"):
        coerce.stack_tensors([a, b], 0, "stack")


@pytest.mark.parametrize(
    "value,match",
    [
        (None, "`my_op` expected a tensor, array or scalar, got None"),
        (object(), "`my_op` expected a tensor, array or scalar, got object"),
        (np.array(["a"]), "`my_op` does not support arrays of dtype <U1"),
    ],
)
def test_bad_input_names_the_op_and_the_value(value, match):
    with pytest.raises(TypeError, match=match):
        to_tensor(value, op="my_op")


def test_overflow_names_the_op():
    with pytest.raises(ValueError, match="`my_op`: 300 does not fit dtype int8"):
        to_tensor(300, "int8", op="my_op")
