"""``keras.ops.math``: segment reductions, top-k, logsumexp, Fourier transforms, erf family.

Complex values travel as a ``(real, imag)`` pair of tensors, as Keras passes
them; OpenVINO's DFT ops take them stacked on a trailing axis of size 2.
DFT kernels exist for float16/bfloat16/float32 only, so float64 transforms
raise instead of being computed in a narrower type.
"""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops import linalg as _linalg
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register
from keras_ov.ops.shape import take_last
from keras_ov.ops.skeletons import unary


# -- element-wise -----------------------------------------------------------------
def _rsqrt(x):
    return ov_ops.divide(g.const(1, g.dtype(x)), ov_ops.sqrt(x))


def _erfc(x):
    return ov_ops.subtract(g.const(1, g.dtype(x)), ov_ops.erf(x))


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): single
# precision polynomials in w = -log(1 - x^2), one for the centre, one for the tails.
ERFINV_CENTRE = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_ERFINV_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _erfinv(x):
    k = lambda v: g.const(v, g.dtype(x))  # noqa: E731
    one_minus_sq = ov_ops.multiply(ov_ops.subtract(k(1), x), ov_ops.add(k(1), x))
    w = g.out(ov_ops.negative(ov_ops.log(one_minus_sq)))
    centre = g.horner(ERFINV_CENTRE, g.out(ov_ops.subtract(w, k(2.5))))
    tail = g.horner(_ERFINV_TAIL, g.out(ov_ops.subtract(ov_ops.sqrt(w), k(3.0))))
    p = g.select(g.out(ov_ops.less(w, k(5.0))), centre, tail)
    out = g.out(ov_ops.multiply(p, x))
    edge = g.out(ov_ops.equal(ov_ops.abs(x), k(1)))  # erfinv(+-1) = +-inf
    return g.select(edge, g.out(ov_ops.multiply(x, k(np.inf))), out)


rsqrt = unary("rsqrt", _rsqrt, rule="inexact", namespace="math")
erf = unary("erf", ov_ops.erf, rule="inexact", namespace="math")
erfc = unary("erfc", _erfc, rule="inexact", namespace="math")
erfinv = unary("erfinv", _erfinv, rule="inexact", namespace="math")


# -- segment reductions ---------------------------------------------------------------
def _segment_fill(kind, dtype):
    """The value of an empty segment (Keras's TF/OpenVINO convention for max/min)."""
    if kind in ("sum", "prod"):
        return 0 if kind == "sum" else 1
    info = np.finfo if dtypes.is_float(dtype) else np.iinfo
    np_dtype = np.float32 if dtype == "bfloat16" else dtypes.to_numpy(dtype)
    if dtype == "bool":
        return kind == "min"
    lim = info(np_dtype)
    return (
        float(-lim.max)
        if kind == "max" and info is np.finfo
        else (lim.min if kind == "max" else lim.max)
    )


def _segment(data, ids, *, kind, num_segments):
    ids = g.cast(ids, "int64")
    if num_segments is None:
        count = g.out(ov_ops.add(ov_ops.reduce_max(ids, g.i64([0]), True), g.i64([1])))
        count = g.out(ov_ops.maximum(count, g.i64([0])))
    else:
        count = g.i64([num_segments])
    # Ids outside [0, count) (e.g. -1) go to one extra row, dropped at the end.
    valid = ov_ops.logical_and(ov_ops.greater_equal(ids, g.i64(0)), ov_ops.less(ids, count))
    rows = g.select(g.out(valid), ids, g.out(ov_ops.broadcast(count, g.shape_of(ids))))
    shape = g.out(ov_ops.concat([g.out(ov_ops.add(count, g.i64([1]))), _linalg._dims(data, 1)], 0))
    fill = g.const(_segment_fill(kind, g.dtype(data)), g.dtype(data))
    init = g.out(ov_ops.broadcast(fill, shape))
    out = g.out(ov_ops.scatter_nd_update(init, g.unsqueeze_axes(rows, [1]), data, kind))
    out = g.out(ov_ops.slice(out, g.i64([0]), count, g.i64([1]), g.i64([0])))
    trailing = g.static_shape(data)[1:]
    if num_segments is None and None not in trailing:
        out = g.reshape(out, [-1, *trailing])  # keep the static dims visible
    return out


def _segment_op(kind):
    name = f"segment_{kind}"

    def op(data, segment_ids, num_segments=None, sorted=False):
        data = to_tensor(data, op=name)
        data = to_tensor(data, dtype=dtypes.promote(data), op=name)
        ids = to_tensor(segment_ids, op=name)
        if ids.ndim != 1:
            raise ValueError(f"`{name}`: segment_ids must be 1-D, got shape {ids.shape}")
        if not dtypes.is_int(ids.dtype):
            raise TypeError(f"`{name}`: segment_ids must be integers, got {ids.dtype}")
        if (
            data.ndim < 1
            or None not in (data.shape[0], ids.shape[0])
            and data.shape[0] != ids.shape[0]
        ):
            raise ValueError(
                f"`{name}`: segment_ids {ids.shape} and data {data.shape} must share the leading dim"
            )
        if num_segments is not None:
            num_segments = int(num_segments)
        return apply(f"math.{name}", _segment, [data, ids], kind=kind, num_segments=num_segments)

    op.__name__ = op.__qualname__ = name
    return register("math", name)(op)


for _kind in ("sum", "max", "min", "prod"):
    _segment_op(_kind)


# -- top-k, logsumexp, distances ------------------------------------------------------------
def _top_k(x, *, k, sorted):
    node = ov_ops.topk(
        x, g.i64(k), g.rank(x) - 1, "max", "value" if sorted else "none", "i32", stable=True
    )
    return [node.output(0), node.output(1)]


@register("math")
def top_k(x, k, sorted=True):
    x = to_tensor(x, op="top_k")
    if x.ndim < 1:
        raise ValueError(f"`top_k`: input must have rank >= 1, got shape {x.shape}")
    if int(k) < 0 or (x.shape[-1] is not None and int(k) > x.shape[-1]):
        raise ValueError(f"`top_k`: k={k} is out of range for an axis of size {x.shape[-1]}")
    compute = "int32" if x.dtype == "bool" else dtypes.promote(x)
    x = to_tensor(x, dtype=compute, op="top_k")
    return apply("math.top_k", _top_k, [x], k=int(k), sorted=True)


def _in_top_k(targets, predictions, *, k):
    at_label = g.squeeze_axes(take_last(predictions, g.unsqueeze_axes(targets, [1])), [1])
    nan = g.out(ov_ops.not_equal(at_label, at_label))
    at_label = g.select(nan, g.const(-np.inf, g.dtype(predictions)), at_label)
    greater = g.cast(g.out(ov_ops.greater(predictions, g.unsqueeze_axes(at_label, [1]))), "int32")
    rank = g.out(ov_ops.add(ov_ops.reduce_sum(greater, g.i64([1]), False), g.i32(1)))
    return g.out(ov_ops.less_equal(rank, g.i32(k)))


@register("math")
def in_top_k(targets, predictions, k):
    targets = to_tensor(targets, op="in_top_k")
    predictions = to_tensor(predictions, op="in_top_k")
    if targets.ndim != 1 or predictions.ndim != 2:
        raise ValueError(
            f"`in_top_k`: expected 1-D targets and 2-D predictions, got {targets.shape} and "
            f"{predictions.shape}"
        )
    predictions = to_tensor(predictions, dtype=dtypes.promote_inexact(predictions), op="in_top_k")
    return apply("math.in_top_k", _in_top_k, [targets, predictions], k=int(k))


def _logsumexp(x, *, axes, keepdims):
    ax = g.i64(list(axes))
    m = g.out(ov_ops.reduce_max(x, ax, True))
    finite = g.out(ov_ops.equal(ov_ops.subtract(m, m), g.const(0, g.dtype(x))))
    m = g.select(finite, m, g.zeros_like(m))
    s = ov_ops.reduce_sum(ov_ops.exp(ov_ops.subtract(x, m)), ax, True)
    out = g.out(ov_ops.add(ov_ops.log(s), m))
    return out if keepdims else g.squeeze_axes(out, list(axes))


@register("math")
def logsumexp(x, axis=None, keepdims=False):
    x = to_tensor(x, op="logsumexp")
    x = to_tensor(x, dtype=dtypes.promote_inexact(x), op="logsumexp")
    axes = g.normalize_axes(axis, x.ndim, "logsumexp")
    if not axes:
        return x
    return apply("math.logsumexp", _logsumexp, [x], axes=axes, keepdims=bool(keepdims))


def _cdist(x, y):
    diff = ov_ops.subtract(
        g.unsqueeze_axes(x, [g.rank(x) - 1]), g.unsqueeze_axes(y, [g.rank(y) - 2])
    )
    sq = ov_ops.reduce_sum(ov_ops.multiply(diff, diff), g.i64([-1]), False)
    return g.out(ov_ops.sqrt(sq))


@register("math")
def cdist(x, y):
    dt = dtypes.promote_inexact(x, y)
    x, y = to_tensor(x, dtype=dt, op="cdist"), to_tensor(y, dtype=dt, op="cdist")
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"`cdist`: inputs must have rank >= 2, got {x.shape} and {y.shape}")
    if None not in (x.shape[-1], y.shape[-1]) and x.shape[-1] != y.shape[-1]:
        raise ValueError(f"`cdist`: last dims must match, got {x.shape} and {y.shape}")
    return apply("math.cdist", _cdist, [x, y])


# -- framing and Fourier transforms ----------------------------------------------------------
def _frame_index(length, size, stride):
    """(num_frames, size) int64 positions of the frames of a signal of ``length`` (1-D tensor)."""
    count = ov_ops.add(
        ov_ops.divide(ov_ops.subtract(length, g.i64([size])), g.i64([stride])), g.i64([1])
    )
    count = g.out(ov_ops.maximum(count, g.i64([0])))
    starts = ov_ops.multiply(
        ov_ops.range(g.i64(0), g.squeeze_axes(count, [0]), g.i64(1), "i64"), g.i64(stride)
    )
    return g.out(ov_ops.add(g.unsqueeze_axes(g.out(starts), [1]), g.i64(np.arange(size)[None])))


def _frames(x, size, stride):
    return g.out(
        ov_ops.gather(x, _frame_index(g.dim(x, g.rank(x) - 1), size, stride), g.rank(x) - 1)
    )


def _extract_sequences(x, *, sequence_length, sequence_stride):
    return _frames(x, sequence_length, sequence_stride)


@register("math")
def extract_sequences(x, sequence_length, sequence_stride):
    x = to_tensor(x, op="extract_sequences")
    if x.ndim < 1:
        raise ValueError(f"`extract_sequences`: input must have rank >= 1, got shape {x.shape}")
    if int(sequence_length) < 1 or int(sequence_stride) < 1:
        raise ValueError(
            f"`extract_sequences`: sequence_length and sequence_stride must be positive, got "
            f"{sequence_length} and {sequence_stride}"
        )
    return apply(
        "math.extract_sequences",
        _extract_sequences,
        [x],
        sequence_length=int(sequence_length),
        sequence_stride=int(sequence_stride),
    )


def _fft_dtype(x, op):
    dt = dtypes.promote_inexact(x)
    if dt == "float64":
        raise NotImplementedError(
            f"`{op}`: OpenVINO's DFT ops support float16/bfloat16/float32 only, got float64"
        )
    return dt


def _complex_pair(x, op, min_rank=1):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"`{op}`: input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}"
        )
    real, imag = (to_tensor(v, op=op) for v in x)
    if real.shape != imag.shape:
        raise ValueError(
            f"`{op}`: the real and imaginary parts should have the same shape, got {real.shape} "
            f"and {imag.shape}"
        )
    if not (dtypes.is_float(real.dtype) and dtypes.is_float(imag.dtype)):
        raise ValueError(f"`{op}`: both parts must be floats, got {real.dtype} and {imag.dtype}")
    if real.ndim < min_rank:
        raise ValueError(f"`{op}`: input should have rank >= {min_rank}, got shape {real.shape}")
    dt = dtypes.promote(real, imag)
    if dt == "float64":
        raise NotImplementedError(
            f"`{op}`: OpenVINO's DFT ops support float16/bfloat16/float32 only, got float64"
        )
    return to_tensor(real, dtype=dt, op=op), to_tensor(imag, dtype=dt, op=op)


def _stack_complex(real, imag):
    r = g.rank(real)
    return g.out(ov_ops.concat([g.unsqueeze_axes(real, [r]), g.unsqueeze_axes(imag, [r])], r))


def _split_complex(z):
    last = g.rank(z) - 1
    return [g.out(ov_ops.gather(z, g.i64(i), last)) for i in (0, 1)]


def _dft(real, imag, *, naxes, inverse):
    z = _stack_complex(real, imag)
    r = g.rank(real)
    fn = ov_ops.idft if inverse else ov_ops.dft
    return _split_complex(g.out(fn(z, g.i64(list(range(r - naxes, r))))))


def _complex_transform(name, x, naxes, inverse):
    real, imag = _complex_pair(x, name, min_rank=naxes)
    for d in real.shape[-naxes:]:
        if d is None:
            raise ValueError(
                f"`{name}`: the transformed dims must be static, got shape {real.shape}"
            )
    return apply(f"math.{name}", _dft, [real, imag], naxes=naxes, inverse=inverse)


@register("math")
def fft(x):
    return _complex_transform("fft", x, 1, False)


@register("math")
def fft2(x):
    return _complex_transform("fft2", x, 2, False)


@register("math")
def ifft2(x):
    return _complex_transform("ifft2", x, 2, True)


def _fit_last(x, n):
    """Crop or zero-pad the last axis of ``x`` to ``n`` (RDFT's own signal_size
    padding is unreliable on CPU)."""
    r = g.rank(x)
    size = g.static_shape(x)[-1]
    if size > n:
        return g.out(ov_ops.slice(x, g.i64([0]), g.i64([n]), g.i64([1]), g.i64([r - 1])))
    if size < n:
        return g.out(
            ov_ops.pad(
                x,
                g.i64([0] * r),
                g.i64([0] * (r - 1) + [n - size]),
                "constant",
                g.const(0, g.dtype(x)),
            )
        )
    return x


def _rfft(x, *, n):
    z = ov_ops.rdft(_fit_last(x, n), g.i64([g.rank(x) - 1]))
    return _split_complex(g.out(z))


@register("math")
def rfft(x, fft_length=None):
    x = to_tensor(x, op="rfft")
    x = to_tensor(x, dtype=_fft_dtype(x, "rfft"), op="rfft")
    if x.ndim < 1:
        raise ValueError(f"`rfft`: input must have rank >= 1, got shape {x.shape}")
    n = x.shape[-1] if fft_length is None else int(fft_length)
    if n is None or x.shape[-1] is None:
        raise ValueError(f"`rfft`: fft_length is needed when the last dim is dynamic ({x.shape})")
    return apply("math.rfft", _rfft, [x], n=n)


def _irfft(real, imag, *, n):
    z = _stack_complex(_fit_last(real, n // 2 + 1), _fit_last(imag, n // 2 + 1))
    return g.out(ov_ops.irdft(z, g.i64([g.rank(real) - 1]), g.i64([n])))


@register("math")
def irfft(x, fft_length=None):
    real, imag = _complex_pair(x, "irfft")
    m = real.shape[-1]
    n = 2 * (m - 1) if fft_length is None and m is not None else fft_length
    if n is None:
        raise ValueError(
            f"`irfft`: fft_length is needed when the last dim is dynamic ({real.shape})"
        )
    return apply("math.irfft", _irfft, [real, imag], n=int(n))


def _periodic_window(name, size):
    """``scipy.signal.get_window(name, size)`` (periodic) for the named windows."""
    a = {"hann": 0.5, "hamming": 0.54}[name]
    return a - (1 - a) * np.cos(2 * np.pi * np.arange(size) / size)


def _window_tensor(window, sequence_length, fft_length, dtype, op):
    """The window padded to ``fft_length`` (centred), or None for a rectangular one."""
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f'If a string is passed to `window` (`{op}`), it must be one of "hann", "hamming". '
                f"Received: window={window}"
            )
        window = _periodic_window(window, sequence_length)
    win = to_tensor(window, op=op)
    win = to_tensor(win, dtype=dtype, op=op)
    if win.ndim != 1 or win.shape[-1] != sequence_length:
        raise ValueError(
            f"The shape of `window` must be equal to [sequence_length] (`{op}`). "
            f"Received: window shape={win.shape}"
        )
    return win


def _pad_window(win, fft_length):
    size = g.static_shape(win)[0]
    left = (fft_length - size) // 2
    return g.out(
        ov_ops.pad(
            win,
            g.i64([left]),
            g.i64([fft_length - size - left]),
            "constant",
            g.const(0, g.dtype(win)),
        )
    )


def _stft(x, *win, sequence_stride, fft_length, center):
    r = g.rank(x)
    if center:
        half = fft_length // 2
        x = g.out(
            ov_ops.pad(x, g.i64([0] * (r - 1) + [half]), g.i64([0] * (r - 1) + [half]), "reflect")
        )
    frames = _frames(x, fft_length, sequence_stride)
    if win:
        w = _pad_window(win[0], fft_length)
        frames = g.out(ov_ops.multiply(frames, w))
    spectrum = g.out(ov_ops.rdft(frames, g.i64([r]), g.i64([fft_length])))
    if win:  # Keras rescales scipy's spectrum by |sum(w)|: net factor sign(sum(w)).
        sign = ov_ops.sign(ov_ops.reduce_sum(win[0], g.i64([0]), False))
        spectrum = g.out(ov_ops.multiply(spectrum, sign))
    return _split_complex(spectrum)


def _check_frames(sequence_length, sequence_stride, fft_length, op):
    if int(sequence_stride) <= 0:
        raise ValueError(f"`{op}`: sequence_stride must be positive, got {sequence_stride}")
    if int(fft_length) < int(sequence_length):
        raise ValueError(
            f"`{op}`: `fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )


@register("math")
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    x = to_tensor(x, op="stft")
    if x.dtype not in ("float32", "float64"):
        raise TypeError(
            f"`stft`: invalid input type. Expected `float32` or `float64`. Received: {x.dtype}"
        )
    x = to_tensor(x, dtype=_fft_dtype(x, "stft"), op="stft")
    _check_frames(sequence_length, sequence_stride, fft_length, "stft")
    win = _window_tensor(window, int(sequence_length), int(fft_length), x.dtype, "stft")
    inputs = [x] if win is None else [x, win]
    return apply(
        "math.stft",
        _stft,
        inputs,
        sequence_stride=int(sequence_stride),
        fft_length=int(fft_length),
        center=bool(center),
    )


def _overlap_add(frames, stride):
    """Sum (..., num, size) frames placed ``stride`` apart: (..., (num-1)*stride + size)."""
    num, size = g.static_shape(frames)[-2:]
    positions = (np.arange(num)[:, None] * stride + np.arange(size)[None]).reshape(-1)
    flat_shape = g.out(
        ov_ops.concat([_linalg._dims(frames, 0, g.rank(frames) - 2), g.i64([num * size])], 0)
    )
    flat = g.reshape_to(frames, flat_shape)
    out_shape = g.out(
        ov_ops.concat(
            [_linalg._dims(frames, 0, g.rank(frames) - 2), g.i64([(num - 1) * stride + size])], 0
        )
    )
    zeros = g.out(ov_ops.broadcast(g.const(0, g.dtype(frames)), out_shape))
    index = g.out(ov_ops.broadcast(g.i64(positions), flat_shape))
    return g.out(ov_ops.scatter_elements_update(zeros, index, flat, g.i64(-1), "sum"))


def _istft(real, imag, *win, sequence_stride, fft_length, length, center):
    frames = g.out(
        ov_ops.irdft(_stack_complex(real, imag), g.i64([g.rank(real) - 1]), g.i64([fft_length]))
    )
    num = g.static_shape(frames)[-2]
    dt = g.dtype(frames)
    if win:
        w = _pad_window(win[0], fft_length)
        scale = None
    else:
        w = g.const(np.ones(fft_length), dt)
        scale = g.const(fft_length / sequence_stride, dt)
    y = _overlap_add(g.out(ov_ops.multiply(frames, w)), sequence_stride)
    w2 = g.out(ov_ops.broadcast(g.out(ov_ops.multiply(w, w)), g.i64([num, fft_length])))
    norm = _overlap_add(w2, sequence_stride)
    norm = g.select(g.out(ov_ops.greater(norm, g.const(1e-10, dt))), norm, g.const(1, dt))
    y = g.out(ov_ops.divide(y, norm))
    if scale is not None:
        y = g.out(ov_ops.multiply(y, scale))
    start = fft_length // 2 if center else 0
    if length is not None:
        stop = start + length
    elif center:
        stop = -(fft_length // 2)
    else:
        stop = fft_length + sequence_stride * (num - 1)
    if stop == 0:
        stop = np.iinfo(np.int64).max
    r = g.rank(y)
    return g.out(ov_ops.slice(y, g.i64([start]), g.i64([stop]), g.i64([1]), g.i64([r - 1])))


@register("math")
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    real, imag = _complex_pair(x, "istft", min_rank=2)
    _check_frames(sequence_length, sequence_stride, fft_length, "istft")
    if real.shape[-2] is None:
        raise ValueError(f"`istft`: the number of frames must be static, got shape {real.shape}")
    win = _window_tensor(window, int(sequence_length), int(fft_length), real.dtype, "istft")
    inputs = [real, imag] if win is None else [real, imag, win]
    return apply(
        "math.istft",
        _istft,
        inputs,
        sequence_stride=int(sequence_stride),
        fft_length=int(fft_length),
        length=None if length is None else int(length),
        center=bool(center),
    )


@register("math")
def logdet(x):
    return _linalg.slogdet(x)[1]
