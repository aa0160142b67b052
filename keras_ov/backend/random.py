"""Keras backend contract: `random` functions, exposed from the op registry."""

from keras_ov import ops as _ops  # noqa: F401  (fills the registry)
from keras_ov.ops.registry import namespace as _namespace

globals().update(_namespace("random"))


def __getattr__(name):
    # Keras's data layers reach for these through ``backend.random`` (as the
    # JAX backend re-exports them); imported lazily to avoid an import cycle.
    # Layer.__setattr__ asks for SeedGenerator on every assignment: resolve once.
    if name in ("SeedGenerator", "draw_seed", "make_default_seed"):
        from keras.src.random import seed_generator  # lazy: keras.src.random imports this module

        value = globals()[name] = getattr(seed_generator, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
