"""Keras backend contract: recurrent loops (unrolled over static time steps)."""

from keras_ov.ops.rnn import bidirectional_gru  # noqa: F401
from keras_ov.ops.rnn import bidirectional_lstm  # noqa: F401
from keras_ov.ops.rnn import cudnn_ok  # noqa: F401
from keras_ov.ops.rnn import gru  # noqa: F401
from keras_ov.ops.rnn import lstm  # noqa: F401
from keras_ov.ops.rnn import rnn  # noqa: F401
from keras_ov.ops.rnn import unstack  # noqa: F401
