"""random ops: a stateless, counter-based generator built in the graph.

OpenVINO's RandomUniform takes its seeds as static attributes and the CPU
plugin advances its state on every inference, so a cached compiled model would
give a different draw for the same seed on its second call.  Keras wants the
opposite: the same seed tensor gives the same numbers, a different one
different numbers, also inside a traced graph where the seed is symbolic.

So every draw is a hash of ``(seed, stream, element index)`` computed with
int32 graph arithmetic (wrapping multiply, xor, masked shifts -- exact on the
CPU plugin).  The seed is an ordinary graph input: one compiled model serves
every seed.  ``stream`` separates the independent draws one op needs.

Distributions are built from those bits: uniforms from the top 24 bits,
normals by Box-Muller, truncated normals by inverting the CDF on [-2, 2],
categorical by Gumbel-max, gamma by Marsaglia-Tsang with a fixed number of
proposals, binomial as a sum of Bernoulli draws.
"""

import math

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.elementwise import int_divmod
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.math import ERFINV_CENTRE
from keras_ov.ops.registry import apply, register

# -- the bit generator -------------------------------------------------------------


def _i32(v):
    """A Python int as a wrapped int32 constant."""
    return g.i32(np.int64(v & 0xFFFFFFFF).astype(np.uint32).view(np.int32))


def _shr(x, k):
    """Logical right shift of int32 bits by ``k`` (8 <= k < 32).

    The CPU plugin runs BitwiseRightShift on its reference kernel (300 ms for
    590k elements; a ResNet50 spent 13 s initializing).  Dividing by ``2**k``
    is a JIT kernel, but it divides int32 through float32: exact only for
    operands of at most 24 significant bits.  Clearing the low ``k`` bits
    first leaves ``32 - k <= 24`` of them (a multiple of ``2**k``, divided
    exactly), and the final mask turns floor division's sign bits into a
    logical shift.
    """
    if not 8 <= k < 32:
        raise ValueError(f"keras-ov: random bit shift by {k}; the exact path needs 8 <= k < 32")
    high = ov_ops.bitwise_and(x, _i32(0xFFFFFFFF << k))
    return ov_ops.bitwise_and(ov_ops.divide(high, g.i32(1 << k)), g.i32((1 << (32 - k)) - 1))


def _fmix(x):
    """A 32-bit avalanche hash (Wellons' lowbias32), in wrapping int32 arithmetic."""
    x = ov_ops.bitwise_xor(x, _shr(x, 16))
    x = ov_ops.multiply(x, _i32(0x7FEB352D))
    x = ov_ops.bitwise_xor(x, _shr(x, 15))
    x = ov_ops.multiply(x, _i32(0x846CA68B))
    return g.out(ov_ops.bitwise_xor(x, _shr(x, 16)))


def _count(shape):
    """The element count of a shape tensor, as an int32 scalar.

    An i32 shape (an eager draw's input) is multiplied out dim by dim: the CPU
    plugin's i32 ReduceProd is not exact, its i32 Multiply is.
    """
    if g.dtype(shape) != "int32":
        return g.cast(g.out(ov_ops.reduce_prod(shape, g.i64(0), False)), "int32")
    n = g.i32(1)
    for i in range(shape.get_partial_shape()[0].get_length()):
        n = ov_ops.multiply(n, ov_ops.gather(shape, g.i32(i), g.i32(0)))
    return g.out(n)


def _bits(seed, shape, stream):
    """Random int32 bits of runtime shape ``shape`` (an i64 or i32 1-D tensor)."""
    s0 = ov_ops.gather(seed, g.i32(0), g.i32(0))
    s1 = ov_ops.gather(seed, g.i32(1), g.i32(0))
    key = _fmix(ov_ops.bitwise_xor(s0, _fmix(ov_ops.add(s1, _i32(0x9E3779B9 * (stream + 1))))))
    n = _count(shape)
    counter = ov_ops.range(g.i32(0), n, g.i32(1), "i32")
    h = _fmix(ov_ops.add(_fmix(ov_ops.bitwise_xor(counter, key)), _fmix(key)))
    return g.reshape_to(h, shape)


def _uniform01(seed, shape, stream, open_low=False):
    """float32 uniforms on [0, 1) (or (0, 1) with ``open_low``) with 24 random bits."""
    top = g.cast(g.out(_shr(_bits(seed, shape, stream), 8)), "float32")
    if open_low:
        top = ov_ops.add(top, g.const(0.5, "float32"))
    return g.out(ov_ops.multiply(top, g.const(2.0**-24, "float32")))


def _normal01(seed, shape, stream):
    """float32 standard normals by Box-Muller (two uniform streams)."""
    u1 = _uniform01(seed, shape, 2 * stream, open_low=True)
    u2 = _uniform01(seed, shape, 2 * stream + 1)
    r = ov_ops.sqrt(ov_ops.multiply(g.const(-2.0, "float32"), ov_ops.log(u1)))
    return g.out(
        ov_ops.multiply(r, ov_ops.cos(ov_ops.multiply(u2, g.const(2 * math.pi, "float32"))))
    )


def _static_shape(shape, op):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"`{op}`: `shape` must be a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"`{op}`: `shape` must be non-negative, got {shape}")
    return shape


def _seed(seed, op):
    """The Keras seed as an int32 tensor of shape (2,)."""
    if not isinstance(seed, (OVTensor, np.ndarray)) and not hasattr(seed, "value"):
        # lazy: keras loads keras_ov.backend, which loads this module
        from keras.src.random.seed_generator import draw_seed

        seed = draw_seed(seed)
    t = to_tensor(seed, op=op)
    if t.dtype != "int32":
        if not dtypes.is_int(t.dtype):
            raise TypeError(f"`{op}`: a seed tensor must hold integers, got dtype {t.dtype}")
        t = to_tensor(t, "int32", op=op)
    if t.shape != (2,):
        raise ValueError(f"`{op}`: a seed tensor must have shape (2,), got {t.shape}")
    return t


def _float_dtype_arg(dtype, op):
    dtype = dtypes.standardize(dtype or dtypes.floatx())
    if not dtypes.is_float(dtype):
        raise ValueError(f"`{op}`: `dtype` must be a floating point type, got dtype={dtype}")
    return dtype


def _int_dtype_arg(dtype, op):
    dtype = dtypes.standardize(dtype)
    if not dtypes.is_int(dtype):
        raise ValueError(f"`{op}`: `dtype` must be an integer type, got dtype={dtype}")
    return dtype


# -- distributions -------------------------------------------------------------------
#
# ``_draw`` makes float32/int32 noise from the seed; an ordinary op maps it onto
# the requested dtype and parameters.  The hash uses bitwise ops that OpenVINO
# has no reference kernels for, so for wide (64-bit) dtypes the mapping is a
# second step, which keeps the draw itself on the CPU plugin; otherwise
# (``_draw_mapped``) both are one graph.


def _shape_tensor(spec, like):
    """``spec`` entries are ints, or None for "the same axis of ``like``"."""
    if None not in spec:
        return g.i64(list(spec))
    return g.out(
        ov_ops.concat([g.dim(like, i) if d is None else g.i64([d]) for i, d in enumerate(spec)], 0)
    )


def _noise(seed, *like, kind, spec, param):
    # spec None: the shape is the runtime input ``like[0]`` (eager draws).
    if spec is None:
        shape = like[0]  # int32: shape inputs take any integer type
    else:
        shape = _shape_tensor(spec, like[0] if like else None)
    if kind == "uniform":
        return _uniform01(seed, shape, 0)
    if kind == "normal":
        return _normal01(seed, shape, 0)
    if kind == "truncated_normal":
        return _truncated01(seed, shape)
    if kind == "bits31":
        return g.out(ov_ops.bitwise_and(_bits(seed, shape, 0), _i32(0x7FFFFFFF)))
    if kind == "gumbel":
        u = _uniform01(seed, shape, 0, open_low=True)
        return g.out(ov_ops.negative(ov_ops.log(ov_ops.negative(ov_ops.log(u)))))
    if kind == "keep":
        return g.out(ov_ops.greater_equal(_uniform01(seed, shape, 0), g.const(param, "float32")))
    if kind == "permutation":
        return g.out(
            ov_ops.topk(
                _bits(seed, shape, 0), _count(shape), 0, "min", "value", "i32", stable=True
            ).output(1)
        )
    raise ValueError(f"random: unknown noise kind {kind!r}")


def _draw_inputs(op, seed, spec, like=None):
    """``(inputs, spec)`` for ``_noise``: the seed, then what fixes the shape."""
    seed = _seed(seed, op)
    if not seed.is_symbolic and None not in spec:
        # Eager: the shape is an input, so one compiled generator serves every
        # shape of a rank (initializing a ResNet50 draws 160 tensors of 49 shapes).
        if math.prod(spec) > 2**31 - 1:  # the generator counts elements in int32
            raise ValueError(f"`{op}`: shape {spec} has more than 2**31 - 1 elements")
        shape = to_tensor(np.array(spec, np.int32), op=op)  # int64 would be "wide" data
        return [seed, shape], None
    return [seed] + ([like] if like is not None and None in spec else []), tuple(spec)


def _draw(op, seed, kind, spec, like=None, param=None):
    inputs, spec = _draw_inputs(op, seed, spec, like)
    return apply(f"random.noise.{kind}", _noise, inputs, kind=kind, spec=spec, param=param)


def _mapped_noise(seed, *rest, kind, spec, n_shape, mapping, dtype):
    z = _noise(seed, *rest[:n_shape], kind=kind, spec=spec, param=None)
    return mapping(z, *rest[n_shape:], dtype=dtype)


def _draw_mapped(op, seed, kind, spec, mapping, params, dtype):
    """``mapping(noise, *params, dtype=dtype)``: one graph, unless ``dtype`` is
    wide (then the noise is drawn in its own step, see above)."""
    params = [to_tensor(p, dtype, op=op) for p in params]
    if dtypes.is_wide(dtype):
        z = _draw(op, seed, kind, spec)
        return apply(f"random.{mapping.__name__}", mapping, [z, *params], dtype=dtype)
    inputs, spec = _draw_inputs(op, seed, spec)
    return apply(
        f"random.{kind}{mapping.__name__}",
        _mapped_noise,
        inputs + params,
        kind=kind,
        spec=spec,
        n_shape=len(inputs) - 1,
        mapping=mapping,
        dtype=dtype,
    )


def _affine(z, loc, scale, *, dtype):
    """``loc + z * scale`` in ``dtype``."""
    z = g.cast(z, dtype)
    return g.out(ov_ops.add(g.cast(loc, dtype), ov_ops.multiply(z, g.cast(scale, dtype))))


def _cast_to(x, *, dtype):
    return g.cast(x, dtype)


def _lerp(u, lo, hi, *, dtype):
    lo, hi = g.cast(lo, dtype), g.cast(hi, dtype)
    return _affine(u, lo, ov_ops.subtract(hi, lo), dtype=dtype)


@register("random")
def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype_arg(dtype, "uniform")
    return _draw_mapped(
        "uniform", seed, "uniform", _static_shape(shape, "uniform"), _lerp, [minval, maxval], dtype
    )


@register("random")
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype_arg(dtype, "normal")
    return _draw_mapped(
        "normal", seed, "normal", _static_shape(shape, "normal"), _affine, [mean, stddev], dtype
    )


def _erfinv(x):
    """Giles' single-precision erfinv, valid for |x| <= erf(2 / sqrt(2)) (w < 5):
    the centre polynomial of ``math.erfinv`` alone (float32 ``x``)."""
    one = g.const(1.0, "float32")
    w = ov_ops.negative(ov_ops.log(ov_ops.multiply(ov_ops.subtract(one, x), ov_ops.add(one, x))))
    w = g.out(ov_ops.subtract(w, g.const(2.5, "float32")))
    return g.out(ov_ops.multiply(g.horner(ERFINV_CENTRE, w), x))


_ERF_SQRT2 = math.erf(math.sqrt(2.0))  # P(|z| < 2) for a standard normal


def _truncated01(seed, shape):
    """Standard normals truncated to [-2, 2], by inverting the CDF."""
    u = _uniform01(seed, shape, 0, open_low=True)
    x = ov_ops.multiply(
        ov_ops.subtract(ov_ops.multiply(u, g.const(2.0, "float32")), g.const(1.0, "float32")),
        g.const(_ERF_SQRT2, "float32"),
    )
    z = ov_ops.multiply(_erfinv(g.out(x)), g.const(math.sqrt(2.0), "float32"))
    return g.out(ov_ops.clamp(z, -2.0, 2.0))


@register("random")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    op = "truncated_normal"
    dtype = _float_dtype_arg(dtype, op)
    return _draw_mapped(op, seed, op, _static_shape(shape, op), _affine, [mean, stddev], dtype)


def _randint(bits, lo, hi, *, compute, dtype):
    bits, lo, hi = g.cast(bits, compute), g.cast(lo, compute), g.cast(hi, compute)
    span = g.out(ov_ops.maximum(ov_ops.subtract(hi, lo), g.const(1, compute)))
    if compute == "int32":
        # The CPU plugin's int32 FloorMod goes through float32 (randint(0, 100)
        # gave values in [-128, 128]): the exact int32 remainder instead.
        offset = int_divmod(bits, span)[1]
    else:  # int64: reference kernels, exact
        offset = ov_ops.floor_mod(bits, span)
    return g.cast(g.out(ov_ops.add(offset, lo)), dtype)


@register("random")
def randint(shape, minval, maxval, dtype="int32", seed=None):
    op = "randint"
    dtype = _int_dtype_arg(dtype, op)
    lo, hi = to_tensor(minval, op=op), to_tensor(maxval, op=op)
    for t in (lo, hi):
        if not t.is_symbolic and (np.any(t.data < -(2**31)) or np.any(t.data > 2**31 - 1)):
            raise NotImplementedError(
                f"`{op}`: bounds outside the int32 range are not supported, got "
                f"minval={minval!r}, maxval={maxval!r}"
            )
    bits = _draw(op, seed, "bits31", _static_shape(shape, op))
    compute = "int64" if dtype in ("int64", "uint64", "uint32") else "int32"
    return apply(f"random.{op}", _randint, [bits, lo, hi], compute=compute, dtype=dtype)


def _argmax_noisy(logits, gumbel, *, dtype):
    scores = ov_ops.add(ov_ops.unsqueeze(logits, g.i64(1)), g.cast(gumbel, g.dtype(logits)))
    best = ov_ops.topk(scores, g.i64(1), 2, "max", "none", "i32").output(1)
    return g.cast(g.out(ov_ops.squeeze(best, g.i64([2]))), dtype)


@register("random")
def categorical(logits, num_samples, dtype="int32", seed=None):
    op = "categorical"
    logits = to_tensor(logits, op=op)
    if logits.ndim != 2 or logits.shape[1] is None:
        raise ValueError(
            f"`{op}`: `logits` should be a 2-D tensor (batch_size, num_classes) with a "
            f"static class dimension, got shape {logits.shape}"
        )
    logits = _float32_param(logits, op)
    gumbel = _draw(
        op, seed, "gumbel", (logits.shape[0], int(num_samples), logits.shape[1]), like=logits
    )
    return apply(f"random.{op}", _argmax_noisy, [logits, gumbel], dtype=_int_dtype_arg(dtype, op))


def _dropout(x, keep, *, rate):
    scaled = ov_ops.divide(x, g.const(1.0 - rate, g.dtype(x)))
    return g.out(ov_ops.select(keep, scaled, g.zeros_like(x)))


@register("random")
def dropout(inputs, rate, noise_shape=None, seed=None):
    op = "dropout"
    x = to_tensor(inputs, op=op)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"`{op}`: `rate` must be in [0, 1], got {rate}")
    if rate == 0.0:
        return x
    if rate == 1.0:
        return apply(f"random.{op}.zeros", g.zeros_like, [x])
    if noise_shape is None:
        noise_shape = x.shape
    noise_shape = tuple(x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    if len(noise_shape) != x.ndim:
        raise ValueError(
            f"`{op}`: `noise_shape` {noise_shape} must have rank {x.ndim} like the inputs"
        )
    keep = _draw(op, seed, "keep", noise_shape, like=x, param=rate)
    return apply(f"random.{op}", _dropout, [x, keep], rate=rate)


def _take(x, perm, *, axis):
    return g.out(ov_ops.gather(x, perm, g.i64(axis)))


@register("random")
def shuffle(x, axis=0, seed=None):
    x = to_tensor(x, op="shuffle")
    axis = g.normalize_axis(axis, x.ndim, "shuffle")
    like = x if x.shape[axis] is None else None
    perm = _draw("shuffle", seed, "permutation", (x.shape[axis],), like=like)
    return apply("random.shuffle", _take, [x, perm], axis=axis)


# Marsaglia-Tsang accepts > 95% of proposals for alpha >= 1; with this many
# proposals per sample, all are rejected with probability < 1e-10.
_GAMMA_PROPOSALS = 8


def _gamma01(seed, alpha, shape, stream):
    """float32 Gamma(alpha, 1) samples; ``alpha`` is already broadcast to ``shape``."""
    one, third = g.const(1.0, "float32"), g.const(1.0 / 3.0, "float32")
    small = ov_ops.less(alpha, one)
    a = ov_ops.select(small, ov_ops.add(alpha, one), alpha)  # boost alpha < 1
    d = ov_ops.subtract(a, third)
    c = ov_ops.divide(third, ov_ops.sqrt(d))
    k = _GAMMA_PROPOSALS
    pshape = g.out(ov_ops.concat([g.i64([k]), shape], 0))
    x = _normal01(seed, pshape, 3 * stream)
    u = _uniform01(seed, pshape, 3 * stream + 2, open_low=True)
    v = ov_ops.add(one, ov_ops.multiply(c, x))
    v3 = ov_ops.multiply(ov_ops.multiply(v, v), v)
    log_v3 = ov_ops.log(ov_ops.maximum(v3, g.const(1e-30, "float32")))
    bound = ov_ops.add(
        ov_ops.multiply(g.const(0.5, "float32"), ov_ops.multiply(x, x)),
        ov_ops.multiply(d, ov_ops.add(ov_ops.subtract(one, v3), log_v3)),
    )
    accept = ov_ops.logical_and(
        ov_ops.greater(v, g.const(0.0, "float32")), ov_ops.less(ov_ops.log(u), bound)
    )
    # the first accepted proposal: the largest of accept * (k - i)
    ndim = g.static_shape(shape)[0]
    rank = g.const(np.arange(k, 0, -1).reshape([k] + [1] * ndim), "float32")
    weight = ov_ops.multiply(g.cast(g.out(accept), "float32"), rank)
    first = ov_ops.topk(weight, g.i64(1), 0, "max", "none", "i32").output(1)
    sample = ov_ops.squeeze(ov_ops.gather_elements(ov_ops.multiply(d, v3), first, 0), g.i64([0]))
    boost = ov_ops.power(
        _uniform01(seed, shape, 3 * stream + 3, open_low=True), ov_ops.divide(one, alpha)
    )
    return g.out(ov_ops.select(small, ov_ops.multiply(sample, boost), sample))


def _gamma(seed, *alphas, shape):
    """One Gamma draw per alpha; two alphas give a Beta(a, b) draw."""
    shape = g.i64(list(shape))
    xs = [_gamma01(seed, g.broadcast_to_shape(a, shape), shape, i) for i, a in enumerate(alphas)]
    if len(xs) == 1:
        return xs[0]
    return g.out(ov_ops.divide(xs[0], ov_ops.add(xs[0], xs[1])))


def _float32_param(value, op):
    """Distribution parameters enter the sampler at float32 (its working precision)."""
    t = to_tensor(value, op=op)
    if t.dtype == "float32":
        return t
    return to_tensor(t.data if not t.is_symbolic else t, "float32", op=op)


@register("random")
def gamma(shape, alpha, dtype=None, seed=None):
    dtype = _float_dtype_arg(dtype, "gamma")
    x = apply(
        "random.gamma",
        _gamma,
        [_seed(seed, "gamma"), _float32_param(alpha, "gamma")],
        shape=_static_shape(shape, "gamma"),
    )
    return apply("random.cast", _cast_to, [x], dtype=dtype)


@register("random")
def beta(shape, alpha, beta, dtype=None, seed=None):
    dtype = _float_dtype_arg(dtype, "beta")
    a, b = _float32_param(alpha, "beta"), _float32_param(beta, "beta")
    x = apply(
        "random.beta", _gamma, [_seed(seed, "beta"), a, b], shape=_static_shape(shape, "beta")
    )
    return apply("random.cast", _cast_to, [x], dtype=dtype)


# Sum-of-Bernoulli sampling materialises max(counts) draws per sample.
_BINOMIAL_MAX_DRAWS = 1 << 26


def _binomial(seed, counts, p, *, shape, max_count):
    shape = g.i64(list(shape))
    counts = g.broadcast_to_shape(counts, shape)
    p = g.broadcast_to_shape(p, shape)
    draws = _uniform01(seed, g.out(ov_ops.concat([shape, g.i64([max_count])], 0)), 0)
    trial = g.const(np.arange(max_count, dtype=np.float32), "float32")
    hit = ov_ops.logical_and(
        ov_ops.less(draws, ov_ops.unsqueeze(p, g.i64(-1))),
        ov_ops.less(trial, ov_ops.unsqueeze(counts, g.i64(-1))),
    )
    # float32 counts exactly up to 2**24 (checked by the caller)
    return g.out(ov_ops.reduce_sum(g.cast(g.out(hit), "float32"), g.i64([-1]), False))


@register("random")
def binomial(shape, counts, probabilities, dtype=None, seed=None):
    op = "binomial"
    dtype = _float_dtype_arg(dtype, op)
    shape = _static_shape(shape, op)
    counts, p = _float32_param(counts, op), _float32_param(probabilities, op)
    if counts.is_symbolic:
        raise NotImplementedError(
            f"`{op}`: `counts` must be a concrete value (its maximum sizes the graph)"
        )
    max_count = int(np.max(counts.data)) if counts.data.size else 0
    if max_count >= 2**24 or max_count * max(1, int(np.prod(shape))) > _BINOMIAL_MAX_DRAWS:
        raise NotImplementedError(
            f"`{op}`: counts up to {max_count} over shape {shape} need more than "
            f"{_BINOMIAL_MAX_DRAWS} Bernoulli draws; not supported"
        )
    x = apply(
        f"random.{op}",
        _binomial,
        [_seed(seed, op), counts, p],
        shape=shape,
        max_count=max(max_count, 1),
    )
    return apply("random.cast", _cast_to, [x], dtype=dtype)
