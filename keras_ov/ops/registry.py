"""The op registry and ``apply``, the one place where ops meet the engine.

Every Keras-facing function is registered under ``"<module>.<name>"`` (e.g.
``"numpy.ravel"``, ``"nn.relu"``); ``keras_ov.backend.<module>`` exposes the
registry entries of its namespace under the names Keras calls.

A translator is a function of ``openvino.Output`` values (plus static Python
attributes) returning outputs.  ``apply`` runs it:

* if any input is symbolic, it adds the nodes to the graph being traced;
* otherwise it runs eagerly through the compiled-model cache, keyed on the op
  name, the attributes and the input shapes/dtypes, so repeated calls never
  rebuild or recompile the graph.

Host-side paths (data that cannot go through OpenVINO, such as ops whose
output shape depends on values when OpenVINO lacks the kernel) must be declared
with ``host_path`` so they are visible, narrow and tested.
"""

import functools
import inspect

import numpy as np
import openvino as ov

from keras_ov.engine import execute
from keras_ov.engine.tensor import OVTensor

REGISTRY = {}
HOST_PATHS = {}


def register(namespace, name=None):
    """Decorator: expose ``fn`` as ``<namespace>.<name>`` to Keras."""

    def deco(fn):
        key = f"{namespace}.{name or fn.__name__}"
        if key in REGISTRY:
            raise RuntimeError(f"keras-ov: {key} registered twice")
        REGISTRY[key] = fn
        return fn

    return deco


def with_params(fn, names):
    """``fn(a, b, ...)`` exposed with Keras's parameter ``names``.

    Factory-made ops share one body; Keras checks that each backend function
    has its op's exact signature (and may pass arguments by keyword).
    """
    sig = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )

    @functools.wraps(fn)
    def op(*args, **kwargs):
        return fn(*sig.bind(*args, **kwargs).args)

    op.__signature__ = sig
    return op


def alias(namespace, name, fn):
    REGISTRY[f"{namespace}.{name}"] = fn


def host_path(op, reason):
    """Declare that ``op`` moves data on the host, and why."""
    HOST_PATHS[op] = reason


def namespace(ns):
    prefix = ns + "."
    return {k[len(prefix) :]: v for k, v in REGISTRY.items() if k.startswith(prefix)}


def freeze(value):
    """A hashable form of an attribute value, for cache keys."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return ("nd", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return ("np", value.dtype.str, value.item())
    if isinstance(value, float) and value != value:
        return ("nan",)
    if isinstance(value, (int, float, bool)):
        return (type(value).__name__, value)
    return value


_KEY_AS_IS = frozenset((str, int, type(None)))


def _freeze_attrs(attrs):
    # Most ops' attributes are dtype names and axes: their items are the key as
    # they are (a different form from ``freeze``'s, so the two never collide).
    # Not bools or floats: True == 1 == 1.0 would share a key.
    for v in attrs.values():
        if type(v) not in _KEY_AS_IS:
            return freeze(attrs)
    return tuple(attrs.items())


def _as_outputs(result):
    if isinstance(result, (list, tuple)):
        return [_as_output(r) for r in result], True
    return [_as_output(result)], False


def _as_output(r):
    if isinstance(r, ov.Node):
        return r.output(0)
    return r


def apply(name, translator, inputs, **attrs):
    """Run ``translator(*input_outputs, **attrs)`` on OVTensor ``inputs``.

    Returns an OVTensor, or a tuple of them if the translator returns a list.
    A translator that returns one of its inputs unchanged adds no node.
    """
    if any(t.is_symbolic for t in inputs):
        outs, multi = _as_outputs(translator(*[t.output for t in inputs], **attrs))
        wrapped = tuple(OVTensor(output=o) for o in outs)
        return wrapped if multi else wrapped[0]

    multi_box = []

    def build(params):
        outs, multi = _as_outputs(translator(*params, **attrs))
        multi_box.append(multi)
        return outs

    key = (name, _freeze_attrs(attrs))
    arrays = execute.run(key, build, [t.data for t in inputs], [t.dtype for t in inputs])
    wrapped = tuple(OVTensor(a) for a in arrays)
    multi = _MULTI.setdefault(key, multi_box[0] if multi_box else len(wrapped) != 1)
    return wrapped if multi else wrapped[0]


# Whether an eager op's translator returned a list (kept for cache hits, which
# do not run the translator); dropped with the compiled models at clear_session.
_MULTI = {}
execute.on_new_session.append(_MULTI.clear)
