"""Reverse-mode autodiff over OpenVINO graphs (between ``ops`` and ``backend``).

``grad(ys, xs, cotangents=None)`` builds gradient graphs from the rule table
``RULES`` (one rule per OpenVINO op type, in the ``rules_*`` modules).
"""

from keras_ov.autodiff import (
    rules_activation,  # noqa: F401  (registers rules)
    rules_control,  # noqa: F401
    rules_conv,  # noqa: F401
    rules_einsum,  # noqa: F401
    rules_elementwise,  # noqa: F401
    rules_index,  # noqa: F401
    rules_linalg,  # noqa: F401
    rules_pool,  # noqa: F401
    rules_reduction,  # noqa: F401
    rules_shape,  # noqa: F401
)
from keras_ov.autodiff.core import NONDIFF, RULES, grad, mark_custom, mark_stop, rule

__all__ = ["NONDIFF", "RULES", "grad", "mark_custom", "mark_stop", "rule"]
