"""Gradient rule of Einsum: Einsums with permuted equations.

For ``out = einsum("A,B,...->O")`` the cotangent of operand ``A`` is
``einsum(ct, others, "O,B,...->A")``, with three adjustments:

* a label repeated within ``A`` (a diagonal, ``"ii->i"``) is renamed and an
  identity matrix joins the operands, so the gradient lands on the diagonal;
* labels of ``A`` found nowhere else (summed over inside ``A``) are left out
  of the Einsum and broadcast back afterwards;
* ``...`` dims that broadcasting widened are summed back to ``A``'s.
"""

import string

import numpy as np

from keras_ov.autodiff.core import inputs, rule
from keras_ov.autodiff.helpers import unbroadcast
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops

ELL = "."


def _labels(sub):
    """'ab...c' -> ['a', 'b', '.', 'c'] (the ellipsis as one label '.')."""
    return list(sub.replace("...", ELL))


def _text(labels):
    return "".join("..." if c == ELL else c for c in labels)


def _parse(equation, n):
    equation = equation.replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    subs = [_labels(s) for s in lhs.split(",")]
    if len(subs) != n:
        raise ValueError(f"keras-ov: Einsum equation {equation!r} for {n} operands")
    if "->" not in equation:  # implicit: labels seen once, sorted, after the ellipsis
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        rhs_labels = ([ELL] if ELL in counts else []) + sorted(
            c for c, k in counts.items() if k == 1 and c != ELL
        )
    else:
        rhs_labels = _labels(rhs)
    return subs, rhs_labels


def _dim_of(x, labels, label):
    """Static size of ``label`` in operand ``x`` (no ellipsis before it may be ragged)."""
    shape = g.static_shape(x)
    if ELL in labels:
        e = labels.index(ELL)
        ell_rank = len(shape) - (len(labels) - 1)
        pos = labels.index(label)
        pos = pos if pos < e else pos + ell_rank - 1
    else:
        pos = labels.index(label)
    return shape[pos]


def _grad_operand(xs, subs, out_labels, ct, i):
    x, own = xs[i], subs[i]
    used = set(out_labels)
    for j, s in enumerate(subs):
        if j != i:
            used.update(s)
    free = iter(c for c in string.ascii_letters if not any(c in s for s in subs + [out_labels]))
    operands, eq_subs = [ct], [out_labels]
    operands += [xs[j] for j in range(len(xs)) if j != i]
    eq_subs += [subs[j] for j in range(len(xs)) if j != i]
    target, seen = [], set()
    for c in own:
        if c in seen and c != ELL:  # a repeated label: a diagonal via an identity matrix
            fresh = next(free)
            n = _dim_of(x, own, c)
            if n is None:
                raise NotImplementedError(
                    "keras-ov: gradient of an Einsum diagonal of dynamic size"
                )
            operands.append(g.const(np.eye(n, dtype=np.float32), g.dtype(x)))
            eq_subs.append([c, fresh])
            target.append(fresh)
            used.update((c, fresh))
        else:
            target.append(c)
        seen.add(c)
    kept = [c for c in target if c in used]
    eq = ",".join(_text(s) for s in eq_subs) + "->" + _text(kept)
    d = g.out(ov_ops.einsum(operands, eq))
    x_rank, d_rank = g.rank(x), g.rank(d)
    if ELL in kept:
        # the result's ellipsis is the broadcast of all: sum the extra dims away
        x_ell = x_rank - (len(own) - 1)
        d_ell = d_rank - (len(kept) - 1)
        e = kept.index(ELL)
        if d_ell > x_ell:
            d = g.out(ov_ops.reduce_sum(d, g.i64(list(range(e, e + d_ell - x_ell))), False))
    if len(kept) != len(target):  # labels summed inside x alone: broadcast back
        x_ell = x_rank - (len(own) - 1) if ELL in own else 0
        axes, pos = [], 0
        for c in target:
            width = x_ell if c == ELL else 1
            if c not in used:
                axes += list(range(pos, pos + width))
            pos += width
        d = g.unsqueeze_axes(d, axes)
        return g.out(ov_ops.broadcast(d, g.shape_of(x)))
    return unbroadcast(d, x)


@rule("Einsum")
def _(node, ct):
    xs = inputs(node)
    subs, out_labels = _parse(node.get_attributes()["equation"], len(xs))
    return [_grad_operand(xs, subs, out_labels, ct[0], i) for i in range(len(xs))]
