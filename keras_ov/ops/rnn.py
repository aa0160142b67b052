"""Recurrent loops, placeholder until implemented."""


def rnn(*args, **kwargs):
    raise NotImplementedError("keras-ov: `rnn` is not implemented yet")


def lstm(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `lstm` is not available; Keras falls back to `rnn`")


def gru(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `gru` is not available; Keras falls back to `rnn`")


def bidirectional_lstm(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `bidirectional_lstm` is not available")


def bidirectional_gru(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `bidirectional_gru` is not available")


def cudnn_ok(*args, **kwargs):
    return False


def unstack(x, axis=0):
    from keras_ov.backend.core import unstack as _unstack

    return _unstack(x, axis=axis)
