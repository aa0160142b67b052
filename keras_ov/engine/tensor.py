"""The keras-ov tensor: a value that lives in an OpenVINO graph.

A tensor is either *concrete* (the result of an eager op: host data in a NumPy
array) or *symbolic* (an ``openvino.Output`` of a graph being traced, e.g. for
``compute_output_spec`` or a compiled ``predict`` function).  Op translators see
only ``openvino.Output`` objects; ``ops.registry.apply`` decides how to run them.

Arithmetic dunders are attached by ``keras_ov.backend`` (they call the Keras
ops), so this module stays free of op knowledge.
"""

import numpy as np
import openvino as ov
from openvino import opset15

from keras_ov.engine import dtypes

# Evaluators of symbolic tensors, innermost last: pushed by
# ``compiled.trace`` while it traces a function on inputs whose values are
# known (a train step run eagerly), so the function's Python code can read a
# symbolic tensor's value.  An evaluator returns None when it cannot.
_symbolic_values = []


class OVTensor:
    # ``__dict__``: like the other backends' tensors, an OVTensor takes any
    # attribute (Keras sets ``_keras_mask`` with setattr; without one it
    # falls back to a global dict keyed by id with a finalizer per tensor).
    __slots__ = ("_data", "_output", "dtype", "shape", "__weakref__", "__dict__")

    # NumPy must defer to our reflected operators (``np_array + tensor``).
    __array_priority__ = 100

    def __init__(self, data=None, output=None, dtype=None):
        if (data is None) == (output is None):
            raise ValueError("OVTensor takes exactly one of `data` or `output`")
        self._data = data
        self._output = output
        if output is not None:
            self.dtype = dtypes.from_ov(output.get_element_type())
            ps = output.get_partial_shape()
            if ps.rank.is_dynamic:
                raise ValueError(f"keras-ov: tensors of dynamic rank are not supported ({output})")
            self.shape = tuple(d.get_length() if d.is_static else None for d in ps)
        else:
            self.dtype = dtype or dtypes.from_numpy(data.dtype)
            if self.dtype is None:
                raise TypeError(f"keras-ov: unsupported array dtype {data.dtype}")
            self.shape = data.shape

    # -- state ---------------------------------------------------------------
    @property
    def is_symbolic(self):
        return self._output is not None

    @property
    def output(self):
        """The value as an ``openvino.Output`` (a Constant for concrete data)."""
        if self._output is None:
            return constant(self._data, self.dtype)
        return self._output

    @property
    def data(self):
        if self._data is None:
            evaluate = _symbolic_values[-1] if _symbolic_values else None
            value = evaluate(self) if evaluate is not None else None
            if value is not None:
                return value
            raise ValueError(
                "keras-ov: a symbolic tensor has no value; it is part of a graph "
                "being traced (convert it inside an eager call instead)"
            )
        return self._data

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            if d is None:
                return None
            n *= d
        return n

    # -- host conversions ----------------------------------------------------
    def numpy(self):
        return self.data

    def __array__(self, dtype=None, copy=None):
        # NumPy's protocol: copy=True must return a copy (``np.array(t)``),
        # copy=False must not copy (or raise), None copies only to convert.
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"keras-ov: a {self.dtype} tensor cannot be viewed as {np.dtype(dtype)} "
                    "without a copy (copy=False)"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

    def __format__(self, spec):
        # As a NumPy scalar (and JAX/torch tensors): `f"{loss:.3f}"` formats a
        # 0-d tensor's value; an empty spec is str().
        if not spec:
            return str(self)
        data = self.data
        if data.ndim:
            raise TypeError(
                f"keras-ov: unsupported format string {spec!r} for a tensor of shape "
                f"{self.shape} (only a 0-d tensor formats as a number)"
            )
        return format(data.item(), spec)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter([self[i] for i in range(self.shape[0])])

    def __bool__(self):
        return bool(self.data)

    def __int__(self):
        return int(self.data)

    def __float__(self):
        return float(self.data)

    def __index__(self):
        return int(self.data)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        if self.is_symbolic:
            return f"<OVTensor symbolic shape={self.shape} dtype={self.dtype}>"
        return f"<OVTensor shape={self.shape} dtype={self.dtype}\n{self._data}>"


# OpenVINO element type -> NumPy dtype of the Keras dtype its raw bits encode.
_BITS_VIEW = {dtypes.to_ov(d): dtypes.to_numpy(d) for d in dtypes.HOST_BITS}


def to_ov_tensor(array, dtype):
    """A host array as an ``openvino.Tensor`` sharing its memory.

    bfloat16 and float8 data travel as raw bits (``dtypes.HOST_BITS``).
    A read-only array (a read-only ``np.memmap``, a broadcast view) is copied:
    OpenVINO's Python binding refuses to share its memory.
    """
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)  # (never 0-d here: 0-d is contiguous)
    if not array.flags.writeable:
        array = array.copy()
    bits = dtypes.HOST_BITS.get(dtype)
    if bits is not None:
        return ov.Tensor(array.view(bits), list(array.shape), dtypes.to_ov(dtype))
    return ov.Tensor(array, shared_memory=True)


def from_ov_tensor(tensor, copy=True):
    """An ``openvino.Tensor`` as a host array of the matching Keras dtype."""
    data = tensor.data
    view = _BITS_VIEW.get(tensor.element_type)
    if view is not None:  # OpenVINO shows these as raw bits
        data = data.view(view)
    return data.copy() if copy else data


def constant(array, dtype=None):
    """A Constant node holding host data (exact for every dtype).

    float8 data becomes a float16 Constant (which holds every float8 value)
    and a Convert: the reference kernels read Constants through their NumPy
    view, which for a float8 Constant is its uint8 bits.
    """
    array = np.asarray(array)
    dtype = dtype or dtypes.from_numpy(array.dtype)
    if dtype in dtypes.FLOAT8:
        wide = constant(array.astype(np.float16), "float16")
        return opset15.convert(wide, dtypes.to_ov(dtype)).output(0)
    if (
        array.nbytes >= SHARE_CONSTANT_BYTES
        and dtype not in dtypes.HOST_BITS
        and (array.flags.c_contiguous and array.dtype == dtypes.to_numpy(dtype))
    ):
        # Large host data (weights in a traced model) is shared, not copied.  The
        # Constant holds a reference to the array, which keeps it alive and keeps
        # the executor that produced it from reusing it
        # (plugin.CompiledExecutable._fresh_output writes in place only into arrays
        # nothing else refers to).
        return ov.op.Constant(array, shared_memory=True).output(0)
    node = ov.op.Constant(to_ov_tensor(array, dtype), shared_memory=False)
    return node.output(0)


SHARE_CONSTANT_BYTES = 1 << 16
