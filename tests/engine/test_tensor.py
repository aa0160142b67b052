"""OVTensor as a Python object: attributes, as on the other backends' tensors."""

import numpy as np
import pytest

from keras_ov.engine.tensor import OVTensor


@pytest.mark.parametrize("name, value", [
    ("_keras_mask", np.ones((2,), bool)),  # Keras's set_keras_mask: a plain setattr
    ("numpy", lambda: "patched"),  # tests patch methods on a tensor (TensorBoard's)
    ("note", "anything"),
])
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
