"""keras-ov's implementation of the Keras backend contract.

Loaded by Keras as ``keras.src.backend.openvino`` (see ``keras_ov._activation``).
"""

from keras.src.backend.common.name_scope import name_scope  # noqa: F401

from keras_ov.backend import core  # noqa: F401
from keras_ov.engine import execute as _execute  # private: Keras star-imports this package
from keras_ov.backend import image  # noqa: F401
from keras_ov.backend import linalg  # noqa: F401
from keras_ov.backend import math  # noqa: F401
from keras_ov.backend import nn  # noqa: F401
from keras_ov.backend import numpy  # noqa: F401
from keras_ov.backend import random  # noqa: F401
from keras_ov.backend.core import IS_THREAD_SAFE  # noqa: F401
from keras_ov.backend.core import SUPPORTS_COMPLEX_DTYPES  # noqa: F401
from keras_ov.backend.core import SUPPORTS_RAGGED_TENSORS  # noqa: F401
from keras_ov.backend.core import SUPPORTS_SPARSE_TENSORS  # noqa: F401
from keras_ov.backend.core import Variable  # noqa: F401
from keras_ov.backend.core import cast  # noqa: F401
from keras_ov.backend.core import compute_output_spec  # noqa: F401
from keras_ov.backend.core import cond  # noqa: F401
from keras_ov.backend.core import convert_to_numpy  # noqa: F401
from keras_ov.backend.core import convert_to_tensor  # noqa: F401
from keras_ov.backend.core import device_scope  # noqa: F401
from keras_ov.backend.core import is_tensor  # noqa: F401
from keras_ov.backend.core import random_seed_dtype  # noqa: F401
from keras_ov.backend.core import scatter  # noqa: F401
from keras_ov.backend.core import shape  # noqa: F401
from keras_ov.backend.core import stop_gradient  # noqa: F401
from keras_ov.backend.core import vectorized_map  # noqa: F401
from keras_ov.backend.rnn import bidirectional_gru  # noqa: F401
from keras_ov.backend.rnn import bidirectional_lstm  # noqa: F401
from keras_ov.backend.rnn import cudnn_ok  # noqa: F401
from keras_ov.backend.rnn import gru  # noqa: F401
from keras_ov.backend.rnn import lstm  # noqa: F401
from keras_ov.backend.rnn import rnn  # noqa: F401


def _wire_session():
    # clear_session() replaces Keras's global state tracker; the eager
    # compiled-model cache starts afresh with it.
    from keras.src.backend.common import global_state

    _execute.session_token = lambda: global_state.GLOBAL_STATE_TRACKER


_wire_session()
