"""keras-ov: an OpenVINO backend for Keras 3.

``import keras_ov`` before ``import keras`` makes Keras load keras-ov as its
``openvino`` backend (``KERAS_BACKEND`` defaults to ``openvino`` when unset).

``keras_ov.value_and_grad(fn, argnums=0, has_aux=False)`` and
``keras_ov.grad`` differentiate Python functions of Keras tensors, in the
style of ``jax.value_and_grad``; ``keras_ov.quantize`` runs NNCF post-training
quantization on a model's OpenVINO graph; ``keras_ov.runtime_precisions(model)``
tells which precision the CPU plugin's matrix kernels ran in.
"""

import importlib
from typing import TYPE_CHECKING, Any

from keras_ov._activation import activate
from keras_ov.engine.version import VERSION as __version__  # noqa: F401

if TYPE_CHECKING:  # the lazy exports below, for type checkers and editors
    from keras_ov.autodiff.api import grad, value_and_grad  # noqa: F401
    from keras_ov.backend.quantize import quantize, runtime_precisions  # noqa: F401

activate()

_LAZY = {
    "value_and_grad": "keras_ov.autodiff.api",
    "grad": "keras_ov.autodiff.api",
    "quantize": "keras_ov.backend.quantize",
    "runtime_precisions": "keras_ov.backend.quantize",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: ``import keras_ov`` must not import keras itself.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'keras_ov' has no attribute {name!r}")
