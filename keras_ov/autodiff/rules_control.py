"""Gradient rules of control flow: ``If`` and ``Loop``.

A body's gradient is built as a body too.  Each gradient body is a clone of
the forward body (so it recomputes what it needs) with ``grad`` applied
inside it: for ``If``, an ``If`` on the same condition whose branches are
the gradients of the two branches; for ``Loop``, the forward Loop records
the carried values of every iteration (extra concatenated outputs), and a
reverse Loop walks them back, carrying the carries' cotangents and the
accumulated gradients of the loop invariants.
"""

import openvino as ov

from keras_ov.autodiff import core
from keras_ov.autodiff.core import is_float, rule
from keras_ov.autodiff.helpers import convert_to
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops


def _param_like(x):
    return ov_ops.parameter(x.get_partial_shape(), x.get_element_type())


def _zeros_or(ct, like):
    return ct if ct is not None else g.zeros_like(like)


# -- If -----------------------------------------------------------------------------


def _branch_grad(node, b, float_in, float_out, outer_cts):
    """The gradient body of branch ``b``: (params, their outer inputs, results)."""
    model = node.get_function(b).clone()
    params = list(model.get_parameters())
    results = model.get_results()
    to_input = {d.body_parameter_index: d.input_index for d in node.get_input_descriptions(b)}
    to_value = {d.output_index: d.body_value_index for d in node.get_output_descriptions(b)}
    ys = [results[to_value[i]].input_value(0) for i in float_out]
    ct_params = [_param_like(node.output(i)) for i in float_out]
    wrt = [(k, p) for k, p in enumerate(params) if to_input[k] in float_in]
    grads = (
        core.grad(ys, [p.output(0) for _, p in wrt], [c.output(0) for c in ct_params])
        if ys
        else [g.zeros_like(p.output(0)) for _, p in wrt]
    )
    by_input = {}
    for (k, _), gr in zip(wrt, grads):
        i = to_input[k]
        by_input[i] = gr if i not in by_input else g.out(ov_ops.add(by_input[i], gr))
    bound = [(p, node.input_value(to_input[k])) for k, p in enumerate(params)]
    bound += list(zip(ct_params, outer_cts))
    out = []
    for i in float_in:
        if i not in by_input:  # this branch does not read input i
            p = _param_like(node.input_value(i))
            bound.append((p, node.input_value(i)))
            by_input[i] = g.zeros_like(p.output(0))
        out.append(by_input[i])
    body = ov.Model([ov_ops.result(o) for o in out], [p for p, _ in bound], f"keras_ov_grad_if_{b}")
    return body, bound


@rule("If")
def _(node, ct):
    n_in = node.get_input_size()
    float_in = [i for i in range(1, n_in) if is_float(node.input_value(i))]
    float_out = [i for i in range(node.get_output_size()) if is_float(node.output(i))]
    outer_cts = [_zeros_or(ct[i], node.output(i)) for i in float_out]
    then_body, then_bound = _branch_grad(node, 0, float_in, float_out, outer_cts)
    else_body, else_bound = _branch_grad(node, 1, float_in, float_out, outer_cts)
    gnode = ov_ops.if_op(node.input_value(0))
    gnode.set_then_body(then_body)
    gnode.set_else_body(else_body)
    for p, src in then_bound:
        gnode.set_input(src, p, None)
    for p, src in else_bound:
        gnode.set_input(src, None, p)
    outs = [
        gnode.set_output(t, e) for t, e in zip(then_body.get_results(), else_body.get_results())
    ]
    gnode.validate_and_infer_types()
    grads = [None] * n_in
    for i, o in zip(float_in, outs):
        grads[i] = o
    return grads


# -- Loop ---------------------------------------------------------------------------


def _flip0(x):
    return g.out(ov_ops.slice(x, g.i64([-1]), g.i64([-(2**63)]), g.i64([-1]), g.i64([0])))


def _check_slices(d, what):
    if (d.axis, d.part_size, d.stride, d.start, d.end) != (0, 1, 1, 0, -1):
        raise NotImplementedError(
            f"keras-ov: gradient of a Loop with a {what} other than whole single steps "
            f"along axis 0 (axis={d.axis}, part_size={d.part_size}, stride={d.stride})"
        )


def _descriptions(node):
    merged, invariant, sliced = [], [], []
    for d in node.get_input_descriptions():
        kind = type(d).__name__
        if kind.startswith("Merged"):
            merged.append(d)
        elif kind.startswith("Invariant"):
            invariant.append(d)
        else:
            _check_slices(d, "sliced input")
            sliced.append(d)
    finals, concats = [], []
    for d in node.get_output_descriptions():
        if type(d).__name__.startswith("Concat"):
            _check_slices(d, "concatenated output")
            concats.append(d)
        else:
            if d.iteration != -1:
                raise NotImplementedError(
                    "keras-ov: gradient of a Loop output of a fixed iteration"
                )
            finals.append(d)
    return merged, invariant, sliced, finals, concats


def _record_carries(node, merged):
    """Make the forward Loop also output each carry as it entered every iteration."""
    body = node.get_function()
    params = body.get_parameters()
    records = [
        ov_ops.result(g.unsqueeze_axes(params[d.body_parameter_index].output(0), [0]))
        for d in merged
    ]
    body.add_results(records)
    stacked = [node.get_concatenated_slices(r.output(0), 0, 1, 1, -1, 0) for r in records]
    node.validate_and_infer_types()
    return stacked


@rule("Loop")
def _(node, ct):
    merged, invariant, sliced, finals, concats = _descriptions(node)
    it_index, _ = node.get_special_body_ports()
    stacked = _record_carries(node, merged)
    # number of iterations run
    if stacked:
        trips = g.reshape(g.dim(stacked[0], 0), ())
    elif concats:
        trips = g.reshape(g.dim(node.output(concats[0].output_index), 0), ())
    else:
        raise NotImplementedError("keras-ov: gradient of a Loop with neither carries nor outputs")

    model = node.get_function().clone()
    params = list(model.get_parameters())
    results = model.get_results()
    k = ov_ops.parameter([], ov.Type.i64)  # the reverse loop's iteration
    n = ov_ops.parameter([], ov.Type.i64)
    bound = []  # (backward-body Parameter, how it is fed)
    bound.append((n, ("invariant", trips)))
    if it_index >= 0:  # the forward iteration this step undoes: n - 1 - k
        t = g.out(ov_ops.subtract(g.out(ov_ops.subtract(n, g.i64(1))), k))
        t = convert_to(t, params[it_index].get_output_element_type(0))
        for target in list(params[it_index].output(0).get_target_inputs()):
            target.replace_source_output(t)
    # carries: fed per step from the records, in reverse
    carry_x = []
    for d, rec in zip(merged, stacked):
        p = params[d.body_parameter_index]
        r = _param_like(g.slice_axis(rec, 0, 0, 1))
        value = g.squeeze_axes(r.output(0), [0])
        for target in list(p.output(0).get_target_inputs()):
            target.replace_source_output(value)
        bound.append((r, ("sliced", _flip0(rec))))
        carry_x.append(value)
    for d in sliced:
        bound.append(
            (params[d.body_parameter_index], ("sliced", _flip0(node.input_value(d.input_index))))
        )
    for d in invariant:
        bound.append(
            (params[d.body_parameter_index], ("invariant", node.input_value(d.input_index)))
        )

    # cotangents flowing in: carries (from the final outputs), stacked outputs (per step)
    float_carries = [j for j, d in enumerate(merged) if is_float(carry_x[j])]
    init_ct = {j: None for j in float_carries}
    by_value = {d.body_value_index: j for j, d in enumerate(merged)}
    for d in finals:
        c = ct[d.output_index]
        if c is None or not is_float(node.output(d.output_index)):
            continue
        j = by_value.get(d.body_value_index)
        if j is None:
            raise NotImplementedError(
                "keras-ov: gradient of a Loop final output that is not a loop carry"
            )
        init_ct[j] = c if init_ct[j] is None else g.out(ov_ops.add(init_ct[j], c))
    ys, y_cts, merged_ct = [], [], []
    for j in float_carries:
        d = merged[j]
        p = _param_like(carry_x[j])
        merged_ct.append((j, p))
        ys.append(results[d.body_value_index].input_value(0))
        y_cts.append(p.output(0))
    for d in concats:
        out = node.output(d.output_index)
        c = ct[d.output_index]
        if c is None or not is_float(out):
            continue
        p = _param_like(g.slice_axis(out, 0, 0, 1))
        bound.append((p, ("sliced", _flip0(c))))
        ys.append(results[d.body_value_index].input_value(0))
        y_cts.append(p.output(0))

    xs_carry = [carry_x[j] for j in float_carries]
    xs_sliced = [d for d in sliced if is_float(node.input_value(d.input_index))]
    xs_inv = [d for d in invariant if is_float(node.input_value(d.input_index))]
    wrt = xs_carry + [params[d.body_parameter_index].output(0) for d in xs_sliced + xs_inv]
    grads = core.grad(ys, wrt, y_cts) if ys else [g.zeros_like(x) for x in wrt]
    g_carry = grads[: len(xs_carry)]
    g_sliced = grads[len(xs_carry) : len(xs_carry) + len(xs_sliced)]
    g_inv = grads[len(xs_carry) + len(xs_sliced) :]

    acc = [_param_like(node.input_value(d.input_index)) for d in xs_inv]
    new_acc = [g.out(ov_ops.add(a.output(0), gi)) for a, gi in zip(acc, g_inv)]
    body_results = [ov_ops.result(g.const(True, "bool"))]
    carry_res = [ov_ops.result(gc) for gc in g_carry]
    acc_res = [ov_ops.result(a) for a in new_acc]
    dx_res = [ov_ops.result(gs) for gs in g_sliced]
    body_results += carry_res + acc_res + dx_res
    body_params = [k] + [p for p, _ in bound] + [p for _, p in merged_ct] + acc
    back_body = ov.Model(body_results, body_params, "keras_ov_grad_loop")

    back = ov_ops.loop(trips, g.const(True, "bool"))
    back.set_function(back_body)
    back.set_special_body_ports([0, 0])
    for p, (how, value) in bound:
        if how == "sliced":
            back.set_sliced_input(p, value, 0, 1, 1, -1, 0)
        else:
            back.set_invariant_input(p, value)
    for (j, p), r in zip(merged_ct, carry_res):
        start = init_ct[j]
        if start is None:
            start = g.out(
                ov_ops.broadcast(
                    g.const(0, g.dtype(carry_x[j])),
                    g.shape_of(node.input_value(merged[j].input_index)),
                )
            )
        back.set_merged_input(p, start, r.output(0))
    for d, a, r in zip(xs_inv, acc, acc_res):
        back.set_merged_input(a, g.zeros_like(node.input_value(d.input_index)), r.output(0))
    carry_out = [back.get_iter_value(r.output(0), -1) for r in carry_res]
    acc_out = [back.get_iter_value(r.output(0), -1) for r in acc_res]
    dx_out = [back.get_concatenated_slices(r.output(0), 0, 1, 1, -1, 0) for r in dx_res]
    back.validate_and_infer_types()

    in_grads = [None] * node.get_input_size()

    def put(i, v):
        in_grads[i] = v if in_grads[i] is None else g.out(ov_ops.add(in_grads[i], v))

    for j, v in zip(float_carries, carry_out):
        put(merged[j].input_index, v)
    for d, v in zip(xs_inv, acc_out):
        put(d.input_index, v)
    for d, v in zip(xs_sliced, dx_out):
        put(d.input_index, _flip0(v))
    return in_grads
