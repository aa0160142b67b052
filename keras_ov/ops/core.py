"""Core conversions: cast (written in ``coerce``, which casts while converting)."""

from keras_ov.ops.coerce import cast
from keras_ov.ops.registry import register

register("core")(cast)
