"""keras-ov: an OpenVINO backend for Keras 3.

``import keras_ov`` before ``import keras`` makes Keras load keras-ov as its
``openvino`` backend (``KERAS_BACKEND`` defaults to ``openvino`` when unset).
"""

from keras_ov._activation import activate

__version__ = "0.1.0"

activate()
