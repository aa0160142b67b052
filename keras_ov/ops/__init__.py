"""Translators from keras.ops onto the OpenVINO opset, and their registry.

Importing this package imports every op module so the registry is complete.
"""

from keras_ov.ops import (
    core,  # noqa: F401
    creation,  # noqa: F401
    ctc,  # noqa: F401
    elementwise,  # noqa: F401
    functional,  # noqa: F401
    image,  # noqa: F401
    indexing,  # noqa: F401
    linalg,  # noqa: F401
    math,  # noqa: F401
    nn,  # noqa: F401
    operators,  # noqa: F401  (Python operators on OVTensor)
    random,  # noqa: F401
    reduction,  # noqa: F401
    registry,  # noqa: F401
    shape,  # noqa: F401
    sorting,  # noqa: F401
)
