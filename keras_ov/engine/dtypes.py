"""The one dtype module: Keras dtype names, OpenVINO element types, NumPy dtypes.

Everything that maps or classifies dtypes lives here so that no op carries its
own table.  Promotion follows Keras's own rules (``keras.backend.result_type``);
the helpers below give those rules names ("numeric", "inexact", ...).
"""

import functools

import ml_dtypes
import numpy as np
import openvino as ov

# Keras dtype name -> (OpenVINO element type, NumPy dtype)
_TABLE = {
    "bool": (ov.Type.boolean, np.dtype(np.bool_)),
    "int8": (ov.Type.i8, np.dtype(np.int8)),
    "int16": (ov.Type.i16, np.dtype(np.int16)),
    "int32": (ov.Type.i32, np.dtype(np.int32)),
    "int64": (ov.Type.i64, np.dtype(np.int64)),
    "uint8": (ov.Type.u8, np.dtype(np.uint8)),
    "uint16": (ov.Type.u16, np.dtype(np.uint16)),
    "uint32": (ov.Type.u32, np.dtype(np.uint32)),
    "uint64": (ov.Type.u64, np.dtype(np.uint64)),
    "float16": (ov.Type.f16, np.dtype(np.float16)),
    "bfloat16": (ov.Type.bf16, np.dtype(ml_dtypes.bfloat16)),
    "float32": (ov.Type.f32, np.dtype(np.float32)),
    "float64": (ov.Type.f64, np.dtype(np.float64)),
    "float8_e4m3fn": (ov.Type.f8e4m3, np.dtype(ml_dtypes.float8_e4m3fn)),
    "float8_e5m2": (ov.Type.f8e5m2, np.dtype(ml_dtypes.float8_e5m2)),
}

KERAS_DTYPES = tuple(_TABLE)
_FROM_OV = {str(t): name for name, (t, _) in _TABLE.items()}
_FROM_NP = {d: name for name, (_, d) in _TABLE.items()}

FLOATS = ("float16", "bfloat16", "float32", "float64")
# Kept apart from FLOATS, as in Keras: nothing promotes to or from float8
# implicitly; only ``cast`` enters or leaves it.
FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
INTS = SIGNED + UNSIGNED

# Types the CPU plugin does not compute exactly: it lowers i64/u64 to 32 bits,
# saturates u32 and runs f64 in f32.  Graphs touching them are evaluated with
# OpenVINO's reference kernels instead (see engine.execute).
# Narrow integers: their arithmetic runs in int32 and is converted back, so it
# wraps as NumPy's does (and the CPU plugin has few 8/16-bit kernels).
NARROW_INTS = ("int8", "int16", "uint8", "uint16")


def int32_if_narrow(dtype):
    """int32 for the narrow integers (``NARROW_INTS``), else ``dtype``."""
    return "int32" if dtype in NARROW_INTS else dtype


WIDE = frozenset(("int64", "uint64", "uint32", "float64"))
# float8 graphs run on the reference kernels too: the CPU plugin rounds
# float32 -> float8 twice (through float16) and, in a compiled graph, also
# undoes the float16 round trip that the exact cast of ``ops.graph.cast``
# relies on (13% of a tie-heavy probe came out wrong).  Its executor also
# copies small inputs into request buffers by value, not by bit pattern (see
# ``HOST_BITS``).  The reference kernels are exact, node by node.
WIDE_OV = frozenset(_TABLE[n][0] for n in (*WIDE, *FLOAT8))

# Dtypes whose OpenVINO tensors show their data to NumPy as unsigned integers
# of the same width: host arrays must travel as raw bits in that view.
HOST_BITS = {
    "bfloat16": np.dtype(np.uint16),
    "float8_e4m3fn": np.dtype(np.uint8),
    "float8_e5m2": np.dtype(np.uint8),
}


def to_ov(dtype):
    """OpenVINO element type of a Keras dtype name."""
    try:
        return _TABLE[dtype][0]
    except KeyError:
        raise TypeError(f"keras-ov: unsupported dtype {dtype!r}") from None


def to_numpy(dtype):
    """NumPy dtype of a Keras dtype name."""
    try:
        return _TABLE[dtype][1]
    except KeyError:
        raise TypeError(f"keras-ov: unsupported dtype {dtype!r}") from None


def from_ov(ov_type):
    """Keras dtype name of an OpenVINO element type."""
    try:
        return _FROM_OV[str(ov_type)]
    except KeyError:
        raise TypeError(f"keras-ov: OpenVINO type {ov_type} has no Keras dtype") from None


def from_numpy(np_dtype):
    """Keras dtype name of a NumPy dtype (None if it has none)."""
    return _FROM_NP.get(np.dtype(np_dtype))


def is_float(dtype):
    return dtype in FLOATS


def is_float8(dtype):
    return dtype in FLOAT8


def fits_int32(array):
    """Whether every value of a host integer array fits int32 (True if empty)."""
    return not array.size or (array.min() >= -(2**31) and array.max() <= 2**31 - 1)


def is_int(dtype):
    return dtype in INTS


def is_unsigned(dtype):
    return dtype in UNSIGNED


def is_wide(dtype):
    return dtype in WIDE


# Keras's own dtype rules.  Keras imports keras_ov.backend (and so the whole
# package) while it loads, so each is imported lazily, once.


@functools.cache
def _floatx_getter():
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.config import floatx

    return floatx


def floatx():
    """Keras's default float dtype (``keras.config.floatx()``)."""
    return _floatx_getter()()


@functools.cache
def _standardize_getter():
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.common.variables import standardize_dtype

    return standardize_dtype


def standardize(dtype):
    """A dtype name as Keras spells it (``standardize_dtype``: np.float32 -> "float32")."""
    return _standardize_getter()(dtype)


def result_type(*dtypes):
    """Keras's ``result_type`` of dtypes and Python types (floats promote to floatx)."""
    return _cached_result_type(floatx(), *dtypes)


@functools.lru_cache(maxsize=4096)
def _cached_result_type(floatx, *dtypes):
    # floatx is part of the key: Python floats promote to it.
    # lazy: keras loads keras_ov.backend, which loads this module
    from keras.src.backend.common.dtypes import result_type

    return result_type(*dtypes)


def dtype_of(x):
    """The dtype (or Python type, for weakly typed scalars) Keras promotes on.

    Nested lists and tuples are not weak: like ``convert_to_tensor`` on JAX
    they have the result type of their items (ints -> int32, floats -> floatx).
    """
    if isinstance(x, (list, tuple)):
        return result_type(*(dtype_of(i) for i in x)) if x else floatx()
    d = getattr(x, "dtype", None)
    if d is None:
        return type(x)
    if isinstance(d, str):
        return d
    return from_numpy(d) or str(d)


def promote(*xs):
    """Keras's result type of the arguments, Python scalars weakly typed."""
    return result_type(*(dtype_of(x) for x in xs))


def promote_inexact(*xs):
    """Result type promoted to a float (``sin``, ``mean``, ``divide``)."""
    dtype = promote(*xs)
    return dtype if dtype in FLOATS else result_type(dtype, float)


def canonical(dtype):
    """Keras's 32-bit canonical form of a dtype (float64 -> float32, int64 -> int32).

    Keras (like JAX without x64) defines some ops' results in this dtype even
    for 64-bit inputs; those ops compute in it.
    """
    return result_type(dtype)


def join_dtype(*xs):
    """The dtype tensors are joined in (concatenate, stack, select, ...).

    Keras's promotion, except that it never narrows 64-bit inputs: Keras maps
    int64 to int32 and float64 to float32 (JAX without x64), which would
    silently change values when joining data, so they keep 64 bits.
    """
    kinds = [dtype_of(x) for x in xs]
    tensors = [k for k in kinds if isinstance(k, str)]
    if (
        tensors
        and all(k == tensors[0] for k in tensors)
        and (len(tensors) == len(kinds) or tensors[0] in WIDE)
    ):
        return tensors[0]
    dt = promote(*xs)
    if dt in ("int32", "uint32") and any(k in ("int64", "uint64") for k in tensors):
        return "uint64" if all(k in UNSIGNED for k in tensors) else "int64"
    if dt in FLOATS and "float64" in tensors:
        return "float64"
    return dt
