"""Model inputs as users send them: 64-bit host data cast on the way in.

NumPy, tf.data, grain and ``PyDataset`` hand ``predict``/``evaluate`` float64
and int64 batches (``np.random.rand`` token ids, ``np.arange`` labels).  On
JAX they become 32-bit when they reach the device, and a Functional model then
casts each input to its ``Input`` dtype; torch casts in the model too.  Traced
as they come, such batches would make the whole step graph 64-bit and send it
to OpenVINO's slow reference kernels (which have no Einsum or Convolution).
So each wide leaf of a batch is cast on the host before the step is traced or
run:

* ``x`` leaves to the dtype of the model input they feed, when the model's
  inputs are known (a Functional or built Sequential model), exactly as the
  model would cast them; otherwise, and for ``y`` and ``sample_weight``, to
  the 32-bit type JAX would use (float64 -> floatx, int64 -> int32).
* Integers are narrowed only when every value fits (int64 ids beyond int32
  reach the traced graph unchanged, which checks them where they index);
  an int64 ``Input`` keeps its int64 data.
"""

import numpy as np

from keras.src import backend, tree
from keras.src.trainers.data_adapters import data_adapter_utils

from keras_ov.engine import dtypes

_INTS = ("int64", "uint64", "uint32")


def _host(leaf):
    """A leaf as a NumPy array if it is host data of a wide dtype, else None."""
    if isinstance(leaf, np.ndarray):
        array = leaf
    elif hasattr(leaf, "__array__") and hasattr(leaf, "dtype") and hasattr(leaf, "shape"):
        # tf.Tensor, jax.Array, torch.Tensor...: but not OVTensor (its data is
        # the model's own) and not Python scalars.
        if type(leaf).__module__.startswith("keras_ov"):
            return None
        array = np.asarray(leaf)
    else:
        return None
    return array if dtypes.from_numpy(array.dtype) in dtypes.WIDE else None


def _canonical(kind):
    return backend.floatx() if kind == "float64" else "int32"


def _cast(leaf, target):
    array = _host(leaf)
    if array is None:
        return leaf
    kind = dtypes.from_numpy(array.dtype)
    target = target or _canonical(kind)
    if target == kind or target not in dtypes.KERAS_DTYPES:
        return leaf
    if kind in _INTS and dtypes.is_int(target) and not dtypes.fits_int32(array):
        return leaf
    return array.astype(dtypes.to_numpy(target))


def _input_dtypes(model, x):
    """The dtype of the model input each leaf of ``x`` feeds (None where unknown)."""
    flat = tree.flatten(x)
    functional = getattr(model, "_functional", None) or model  # (a Sequential's)
    struct = getattr(functional, "_inputs_struct", None)
    if struct is None:
        return [None] * len(flat)
    inputs = tree.flatten(struct)
    if isinstance(x, dict) != isinstance(struct, dict) or len(inputs) != len(flat):
        return [None] * len(flat)
    if isinstance(x, dict) and set(x) != set(struct):
        return [None] * len(flat)
    return [getattr(i, "dtype", None) for i in inputs]


def cast_batch(model, data):
    """``data`` (x, (x,), (x, y) or (x, y, sample_weight)) with its wide host
    leaves cast as described above, packed as it came: the step gets what the
    data adapter yields, as on JAX (a bare dict ``x`` stays bare, and keras-hub's
    ``SAMImageSegmenter.predict_step`` calls ``.copy()`` on it)."""
    x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
    targets = _input_dtypes(model, x)
    x = tree.pack_sequence_as(x, [_cast(a, t) for a, t in zip(tree.flatten(x), targets)])
    y, sample_weight = (tree.map_structure(lambda a: _cast(a, None), v) for v in (y, sample_weight))
    if not isinstance(data, (tuple, list)):
        return x
    return (x, y, sample_weight)[: len(data)]
