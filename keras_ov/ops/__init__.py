"""Translators from keras.ops onto the OpenVINO opset, and their registry.

Importing this package imports every op module so the registry is complete.
"""

from keras_ov.ops import registry  # noqa: F401
from keras_ov.ops import core  # noqa: F401
from keras_ov.ops import shape  # noqa: F401
