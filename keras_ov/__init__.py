"""keras-ov: an OpenVINO backend for Keras 3.

``import keras_ov`` before ``import keras`` makes Keras load keras-ov as its
``openvino`` backend (``KERAS_BACKEND`` defaults to ``openvino`` when unset).
"""

from keras_ov._activation import activate

__version__ = "0.1.0"

activate()


def quantize(model, mode="int8", calibration_data=None, **options):
    """Post-training quantization of ``model`` with NNCF (see ``keras_ov.backend.quantize``)."""
    from keras_ov.backend.quantize import quantize as _quantize

    return _quantize(model, mode, calibration_data, **options)
