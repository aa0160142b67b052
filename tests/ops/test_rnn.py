"""The generic rnn loop against a NumPy cumulative-sum recurrence."""

import numpy as np
import pytest

from keras.src.backend import numpy as knp
from keras.src.backend import rnn


def _step(x_t, states):
    s = knp.add(states[0], x_t)
    return s, [s]


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_cumulative_sum(unroll, go_backwards):
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    last, outs, states = rnn(
        _step, x, [np.zeros((2, 3), "float32")], go_backwards=go_backwards, unroll=unroll
    )
    seq = x[:, ::-1] if go_backwards else x
    expected = np.cumsum(seq, axis=1)
    np.testing.assert_allclose(outs, expected, rtol=1e-5)
    np.testing.assert_allclose(last, expected[:, -1], rtol=1e-5)
    np.testing.assert_allclose(states[0], expected[:, -1], rtol=1e-5)


def test_mask_holds_state():
    x = np.ones((1, 4, 2), "float32")
    mask = np.array([[True, False, True, True]])
    last, outs, _ = rnn(_step, x, [np.zeros((1, 2), "float32")], mask=mask)
    np.testing.assert_allclose(np.asarray(outs)[0, :, 0], [1, 1, 2, 3])
    _, outs, _ = rnn(_step, x, [np.zeros((1, 2), "float32")], mask=mask, zero_output_for_mask=True)
    np.testing.assert_allclose(np.asarray(outs)[0, :, 0], [1, 0, 2, 3])
