"""keras-ov's implementation of the Keras backend contract.

Loaded by Keras as ``keras.src.backend.openvino`` (see ``keras_ov._activation``).
"""

from keras.src.backend.common.name_scope import name_scope  # noqa: F401

from keras_ov.backend import (
    core,  # noqa: F401
    image,  # noqa: F401
    linalg,  # noqa: F401
    math,  # noqa: F401
    nn,  # noqa: F401
    numpy,  # noqa: F401
    random,  # noqa: F401
)
from keras_ov.backend.core import (
    IS_THREAD_SAFE,  # noqa: F401
    SUPPORTS_COMPLEX_DTYPES,  # noqa: F401
    SUPPORTS_RAGGED_TENSORS,  # noqa: F401
    SUPPORTS_SPARSE_TENSORS,  # noqa: F401
    Variable,  # noqa: F401
    cast,  # noqa: F401
    compute_output_spec,  # noqa: F401
    cond,  # noqa: F401
    convert_to_numpy,  # noqa: F401
    convert_to_tensor,  # noqa: F401
    device_scope,  # noqa: F401
    is_tensor,  # noqa: F401
    random_seed_dtype,  # noqa: F401
    scatter,  # noqa: F401
    shape,  # noqa: F401
    stop_gradient,  # noqa: F401
    vectorized_map,  # noqa: F401
)
from keras_ov.backend.rnn import (
    bidirectional_gru,  # noqa: F401
    bidirectional_lstm,  # noqa: F401
    cudnn_ok,  # noqa: F401
    gru,  # noqa: F401
    lstm,  # noqa: F401
    rnn,  # noqa: F401
)
from keras_ov.engine import execute as _execute  # private: Keras star-imports this package


def _wire_session():
    # clear_session() replaces Keras's global state tracker; the eager
    # compiled-model cache starts afresh with it.
    from keras.src.backend.common import global_state

    _execute.session_token = lambda: global_state.GLOBAL_STATE_TRACKER


_wire_session()
