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
    grads = core.grad(ys, [p.output(0) for _, p in wrt], [c.output(0) for c in ct_params]) \
        if ys else [g.zeros_like(p.output(0)) for _, p in wrt]
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
    body = ov.Model([ov_ops.result(o) for o in out], [p for p, _ in bound],
                    f"keras_ov_grad_if_{b}")
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
    outs = [gnode.set_output(t, e) for t, e in zip(then_body.get_results(),
                                                   else_body.get_results())]
    gnode.validate_and_infer_types()
    grads = [None] * n_in
    for i, o in zip(float_in, outs):
        grads[i] = o
    return grads
