"""Keras backend contract: recurrent loops (unrolled over static time steps)."""

from keras_ov.ops.rnn import (
    bidirectional_gru,  # noqa: F401
    bidirectional_lstm,  # noqa: F401
    cudnn_ok,  # noqa: F401
    gru,  # noqa: F401
    lstm,  # noqa: F401
    rnn,  # noqa: F401
    unstack,  # noqa: F401
)
