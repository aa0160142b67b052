"""The Keras backend contract, core part: tensors, variables, tracing, control flow.

Control flow (``cond``, ``while_loop``, ``scan``, ... as OpenVINO ``If`` and
``Loop`` nodes when traced) is written in ``keras_ov.ops.control_flow``; this
module exposes it.
"""

import builtins
import contextlib
import functools
import warnings

import numpy as np
import openvino as ov

from keras.src import tree
from keras.src.backend.common import KerasVariable, standardize_dtype
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.backend.common.name_scope import name_scope as _base_name_scope
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.backend.common.symbolic_scope import SymbolicScope

from keras_ov import autodiff
from keras_ov import ops as _ops  # noqa: F401  (fills the registry)
from keras_ov.engine import compiled, dtypes, scope, settings
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import coerce, indexing
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.control_flow import (
    associative_scan,  # noqa: F401
    cond,  # noqa: F401
    fori_loop,  # noqa: F401
    map,  # noqa: F401
    scan,  # noqa: F401
    switch,  # noqa: F401
    unstack,  # noqa: F401
    vectorized_map,  # noqa: F401
    while_loop,  # noqa: F401
)
from keras_ov.ops.shape import reshape

SUPPORTS_SPARSE_TENSORS = False
SUPPORTS_RAGGED_TENSORS = False
SUPPORTS_COMPLEX_DTYPES = False
IS_THREAD_SAFE = True

# Names Keras's own ``export_openvino`` imports from this module.
OPENVINO_DTYPES = {name: dtypes.to_ov(name) for name in dtypes.KERAS_DTYPES}


class _OVTensorAlias(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, OVTensor)


class OpenVINOKerasTensor(metaclass=_OVTensorAlias):
    """``OpenVINOKerasTensor(output)``: Keras's export helper's name for a symbolic OVTensor."""

    def __new__(cls, output):
        return OVTensor(output=output)


# -- tensors and variables ----------------------------------------------------


class Variable(KerasVariable):
    """A Keras variable whose value is a concrete OVTensor.

    ``_version`` counts (re)initialisations and assignments, so functions that
    bake the value in as a Constant (compiled ``predict``) know when to rebuild.
    """

    _version = 0

    def _initialize(self, value):
        value = to_tensor(value, self._dtype, op="Variable")
        if value.is_symbolic:
            raise ValueError(
                f"keras-ov: variable {self.path!r} cannot be initialised with a "
                f"symbolic tensor ({value})"
            )
        self._value = value
        self._version += 1

    def _direct_assign(self, value):
        value = to_tensor(value, self._dtype, op="Variable.assign")
        if value.is_symbolic:
            raise ValueError(
                f"keras-ov: cannot assign a symbolic tensor to variable {self.path!r} "
                "outside a StatelessScope (traced functions must not change state)"
            )
        if value.shape != tuple(self._value.shape):
            value = reshape(value, self._value.shape)
        self._value = value
        self._version += 1

    def _convert_to_tensor(self, value, dtype=None):
        return convert_to_tensor(value, dtype=dtype)

    def __array__(self, dtype=None, copy=None):
        data = self.value.data
        return data if dtype is None else data.astype(dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if sparse:
        raise ValueError("keras-ov: `sparse=True` is not supported by the OpenVINO backend")
    if ragged:
        raise ValueError("keras-ov: `ragged=True` is not supported by the OpenVINO backend")
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if isinstance(x, KerasVariable) and dtype is None:
        return x.value
    return to_tensor(x, dtype, op="convert_to_tensor")


def convert_to_numpy(x):
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, KerasTensor):
        raise ValueError(
            f"keras-ov: `convert_to_numpy` got a symbolic KerasTensor {x}; it has no value"
        )
    if isinstance(x, (str, bytes)) or (
        isinstance(x, (list, tuple)) and x and all(isinstance(v, (str, bytes)) for v in x)
    ):
        return np.array(x)  # strings are not tensors, but NumPy holds them (as on JAX)
    t = to_tensor(x, op="convert_to_numpy")
    if t.is_symbolic:
        raise ValueError(
            "keras-ov: `convert_to_numpy` cannot convert a symbolic tensor "
            f"({t}); call it on eager values"
        )
    return np.array(t.data, copy=True)


def is_tensor(x):
    return isinstance(x, OVTensor)


def shape(x):
    return tuple(x.shape)


def cast(x, dtype):
    return coerce.cast(x, dtype)


# Errors of an op that cannot take a dynamic dimension; ``compute_output_spec``
# then traces with two stand-in sizes and marks the dims that differ as None.
_DYNAMIC_DIM_ERRORS = (ValueError, TypeError, NotImplementedError)
_STAND_IN_SIZES = (83, 89)


def _trace_specs(fn, args, kwargs, fill=None):
    def to_symbolic(x):
        if isinstance(x, KerasTensor):
            shape = x.shape if fill is None else tuple(fill if d is None else d for d in x.shape)
            return compiled.symbolic(shape, standardize_dtype(x.dtype))
        return x

    def to_spec(x):
        if isinstance(x, OVTensor):
            return KerasTensor(x.shape, x.dtype)
        return x

    with StatelessScope(), SymbolicScope(), scope.building():
        sym_args, sym_kwargs = tree.map_structure(to_symbolic, (args, kwargs))
        outputs = fn(*sym_args, **sym_kwargs)
    return tree.map_structure(to_spec, outputs)


def _merge_specs(a, b):
    if isinstance(a, KerasTensor) and isinstance(b, KerasTensor):
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return KerasTensor(shape, a.dtype)
    return a


def compute_output_spec(fn, *args, **kwargs):
    """Trace ``fn`` on symbolic OVTensors standing for the KerasTensors."""
    try:
        return _trace_specs(fn, args, kwargs)
    except _DYNAMIC_DIM_ERRORS as error:
        dynamic = builtins.any(
            isinstance(x, KerasTensor) and None in x.shape for x in tree.flatten((args, kwargs))
        )
        if not dynamic:
            raise
        try:
            first, second = (_trace_specs(fn, args, kwargs, fill=n) for n in _STAND_IN_SIZES)
        except _DYNAMIC_DIM_ERRORS:
            raise error from None
        return tree.map_structure(_merge_specs, first, second)


# -- data ops (implemented in keras_ov.ops, forwarded here) --------------------


def scatter(indices, values, shape):
    return indexing.scatter(indices, values, shape)


def scatter_update(inputs, indices, updates, reduction=None):
    return indexing.scatter_update(inputs, indices, updates, reduction)


def slice(inputs, start_indices, shape):
    return indexing.slice(inputs, start_indices, shape)


def slice_update(inputs, start_indices, updates):
    return indexing.slice_update(inputs, start_indices, updates)


# -- gradients (keras-ov runs inference only, for now) -------------------------


def stop_gradient(variable):
    x = to_tensor(variable, op="stop_gradient")
    if x.is_symbolic:  # traced: gradients do not pass (eager values carry none)
        return OVTensor(output=autodiff.mark_stop(x.output))
    return x


def custom_gradient(fun):
    """``fun`` returns ``(outputs, grad_fn)``; traced gradients use ``grad_fn``.

    ``grad_fn(upstream)`` returns the cotangent of each positional argument
    (one value for a single argument), ``None`` where none flows.  Eager calls
    run the forward only (eager values carry no gradient).
    """

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        args = [a.value if isinstance(a, KerasVariable) else a for a in args]
        outputs, grad_fn = fun(*args, **kwargs)
        traced = [i for i, a in enumerate(args) if isinstance(a, OVTensor) and a.is_symbolic]
        if not traced:
            return outputs
        if not isinstance(outputs, OVTensor):
            raise NotImplementedError(
                "keras-ov: `custom_gradient` supports functions with one tensor output, "
                f"got {type(outputs).__name__}"
            )

        def vjp(ct):
            cts = grad_fn(OVTensor(output=ct))
            if not isinstance(cts, (list, tuple)):
                cts = [cts]
            if len(cts) != len(args):
                raise ValueError(
                    f"keras-ov: the `custom_gradient` grad_fn of `{fun.__name__}` returned "
                    f"{len(cts)} cotangents for {len(args)} positional arguments"
                )
            return [
                None if cts[i] is None else to_tensor(cts[i], op="custom_gradient").output
                for i in traced
            ]

        out = autodiff.mark_custom(outputs.output, [args[i].output for i in traced], vjp)
        return OVTensor(output=out)

    return wrapper


def remat(f):
    warnings.warn(  # noqa: B028  (the default stacklevel, as before the lint)
        "keras-ov: rematerialization is a training memory optimisation; the "
        "OpenVINO backend runs the function unchanged"
    )
    return f


def random_seed_dtype():
    # int32, not uint32: uint32 data would send every graph that carries a
    # seed onto the (slow) exact reference path.
    return "int32"


# -- scopes ---------------------------------------------------------------------


class name_scope(_base_name_scope):
    pass


@contextlib.contextmanager
def device_scope(device_name):
    """Run eager ops and compiled functions on an OpenVINO device ("CPU", "GPU:0")."""
    if not isinstance(device_name, str):
        raise ValueError(f"`device_scope`: device name must be a string, got {device_name!r}")
    name = device_name.split(":")[0].upper()
    available = settings.core().available_devices
    if name not in ("CPU",) and not builtins.any(d.startswith(name) for d in available):
        raise ValueError(
            f"`device_scope`: OpenVINO device {device_name!r} is not available "
            f"(available: {available})"
        )
    previous = settings.config.device
    settings.config.device = name
    try:
        yield
    finally:
        settings.config.device = previous


def is_float_dtype(dtype):
    return dtypes.is_float(standardize_dtype(dtype))


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("np", "ov")]
del ov
