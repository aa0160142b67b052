"""The Keras backend contract, core part: tensors, variables, tracing, control flow."""

import contextlib

import numpy as np

from keras.src import tree
from keras.src.backend.common import KerasVariable
from keras.src.backend.common import standardize_dtype
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.backend.common.symbolic_scope import SymbolicScope
from keras.src.backend.common.name_scope import name_scope as _base_name_scope

from keras_ov import ops as _ops  # noqa: F401  (fills the registry)
from keras_ov.engine import dtypes
from keras_ov.engine import execute
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import registry
from keras_ov.ops.coerce import to_tensor

SUPPORTS_SPARSE_TENSORS = False
SUPPORTS_RAGGED_TENSORS = False
SUPPORTS_COMPLEX_DTYPES = False
IS_THREAD_SAFE = True


class Variable(KerasVariable):
    """A Keras variable whose value is an OVTensor.

    ``_version`` counts assignments so compiled functions that bake the value
    in as a constant know when to rebuild.
    """

    _version = 0

    def _initialize(self, value):
        self._value = to_tensor(value, self._dtype, op="Variable")
        self._version = getattr(self, "_version", 0) + 1

    def _direct_assign(self, value):
        value = to_tensor(value, self._dtype, op="Variable.assign")
        if value.shape != tuple(self._value.shape) and not value.is_symbolic:
            value = registry.REGISTRY["numpy.reshape"](value, self._value.shape)
        self._value = value
        self._version += 1

    def _convert_to_tensor(self, value, dtype=None):
        return convert_to_tensor(value, dtype=dtype)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value.data if isinstance(self.value, OVTensor) else self.value, dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if sparse:
        raise ValueError("keras-ov: `sparse=True` is not supported by the OpenVINO backend")
    if ragged:
        raise ValueError("keras-ov: `ragged=True` is not supported by the OpenVINO backend")
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    return to_tensor(x, dtype, op="convert_to_tensor")


def convert_to_numpy(x):
    if isinstance(x, np.ndarray):
        return x
    t = to_tensor(x, op="convert_to_numpy")
    if t.is_symbolic:
        raise ValueError(
            "keras-ov: `convert_to_numpy` cannot convert a symbolic tensor "
            f"({t}); call it on eager values"
        )
    return t.data


def is_tensor(x):
    return isinstance(x, OVTensor)


def shape(x):
    return tuple(x.shape)


cast = registry.REGISTRY["core.cast"]


def compute_output_spec(fn, *args, **kwargs):
    """Trace ``fn`` on symbolic OVTensors standing for the KerasTensors."""
    from keras_ov.engine.execute import make_parameter

    def to_symbolic(x):
        if isinstance(x, KerasTensor):
            p = make_parameter([-1 if d is None else d for d in x.shape], x.dtype)
            return OVTensor(output=p.output(0))
        return x

    def to_spec(x):
        if isinstance(x, OVTensor):
            return KerasTensor(x.shape, x.dtype)
        return x

    with StatelessScope(), SymbolicScope():
        sym_args, sym_kwargs = tree.map_structure(to_symbolic, (args, kwargs))
        outputs = fn(*sym_args, **sym_kwargs)
    return tree.map_structure(to_spec, outputs)


def _concrete_bool(pred, op):
    pred = to_tensor(pred, op=op)
    if pred.is_symbolic:
        raise NotImplementedError(
            f"keras-ov: `{op}` with a symbolic predicate is not supported yet"
        )
    return bool(pred.data)


def cond(pred, true_fn, false_fn):
    if isinstance(pred, OVTensor) and pred.is_symbolic:
        true_out, false_out = true_fn(), false_fn()
        where = registry.REGISTRY["numpy.where"]
        return tree.map_structure(lambda a, b: where(pred, a, b), true_out, false_out)
    return true_fn() if _concrete_bool(pred, "cond") else false_fn()


def _stack(values):
    return registry.REGISTRY["numpy.stack"](values)


def vectorized_map(function, elements):
    flat = tree.flatten(elements)
    n = flat[0].shape[0]
    results = []
    for i in range(n):
        results.append(function(tree.map_structure(lambda e: e[i], elements)))
    return tree.map_structure(lambda *xs: _stack(list(xs)), *results)


def map(f, xs):
    n = tree.flatten(xs)[0].shape[0]
    outs = [f(tree.map_structure(lambda e: e[i], xs)) for i in range(n)]
    return tree.map_structure(lambda *ys: _stack(list(ys)), *outs)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`scan`: `unroll` must be a positive integer or boolean, got {unroll!r}")
    if xs is None and length is None:
        raise ValueError("`scan`: give `xs` or `length`")
    n = length if xs is None else tree.flatten(xs)[0].shape[0]
    carry = init
    ys = []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = None if xs is None else tree.map_structure(lambda e: e[i], xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    return carry, tree.map_structure(lambda *v: _stack(list(v)), *ys)


def associative_scan(f, elems, reverse=False, axis=0):
    np_ = registry.namespace("numpy")
    leaves = [to_tensor(e) for e in tree.flatten(elems)]
    n = leaves[0].shape[axis]
    take = lambda t, i: np_["take"](t, i, axis=axis)  # noqa: E731
    order = list(range(n))
    if reverse:
        order.reverse()
    acc = None
    outs = []
    for i in order:
        cur = tree.pack_sequence_as(elems, [take(t, i) for t in leaves])
        acc = cur if acc is None else f(acc, cur)
        outs.append(acc)
    if reverse:
        outs.reverse()
    return tree.map_structure(lambda *v: np_["stack"](list(v), axis=axis), *outs)


def scatter(indices, values, shape):
    return registry.REGISTRY["core.scatter"](indices, values, shape)


def scatter_update(inputs, indices, updates, reduction=None):
    return registry.REGISTRY["core.scatter_update"](inputs, indices, updates, reduction)


def slice(inputs, start_indices, shape):
    return registry.REGISTRY["core.slice"](inputs, start_indices, shape)


def slice_update(inputs, start_indices, updates):
    return registry.REGISTRY["core.slice_update"](inputs, start_indices, updates)


def switch(index, branches, *operands):
    i = int(to_tensor(index, op="switch").data)
    i = min(max(i, 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    is_tuple = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if is_tuple else (loop_vars,)
    i = 0
    while (maximum_iterations is None or i < maximum_iterations) and _concrete_bool(
        cond(*loop_vars), "while_loop"
    ):
        loop_vars = body(*loop_vars)
        if not isinstance(loop_vars, (list, tuple)):
            loop_vars = (loop_vars,)
        loop_vars = tuple(loop_vars)
        i += 1
    return loop_vars if is_tuple else loop_vars[0]


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def stop_gradient(variable):
    return to_tensor(variable, op="stop_gradient")


def unstack(x, num=None, axis=0):
    x = to_tensor(x, op="unstack")
    np_ = registry.namespace("numpy")
    n = x.shape[axis]
    if n is None:
        raise ValueError("`unstack`: the unstacked axis must have a static size")
    return [np_["take"](x, i, axis=axis) for i in range(n)]


def random_seed_dtype():
    return "int32"


def custom_gradient(fun):
    def wrapper(*args, **kwargs):
        out, _grad_fn = fun(*args, **kwargs)
        return out

    return wrapper


def remat(f):
    return f


class name_scope(_base_name_scope):
    pass


@contextlib.contextmanager
def device_scope(device_name):
    if not isinstance(device_name, str):
        raise ValueError(f"`device_scope`: device name must be a string, got {device_name!r}")
    name = device_name.split(":")[0].upper()
    previous = execute.config.device
    execute.config.device = name if name != "GPU" or "GPU" in execute.core().available_devices else previous
    try:
        yield
    finally:
        execute.config.device = previous


def is_float_dtype(dtype):
    return dtypes.is_float(standardize_dtype(dtype))
