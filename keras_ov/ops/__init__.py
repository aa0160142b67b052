"""Translators from keras.ops onto the OpenVINO opset, and their registry.

Importing this package imports every op module so the registry is complete.
"""

from keras_ov.ops import registry  # noqa: F401
from keras_ov.ops import core  # noqa: F401
from keras_ov.ops import shape  # noqa: F401
from keras_ov.ops import indexing  # noqa: F401
from keras_ov.ops import creation  # noqa: F401
from keras_ov.ops import elementwise  # noqa: F401
from keras_ov.ops import reduction  # noqa: F401
from keras_ov.ops import sorting  # noqa: F401
from keras_ov.ops import linalg  # noqa: F401
from keras_ov.ops import math  # noqa: F401
from keras_ov.ops import nn  # noqa: F401
from keras_ov.ops import ctc  # noqa: F401
from keras_ov.ops import image  # noqa: F401
from keras_ov.ops import random  # noqa: F401
from keras_ov.ops import functional  # noqa: F401
from keras_ov.ops import operators  # noqa: F401  (Python operators on OVTensor)
