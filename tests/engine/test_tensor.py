"""OVTensor as a Python object: attributes, as on the other backends' tensors."""

import numpy as np
import pytest

from keras_ov.engine.tensor import OVTensor


@pytest.mark.parametrize(
    "name, value",
    [
        ("_keras_mask", np.ones((2,), bool)),  # Keras's set_keras_mask: a plain setattr
        ("numpy", lambda: "patched"),  # tests patch methods on a tensor (TensorBoard's)
        ("note", "anything"),
    ],
)
def test_attributes_can_be_set_on_a_tensor(name, value):
    t = OVTensor(np.arange(2, dtype=np.float32))
    setattr(t, name, value)
    assert getattr(t, name) is value
    other = OVTensor(np.arange(2, dtype=np.float32))
    assert not hasattr(other, "note")
    if name == "numpy":
        assert t.numpy() == "patched"
        np.testing.assert_array_equal(other.numpy(), [0, 1])


def test_keras_mask_is_an_attribute():
    import keras  # (tests/conftest.py activated keras-ov first)
    from keras.src.backend.common import global_state
    from keras.src.backend.common.masking import get_keras_mask, set_keras_mask

    t = keras.ops.ones((2, 3))
    set_keras_mask(t, keras.ops.ones((2,), "bool"))
    assert "_keras_mask" in vars(t)  # not Keras's id()-keyed global fallback
    assert global_state.get_global_attribute("_keras_mask_dict") in (None, {})
    assert get_keras_mask(t).shape == (2,)


@pytest.mark.parametrize(
    "value, spec, expected",
    [
        (np.float32(0.625), ".3f", "0.625"),
        (np.int32(7), "03d", "007"),
        (np.float32(1.5), "", None),  # empty spec: str(), as object.__format__
        (np.array(True), "", None),
    ],
)
def test_format_of_a_scalar_tensor(value, spec, expected):
    t = OVTensor(np.asarray(value))
    assert format(t, spec) == (str(t) if expected is None else expected)
    assert f"{t:{spec}}" == format(t, spec)


def test_format_spec_on_a_non_scalar_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="format"):
        format(OVTensor(np.zeros((2,), np.float32)), ".3f")


@pytest.mark.parametrize("dtype", ["float32", "int32", "bfloat16", "bool"])
def test_read_only_arrays_go_to_openvino(dtype, tmp_path):
    """A read-only host array (a read-only memmap, as scikit-learn's estimator
    checks pass to `predict`) is copied, not refused by OpenVINO's binding."""
    from keras_ov.engine import dtypes
    from keras_ov.engine.tensor import from_ov_tensor, to_ov_tensor

    data = np.arange(6).reshape(2, 3).astype(dtypes.to_numpy(dtype))
    path = tmp_path / "x.npy"
    np.save(path, data)
    for array in (np.load(path, mmap_mode="r"), data.copy()):
        array.setflags(write=False)
        tensor = to_ov_tensor(array, dtype)
        np.testing.assert_array_equal(from_ov_tensor(tensor), data)


def test_predict_takes_a_read_only_memmap(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    np.testing.assert_allclose(
        model.predict(memmap, verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )
