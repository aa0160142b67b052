"""CTC: ``ctc_loss`` (the forward algorithm over the label lattice) and
``ctc_decode`` (greedy, and beam search as an OpenVINO Loop)."""

import numpy as np

from keras_ov.engine import dtypes
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.registry import apply, register

# -- CTC -------------------------------------------------------------------------------------

_LOG_EPS = -1e5


def _logaddexp(a, b):
    m = ov_ops.maximum(a, b)
    d = ov_ops.negative(ov_ops.abs(ov_ops.subtract(a, b)))
    return ov_ops.add(m, ov_ops.log(ov_ops.add(ov_ops.exp(d), g.const_like(1, g.out(m)))))


def _ctc_loss(target, output, target_length, output_length, *, mask_index, dtype):
    """The forward (alpha) recursion, unrolled over the static time axis."""
    B, T, K = g.static_shape(output)
    N = g.static_shape(target)[1]
    x = g.cast(output, dtype)
    target = g.cast(target, "int32")
    logp = g.out(ov_ops.log_softmax(x, 2))
    one = g.const_like(1, x)

    def pad_mask(lengths, length):  # 1.0 where padded
        idx = g.const(np.arange(length)[None, :], "int32")
        return g.cast(
            g.out(ov_ops.greater_equal(idx, ov_ops.unsqueeze(g.cast(lengths, "int32"), g.i64(1)))),
            dtype,
        )

    out_pad = pad_mask(output_length, T)  # [B, T]
    label_len = ov_ops.minimum(g.cast(target_length, "int32"), g.i32(N))
    if N > 1:
        same = ov_ops.equal(
            g.out(ov_ops.slice(target, g.i64([0, 0]), g.i64([B, N - 1]), g.i64([1, 1]))),
            g.out(ov_ops.slice(target, g.i64([0, 1]), g.i64([B, N]), g.i64([1, 1]))),
        )
        repeat = ov_ops.concat([g.cast(g.out(same), dtype), g.const(np.zeros((B, 1)), dtype)], 1)
    else:
        repeat = g.const(np.zeros((B, N)), dtype)
    phi_lp = ov_ops.gather(logp, g.i64(mask_index), g.i64(2))  # [B, T]
    hot = g.one_hot(target, depth=K, axis=2, dtype=dtype)  # [B, N, K]
    emit_lp = ov_ops.matmul(logp, hot, False, True)  # [B, T, N]

    phi = g.const(np.concatenate([np.zeros((B, 1)), np.full((B, N), _LOG_EPS)], 1), dtype)
    emit = g.const(np.full((B, N), _LOG_EPS), dtype)

    def update_phi(p, added):
        head = ov_ops.slice(p, g.i64([0, 0]), g.i64([B, 1]), g.i64([1, 1]))
        tail = ov_ops.slice(p, g.i64([0, 1]), g.i64([B, N + 1]), g.i64([1, 1]))
        return ov_ops.concat([head, _logaddexp(tail, added)], 1)

    log_eps = g.const_like(_LOG_EPS, x)
    for t in range(T):
        lp_emit = ov_ops.gather(emit_lp, g.i64(t), g.i64(1))  # [B, N]
        lp_phi = ov_ops.unsqueeze(ov_ops.gather(phi_lp, g.i64(t), g.i64(1)), g.i64(1))
        pad = ov_ops.unsqueeze(ov_ops.gather(out_pad, g.i64(t), g.i64(1)), g.i64(1))
        prev_phi, prev_emit = phi, emit
        phi_in = update_phi(prev_phi, ov_ops.add(prev_emit, ov_ops.multiply(log_eps, repeat)))
        head = ov_ops.slice(phi_in, g.i64([0, 0]), g.i64([B, N]), g.i64([1, 1]))
        next_emit = _logaddexp(ov_ops.add(head, lp_emit), ov_ops.add(prev_emit, lp_emit))
        next_phi = update_phi(
            ov_ops.add(phi_in, lp_phi),
            ov_ops.add(
                ov_ops.add(prev_emit, lp_phi),
                ov_ops.multiply(log_eps, ov_ops.subtract(one, repeat)),
            ),
        )
        keep = ov_ops.subtract(one, pad)
        emit = ov_ops.add(ov_ops.multiply(pad, prev_emit), ov_ops.multiply(keep, next_emit))
        phi = ov_ops.add(ov_ops.multiply(pad, prev_phi), ov_ops.multiply(keep, next_phi))
    last = update_phi(phi, emit)
    picked = ov_ops.gather_elements(last, ov_ops.unsqueeze(label_len, g.i64(1)), 1)
    return g.out(ov_ops.negative(ov_ops.squeeze(picked, g.i64([1]))))


@register("nn")
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    op = "ctc_loss"
    target = to_tensor(target, "int32", op=op)
    output = to_tensor(output, op=op)
    target_length = to_tensor(target_length, "int32", op=op)
    output_length = to_tensor(output_length, "int32", op=op)
    if output.ndim != 3 or target.ndim != 2 or None in output.shape + target.shape:
        raise ValueError(
            f"`{op}`: expected static output (batch, time, classes) and target "
            f"(batch, labels), got {output.shape} and {target.shape}"
        )
    dtype = dtypes.result_type(output.dtype, "float32")
    output = to_tensor(output, dtype, op=op)  # converted before the graph (see nn._as)
    return apply(
        f"nn.{op}",
        _ctc_loss,
        [target, output, target_length, output_length],
        mask_index=int(mask_index),
        dtype=dtype,
    )


def _ctc_greedy(x, lengths, *, merge_repeated, mask_index):
    B, T, K = g.static_shape(x)
    best = ov_ops.topk(x, g.i64(1), 2, "max", "none", "i32")
    idx = g.out(ov_ops.squeeze(best.output(1), g.i64([2])))  # [B, T]
    score = g.out(ov_ops.squeeze(best.output(0), g.i64([2])))
    steps = g.const(np.arange(T)[None, :], "int32")
    beyond = ov_ops.greater_equal(steps, ov_ops.unsqueeze(g.cast(lengths, "int32"), g.i64(1)))
    blank = g.i32(mask_index)
    idx = g.select(beyond, blank, idx)
    score = g.select(beyond, g.const_like(0, score), score)
    if merge_repeated and T > 1:
        prev = ov_ops.slice(idx, g.i64([0, 0]), g.i64([B, T - 1]), g.i64([1, 1]))
        cur = ov_ops.slice(idx, g.i64([0, 1]), g.i64([B, T]), g.i64([1, 1]))
        rep = ov_ops.concat([g.const(np.zeros((B, 1), bool), "bool"), ov_ops.equal(prev, cur)], 1)
        idx = g.select(rep, blank, idx)
    invalid = ov_ops.equal(idx, blank)
    idx = g.select(invalid, g.i32(-1), idx)
    # stable move of blanks to the end: sort by (invalid, position)
    order_key = g.select(invalid, g.i32(T), g.i32(np.broadcast_to(np.arange(T), (B, T))))
    order = ov_ops.topk(order_key, g.i32(T), 1, "min", "value", "i32", stable=True).output(1)
    idx = ov_ops.gather_elements(idx, order, 1)
    total = ov_ops.negative(ov_ops.reduce_sum(score, g.i64([1]), True))
    return [g.out(ov_ops.unsqueeze(idx, g.i64(0))), g.out(total)]


# -- CTC beam search ---------------------------------------------------------------------------
#
# Prefix beam search giving the results of Keras's JAX backend.  The beam is
# ``W`` slots per batch row; slot ``i`` holds a label path ``P[i]`` (int32, padded
# with -1), its length ``L`` and last label ``tail``, two log-scores, ``E`` (the
# last frame emitted the last label) and ``Mk`` (the last frame was blank), and
# two relations used for merging and tie-breaking: ``prefix[i, q]`` (``P[i]`` is a
# proper prefix of ``P[q]``) and ``rank[i]`` (``P[i]``'s place in JAX's path order,
# below).  A slot whose scores are both -inf is empty.  Frames after the first
# run in an OpenVINO Loop, so the graph does not grow with the time axis.
#
# Each frame makes ``W * K`` candidates ``(i, c)``: for the blank class ``c`` the
# path ``P[i]`` itself ("stay"), otherwise ``P[i] + [c]`` ("extend"; a repeat of
# the last label extends only from ``Mk``).  An extension equal to another slot's
# path (``P[i]`` is its parent) is merged into that slot's stay.  The scores of
# one candidate are combined as JAX combines them, ``log(sum(exp(s - m))) + m``
# with ``m`` the largest score of that kind over the frame.
#
# Ties: JAX orders unique paths lexicographically with the labels flipped (a
# smaller label sorts higher, a prefix sorts before its extensions) and, among
# equal scores, keeps the paths that sort higher.  A candidate's place in that
# order follows from its parent's rank without comparing paths: ``P[i] + [c]``
# sorts after the beam paths up to and including ``P[i]`` and after those
# extending ``P[i]`` with a label above ``c``; candidates falling between the
# same two beam paths sort by parent rank (descending), then by label
# (descending).  Those three numbers make one int32 key.


def _ctc_batch(x):
    """The batch size as an int64 scalar."""
    return g.out(ov_ops.squeeze(g.dim(x, 0), g.i64([0])))


def _ctc_fill(value, batch_ref, tail, dtype):
    """A ``(batch, *tail)`` tensor of ``value``; the batch size is read from ``batch_ref``."""
    shape = ov_ops.concat([g.dim(batch_ref, 0), g.i64(list(tail))], 0)
    return g.out(ov_ops.broadcast(g.const(value, dtype), shape))


def _ctc_take(x, index):
    """``x[b, index[b, j]]`` for ``x`` (batch, n, ...) and ``index`` (batch, m).

    One flat Gather with row offsets: Gather with ``batch_dims`` crashes the
    CPU plugin when the batch is 1, and GatherElements has no reference kernel.
    """
    x, index = g.out(x), g.out(index)
    shape = g.static_shape(x)
    n = shape[1]
    offsets = ov_ops.range(g.i64(0), ov_ops.multiply(_ctc_batch(x), g.i64(n)), g.i64(n), "i32")
    flat = ov_ops.add(index, ov_ops.unsqueeze(offsets, g.i64(1)))
    return g.out(ov_ops.gather(g.reshape(x, [-1, *shape[2:]]), flat, g.i64(0)))


def _ctc_take2(x, index):
    """``x[b, index[b, j], index[b, k]]`` for ``x`` (batch, n, n)."""
    rows = g.transpose(_ctc_take(x, index), (0, 2, 1))
    return g.transpose(_ctc_take(rows, index), (0, 2, 1))


def _ctc_count(mask, axis):
    """Number of True along ``axis`` as int32, summed in float32 (exact for these
    small counts; the CPU plugin's int32 ReduceSum is not exact)."""
    total = ov_ops.reduce_sum(g.cast(g.out(mask), "float32"), g.i64([axis]), False)
    return g.cast(g.out(total), "int32")


def _ctc_rank(key, valid):
    """For each slot, the number of valid slots with a smaller ``key``."""
    smaller = ov_ops.less(ov_ops.unsqueeze(key, g.i64(1)), ov_ops.unsqueeze(key, g.i64(2)))
    return _ctc_count(ov_ops.logical_and(smaller, ov_ops.unsqueeze(valid, g.i64(1))), 2)


def _ctc_next_label(P, L):
    """``nxt[i, q] = P[q, L[i]]``: ``P[q]``'s label after ``P[i]``'s length."""
    _, W, T = g.static_shape(P)
    at = ov_ops.minimum(L, g.i32(T - 1))  # a full path is nobody's proper prefix
    rows = ov_ops.range(g.i64(0), ov_ops.multiply(_ctc_batch(P), g.i64(W * T)), g.i64(T), "i32")
    flat = ov_ops.add(
        ov_ops.reshape(rows, g.i64([-1, W, 1]), False), ov_ops.unsqueeze(at, g.i64(1))
    )  # (b * W + q) * T + L[b, i]
    return g.transpose(g.out(ov_ops.gather(g.reshape(P, [-1]), flat, g.i64(0))), (0, 2, 1))


def _ctc_max(x, axes):
    """Largest value over ``axes`` (kept); 0 where all are -inf, so ``x - max`` stays -inf."""
    m = g.out(ov_ops.reduce_max(x, g.i64(list(axes)), True))
    return g.select(ov_ops.equal(m, g.const_like(-np.inf, m)), g.const_like(0, m), m)


def _ctc_lse(a, b, m):
    """``log(exp(a - m) + exp(b - m)) + m``, JAX's merge of two scores of one path."""
    s = ov_ops.add(ov_ops.exp(ov_ops.subtract(a, m)), ov_ops.exp(ov_ops.subtract(b, m)))
    return g.out(ov_ops.add(ov_ops.log(s), m))


def _ctc_logaddexp(a, b):
    a = g.out(a)
    neg_inf = g.const_like(-np.inf, a)
    hi, lo = ov_ops.maximum(a, b), ov_ops.minimum(a, b)
    r = ov_ops.add(
        hi, ov_ops.log(ov_ops.add(g.const_like(1, a), ov_ops.exp(ov_ops.subtract(lo, hi))))
    )
    return g.select(ov_ops.equal(hi, neg_inf), neg_inf, r)


def _ctc_valid(E, Mk):
    return g.out(ov_ops.greater(ov_ops.maximum(E, Mk), g.const_like(-np.inf, g.out(E))))


def _ctc_beam_init(lp0, *, W, T, K, blank):
    """The beam after frame 0: the ``min(K, W)`` best classes (ties: lower class)."""
    n = min(K, W)
    dt = g.dtype(lp0)
    neg_inf = g.const_like(-np.inf, lp0)
    best = ov_ops.topk(lp0, g.i64(n), 1, "max", "value", "i32", stable=True)
    score, cls = g.out(best.output(0)), g.out(best.output(1))  # [B, n]
    is_blank = ov_ops.equal(cls, g.i32(blank))
    label = g.select(is_blank, g.i32(-1), cls)
    E = g.select(is_blank, neg_inf, score)
    Mk = g.select(is_blank, score, neg_inf)
    if n < W:
        label = g.out(ov_ops.concat([label, _ctc_fill(-1, lp0, [W - n], "int32")], 1))
        E = g.out(ov_ops.concat([E, _ctc_fill(-np.inf, lp0, [W - n], dt)], 1))
        Mk = g.out(ov_ops.concat([Mk, _ctc_fill(-np.inf, lp0, [W - n], dt)], 1))
    L = g.cast(g.out(ov_ops.greater_equal(label, g.i32(0))), "int32")
    P = ov_ops.unsqueeze(label, g.i64(2))
    if T > 1:
        P = ov_ops.concat([P, _ctc_fill(-1, lp0, [W, T - 1], "int32")], 2)
    valid = _ctc_valid(E, Mk)
    both = ov_ops.logical_and(ov_ops.unsqueeze(valid, g.i64(2)), ov_ops.unsqueeze(valid, g.i64(1)))
    prefix = ov_ops.logical_and(
        both,
        ov_ops.logical_and(  # the empty path before the others
            ov_ops.unsqueeze(ov_ops.equal(L, g.i32(0)), g.i64(2)),
            ov_ops.unsqueeze(ov_ops.equal(L, g.i32(1)), g.i64(1)),
        ),
    )
    key = g.select(ov_ops.less(label, g.i32(0)), g.i32(-1), ov_ops.subtract(g.i32(K - 1), label))
    return [g.out(P), L, label, E, Mk, g.out(prefix), _ctc_rank(key, valid)]


def _ctc_col(v):
    return ov_ops.unsqueeze(v, g.i64(2))  # [B, W] -> [B, W, 1]


def _ctc_row(v):
    return ov_ops.unsqueeze(v, g.i64(1))  # [B, W] -> [B, 1, W]


def _ctc_candidate_scores(state, lp, *, K, blank):
    """Merged emit and blank log-scores of the ``(i, c)`` candidates, each [B, W, K]."""
    _, L, tail, E, Mk, prefix, _ = state
    neg_inf, zero = g.const_like(-np.inf, lp), g.const_like(0, lp)
    cls = g.const(np.arange(K)[None, None, :], "int32")
    is_blank = ov_ops.equal(cls, g.i32(blank))
    # emit: a stay repeats its last label from E; an extension comes from E
    # (unless its label repeats the last one) and from Mk
    lp_c = _ctc_row(lp)  # [B, 1, K]
    lp_tail = g.squeeze_axes(_ctc_take(_ctc_col(lp), ov_ops.maximum(tail, g.i32(0))), [2])
    lp_tail = g.select(ov_ops.less(tail, g.i32(0)), neg_inf, lp_tail)
    repeat = ov_ops.equal(cls, _ctc_col(tail))
    from_e = g.select(
        is_blank,
        _ctc_col(ov_ops.add(E, lp_tail)),
        g.select(repeat, neg_inf, ov_ops.add(_ctc_col(E), lp_c)),
    )
    from_m = g.select(is_blank, neg_inf, ov_ops.add(_ctc_col(Mk), lp_c))
    m_e = _ctc_max(ov_ops.maximum(from_e, from_m), [1, 2])
    s = ov_ops.add(
        ov_ops.exp(ov_ops.subtract(from_e, m_e)), ov_ops.exp(ov_ops.subtract(from_m, m_e))
    )
    # an extension (i, c) equal to beam path q (P[i] is q's parent) joins q's stay
    parent = ov_ops.logical_and(
        prefix, ov_ops.equal(_ctc_row(L), ov_ops.add(_ctc_col(L), g.i32(1)))
    )
    parent = g.cast(g.out(parent), g.dtype(lp))  # [B, W(i), W(q)]
    last = g.cast(g.out(repeat), g.dtype(lp))  # [B, W(q), K]: q's last label; none if empty
    joined = ov_ops.reduce_sum(
        ov_ops.multiply(ov_ops.matmul(parent, s, True, False), last), g.i64([2]), True
    )  # [B, W(q), 1]
    taken = ov_ops.greater(ov_ops.matmul(parent, last, False, False), zero)
    s = g.select(taken, zero, ov_ops.add(s, g.select(is_blank, joined, zero)))
    emit = g.out(ov_ops.add(ov_ops.log(s), m_e))
    # blank: stays only
    lp_blank = ov_ops.gather(lp, g.i64([blank]), g.i64(1))  # [B, 1]
    m_a, m_b = ov_ops.add(Mk, lp_blank), ov_ops.add(E, lp_blank)
    stay = _ctc_lse(m_a, m_b, _ctc_max(ov_ops.maximum(m_a, m_b), [1]))
    return emit, g.select(is_blank, _ctc_col(stay), neg_inf)


def _ctc_candidate_keys(state, *, W, K, blank):
    """The candidates' places in JAX's path order (see above), [B, W, K] int32; and
    ``nxt`` (see ``_ctc_next_label``)."""
    P, L, _, _, _, prefix, rank = state
    cls = g.const(np.arange(K)[None, None, :], "int32")
    # later[i, c]: beam paths extending P[i] with a label above c
    nxt = _ctc_next_label(P, L)
    hist = ov_ops.scatter_elements_update(
        _ctc_fill(0, P, [W, K], "float32"),
        g.select(prefix, nxt, g.i32(0)),
        g.cast(prefix, "float32"),
        g.i64(2),
        "sum",
    )
    later = g.cast(g.out(ov_ops.cum_sum(hist, g.i64(2), True, True)), "int32")
    r = _ctc_col(rank)
    gap = W * K + 1  # keys of one gap, then the beam path closing it
    ext_key = ov_ops.add(
        ov_ops.multiply(ov_ops.add(ov_ops.add(r, g.i32(1)), later), g.i32(gap)),
        ov_ops.add(
            ov_ops.multiply(ov_ops.subtract(g.i32(W - 1), r), g.i32(K)),
            ov_ops.subtract(g.i32(K - 1), cls),
        ),
    )
    stay_key = ov_ops.add(ov_ops.multiply(r, g.i32(gap)), g.i32(W * K))
    return g.select(ov_ops.equal(cls, g.i32(blank)), stay_key, ext_key), nxt


def _ctc_beam_step(state, lp, active, *, W, T, K, blank):
    """One frame of prefix beam search; rows with ``active`` False keep their beam."""
    P, L, tail, _, _, prefix, _ = state
    emit, mask = _ctc_candidate_scores(state, lp, K=K, blank=blank)
    key, nxt = _ctc_candidate_keys(state, W=W, K=K, blank=blank)

    # keep the W best; among equal scores the larger keys
    def flat(v):
        return g.out(ov_ops.reshape(v, g.i64([0, W * K]), True))

    emit, mask, key = flat(emit), flat(mask), flat(key)
    total = _ctc_logaddexp(emit, mask)
    kth = ov_ops.topk(total, g.i64(W), 1, "max", "value", "i32").output(0)
    kth = ov_ops.gather(kth, g.i64([W - 1]), g.i64(1))
    order = g.select(
        ov_ops.greater(total, kth),
        ov_ops.add(key, g.i32((W + 1) * (W * K + 1))),
        g.select(ov_ops.equal(total, kth), key, g.i32(-1)),
    )
    pick = g.out(ov_ops.topk(order, g.i64(W), 1, "max", "none", "i32").output(1))  # [B, W]
    src = g.out(ov_ops.divide(pick, g.i32(K)))
    c = g.out(ov_ops.subtract(pick, ov_ops.multiply(src, g.i32(K))))
    grows = g.out(ov_ops.not_equal(c, g.i32(blank)))

    L_src = _ctc_take(L, src)
    pos = g.const(np.arange(T), "int32")
    new_P = g.select(
        ov_ops.logical_and(ov_ops.equal(pos, _ctc_col(L_src)), _ctc_col(grows)),
        _ctc_col(c),
        _ctc_take(P, src),
    )
    new_L = g.out(ov_ops.add(L_src, g.cast(grows, "int32")))
    new_E, new_Mk = _ctc_take(emit, pick), _ctc_take(mask, pick)
    valid = _ctc_valid(new_E, new_Mk)
    # the prefix relation of the new paths, from the old one: P[i] + [c] is a
    # proper prefix of a new path iff P[i] was a proper prefix of its source
    # and c comes next; P[i] is one of P[j] + [d] also if i == j
    was_prefix, was_next = _ctc_take2(prefix, src), _ctc_take2(nxt, src)
    ext_prefix = ov_ops.logical_and(
        ov_ops.logical_and(was_prefix, ov_ops.equal(was_next, _ctc_col(c))),
        ov_ops.greater(_ctc_row(new_L), _ctc_col(new_L)),
    )
    stay_prefix = ov_ops.logical_or(
        was_prefix, ov_ops.logical_and(_ctc_row(grows), ov_ops.equal(_ctc_col(src), _ctc_row(src)))
    )
    new_prefix = g.out(
        ov_ops.logical_and(
            g.select(_ctc_col(grows), ext_prefix, stay_prefix),
            ov_ops.logical_and(_ctc_col(valid), _ctc_row(valid)),
        )
    )
    new = [
        new_P,
        new_L,
        g.select(grows, c, _ctc_take(tail, src)),
        new_E,
        new_Mk,
        new_prefix,
        _ctc_rank(_ctc_take(key, pick), valid),
    ]
    return [
        g.select(ov_ops.reshape(active, g.i64([-1] + [1] * (g.rank(n) - 1)), False), n, o)
        for n, o in zip(new, state)
    ]


def _ctc_beam_search(x, lengths, *, beam_width, top_paths, mask_index):
    _, T, K = g.static_shape(x)
    W = beam_width
    neg_inf = g.const_like(-np.inf, x)
    logp = g.out(ov_ops.log_softmax(x, 2))
    dims = dict(W=W, T=T, K=K, blank=mask_index)
    state = _ctc_beam_init(g.out(ov_ops.gather(logp, g.i64(0), g.i64(1))), **dims)

    def step(it, state, invariants):  # frame it + 1
        logp, lengths = invariants
        t = ov_ops.add(it, g.i64(1))
        active = ov_ops.greater(lengths, g.cast(g.out(t), "int32"))
        return _ctc_beam_step(state, g.out(ov_ops.gather(logp, t, g.i64(1))), active, **dims)

    if T > 1:
        state = g.loop(T - 1, step, state, [logp, g.cast(lengths, "int32")])
    P, _, _, E, Mk, _, rank = state
    score = _ctc_lse(E, Mk, _ctc_max(ov_ops.maximum(E, Mk), [1]))  # [B, W]
    # best first; among equal scores the path sorting higher first
    by_rank = g.out(ov_ops.topk(rank, g.i64(W), 1, "max", "value", "i32", stable=True).output(1))
    n = min(top_paths, W)
    best = ov_ops.topk(_ctc_take(score, by_rank), g.i64(n), 1, "max", "value", "i32", stable=True)
    scores = g.out(best.output(0))
    paths = _ctc_take(P, _ctc_take(by_rank, g.out(best.output(1))))  # [B, n, T]
    paths = g.select(ov_ops.unsqueeze(ov_ops.equal(scores, neg_inf), g.i64(2)), g.i32(-1), paths)
    if top_paths > n:  # fewer slots than paths asked for: the rest are empty, as in JAX
        paths = g.out(ov_ops.concat([paths, _ctc_fill(-1, x, [top_paths - n, T], "int32")], 1))
        scores = g.out(
            ov_ops.concat([scores, _ctc_fill(-np.inf, x, [top_paths - n], g.dtype(x))], 1)
        )
    return [g.transpose(paths, (1, 0, 2)), scores]


@register("nn")
def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    op = "ctc_decode"
    x = to_tensor(inputs, op=op)
    x = to_tensor(x, dtypes.result_type(x.dtype, "float32"), op=op)
    lengths = to_tensor(sequence_lengths, "int32", op=op)
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'."
        )
    if x.ndim != 3 or None in x.shape[1:]:
        raise ValueError(
            f"`{op}`: expected inputs (batch, time, classes) with static time and classes, "
            f"got {x.shape}"
        )
    num_classes = x.shape[2]
    mask_index = num_classes - 1 if mask_index is None else int(mask_index)
    if strategy == "beam_search":
        if not -num_classes <= mask_index < num_classes:
            raise ValueError(
                f"`{op}`: mask_index {mask_index} is out of range for {num_classes} classes"
            )
        for name, value in (("beam_width", beam_width), ("top_paths", top_paths)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{op}`: {name} must be a positive integer, got {value!r}")
        width = int(beam_width)
        if 2 * (width + 1) * (width * num_classes + 1) >= 2**31:
            raise ValueError(
                f"`{op}`: beam_width {width} with {num_classes} classes is too large for the "
                "OpenVINO backend's int32 tie-breaking keys"
            )
        return apply(
            f"nn.{op}",
            _ctc_beam_search,
            [x, lengths],
            beam_width=width,
            top_paths=int(top_paths),
            mask_index=mask_index % num_classes,
        )
    if x.shape[0] is None:
        raise ValueError(f"`{op}`: greedy decoding needs a static batch size, got {x.shape}")
    return apply(
        f"nn.{op}",
        _ctc_greedy,
        [x, lengths],
        merge_repeated=bool(merge_repeated),
        mask_index=mask_index,
    )
