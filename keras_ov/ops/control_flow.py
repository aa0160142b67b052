"""Control flow as graphs: ``cond``, ``switch``, ``while_loop``, ``fori_loop``,
``scan``, ``map``, ``associative_scan`` and ``unstack``.

Control flow runs in Python while its inputs are concrete (each step is an
eager op).  When a predicate or a loop state is symbolic -- the function is
being traced, e.g. by ``compute_output_spec`` or a compiled ``predict`` -- it
becomes an OpenVINO ``If`` or ``Loop`` node whose bodies are traced once
(``engine.compiled.extract_body``).  ``keras_ov.backend.core`` exposes these
functions to Keras.

Not imported by ``keras_ov.ops`` itself: ``keras.src.tree`` loads Keras, which
loads ``keras_ov.backend``, which needs the ops package complete.
"""

import builtins

import numpy as np

from keras.src import tree
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_ov.engine import compiled
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g
from keras_ov.ops import registry
from keras_ov.ops.coerce import cast, to_tensor
from keras_ov.ops.elementwise import less_equal
from keras_ov.ops.graph import ov_ops
from keras_ov.ops.indexing import take
from keras_ov.ops.shape import concatenate, expand_dims, moveaxis, stack


def _is_symbolic(x):
    return isinstance(x, OVTensor) and x.is_symbolic


def _any_symbolic(structure):
    return builtins.any(_is_symbolic(leaf) for leaf in tree.flatten(structure))


# -- graph control flow: If and Loop ------------------------------------------


def _scalar_bool(pred, op):
    """A symbolic predicate as a boolean scalar Output."""
    pred = to_tensor(pred, op=op)
    if pred.ndim and pred.size != 1:
        raise ValueError(f"`{op}`: the predicate must be a scalar, got shape {pred.shape}")
    out = g.cast(pred.output, "bool")
    if pred.ndim:
        out = g.reshape(out, ())
    return out


def _leaves_as_tensors(structure, op):
    return [to_tensor(leaf, op=op) for leaf in tree.flatten(structure)]


def _branch(fn, scope, before):
    """Trace one branch: ``(since, structure, assigned)``.

    Under a StatelessScope (a traced train step), a branch may assign
    variables (Keras optimizers do, in ``ops.cond``): ``assigned`` maps each
    such variable to its value at the end of the branch, and the scope is
    restored to ``before`` so the other branch starts from the same state.
    """
    since = compiled.mark()
    if scope is None:
        return since, fn(), {}
    assigned = {}
    add_update = scope.add_update  # (a recorder already, in a nested cond)

    def record(update):
        assigned[id(update[0])] = update[0]
        add_update(update)

    shadowed = scope.__dict__.get("add_update")
    scope.add_update = record
    try:
        out = fn()
    finally:
        if shadowed is None:
            del scope.add_update  # the class's method again
        else:
            scope.add_update = shadowed
        values = {k: (v, scope.state_mapping[k]) for k, v in assigned.items()}
        scope.state_mapping.clear()
        scope.state_mapping.update(before)
    return since, out, values


def _if_graph(pred, true_fn, false_fn, op="cond"):
    """An If node; variables either branch assigns become extra outputs.

    Each branch yields, for every variable assigned in either branch, its
    value at the branch's end (the value before the ``cond`` where that
    branch leaves it alone), and the scope records the If's output as the
    variable's new value.
    """
    cond_out = _scalar_bool(pred, op)
    scope = get_stateless_scope()
    before = dict(scope.state_mapping) if scope is not None else None
    t_since, t_struct, t_assigned = _branch(true_fn, scope, before)
    f_since, f_struct, f_assigned = _branch(false_fn, scope, before)
    try:
        tree.assert_same_structure(t_struct, f_struct)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"`{op}`: `true_fn` and `false_fn` must return the same structure; {e}"
        ) from None
    t_leaves = _leaves_as_tensors(t_struct, op) if t_struct is not None else []
    f_leaves = _leaves_as_tensors(f_struct, op) if f_struct is not None else []
    for a, b in zip(t_leaves, f_leaves):
        if a.dtype != b.dtype or a.ndim != b.ndim:
            raise ValueError(
                f"`{op}`: `true_fn` and `false_fn` outputs differ: "
                f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
            )
    state = {k: v for k, (v, _) in {**t_assigned, **f_assigned}.items()}

    def state_values(assigned):
        out = []
        for k, var in state.items():
            value = assigned[k][1] if k in assigned else var.value  # (scope restored)
            out.append(to_tensor(value, var.dtype, op=op))
        return out

    t_leaves = t_leaves + state_values(t_assigned)
    f_leaves = f_leaves + state_values(f_assigned)
    if not t_leaves:
        return t_struct
    t_model, t_params, t_captured = compiled.extract_body(
        [t.output for t in t_leaves], [], t_since, op
    )
    f_model, f_params, f_captured = compiled.extract_body(
        [t.output for t in f_leaves], [], f_since, op
    )
    node = ov_ops.if_op(cond_out)
    node.set_then_body(t_model)
    node.set_else_body(f_model)
    for p, src in zip(t_params, t_captured):
        node.set_input(src, p, None)
    for p, src in zip(f_params, f_captured):
        node.set_input(src, None, p)
    outs = [
        OVTensor(output=node.set_output(tr, fr))
        for tr, fr in zip(t_model.get_results(), f_model.get_results())
    ]
    node.validate_and_infer_types()
    n = len(outs) - len(state)
    for var, value in zip(state.values(), outs[n:]):
        scope.add_update((var, value))
    if t_struct is None:
        return None
    return tree.pack_sequence_as(t_struct, outs[:n])


def _relaxed(shape_a, shape_b):
    return tuple(a if a == b else None for a, b in zip(shape_a, shape_b))


def _loop_graph(op, carry, step, trip_count=None, init_cond=None, xs=(), reverse=False):
    """An OpenVINO Loop.

    ``carry`` and ``xs`` are lists of tensors; each iteration sees the carry and
    one slice of every ``x`` along axis 0 (from the end if ``reverse``; the
    stacked ``ys`` then keep the order of ``xs``).
    ``step(carry, x) -> (new_carry, next_cond or None, ys)``.  Runs
    ``trip_count`` times (``None``: unbounded) while the condition holds; returns
    ``(final_carry, ys stacked along axis 0)``.
    """
    carry = [to_tensor(c, op=op) for c in carry]
    xs = [to_tensor(x, op=op) for x in xs]
    shapes = [c.shape for c in carry]
    for _ in range(3):  # later passes adopt the dtypes and dims the body changes
        c_params = [compiled.symbolic(s, c.dtype) for s, c in zip(shapes, carry)]
        x_params = [compiled.symbolic((1,) + x.shape[1:], x.dtype) for x in xs]
        since = compiled.mark()
        x_vals = [OVTensor(output=g.squeeze_axes(p.output, (0,))) for p in x_params]
        new_carry, next_cond, ys = step(list(c_params), x_vals)
        new_carry = [to_tensor(c, op=op) for c in new_carry]
        ys = [to_tensor(y, op=op) for y in ys]
        for c, n in zip(carry, new_carry):
            if n.ndim != c.ndim:
                raise ValueError(
                    f"`{op}`: the body changed the rank of a loop variable from "
                    f"{list(c.shape)} to {list(n.shape)}"
                )
        new_shapes = [_relaxed(s, n.shape) for s, n in zip(shapes, new_carry)]
        if new_shapes == shapes and all(c.dtype == n.dtype for c, n in zip(carry, new_carry)):
            break
        # Eagerly the loop variables would take the body's dtypes from the
        # first iteration on; the Loop starts from them.
        carry = [c if c.dtype == n.dtype else cast(c, n.dtype) for c, n in zip(carry, new_carry)]
        shapes = new_shapes
    else:
        raise ValueError(
            f"`{op}`: the body keeps changing the dtypes or shapes of the loop "
            f"variables ({[(c.dtype, c.shape) for c in new_carry]})"
        )
    cond_out = g.const(True, "bool") if next_cond is None else _scalar_bool(next_cond, op)
    results = [cond_out] + [c.output for c in new_carry]
    results += [g.unsqueeze_axes(y.output, (0,)) for y in ys]
    model, params, captured = compiled.extract_body(
        results, [compiled.parameter_of(p) for p in c_params + x_params], since, op
    )
    body_results = model.get_results()
    if trip_count is None:
        trip_count = g.i64(-1)
    node = ov_ops.loop(trip_count, g.const(True, "bool") if init_cond is None else init_cond)
    node.set_function(model)
    node.set_special_body_ports([-1, 0])
    n_c = len(carry)
    for i, c in enumerate(carry):
        node.set_merged_input(params[i], c.output, body_results[1 + i].output(0))
    for j, x in enumerate(xs):  # Loop slices forwards only
        value = _flip0(x.output) if reverse else x.output
        node.set_sliced_input(params[n_c + j], value, 0, 1, 1, -1, 0)
    for p, src in zip(params[n_c + len(xs) :], captured):
        node.set_invariant_input(p, src)
    finals = [node.get_iter_value(body_results[1 + i].output(0), -1) for i in range(n_c)]
    stacked = [
        node.get_concatenated_slices(r.output(0), 0, 1, 1, -1, 0) for r in body_results[1 + n_c :]
    ]
    node.validate_and_infer_types()
    if reverse:
        stacked = [_flip0(o) for o in stacked]
    return [OVTensor(output=o) for o in finals], [OVTensor(output=o) for o in stacked]


def _flip0(x):
    """``x`` reversed along axis 0."""
    return g.out(ov_ops.slice(x, g.i64([-1]), g.i64([-(2**63)]), g.i64([-1]), g.i64([0])))


def _trip_count(n):
    """A Loop trip count from a Python int or a (1-element) tensor."""
    if isinstance(n, (int, np.integer)):
        return g.i64(int(n))
    t = to_tensor(n, op="loop")
    return g.cast(g.reshape(t.output, ()), "int64")


# -- control flow ---------------------------------------------------------------


def cond(pred, true_fn, false_fn):
    if _is_symbolic(pred):
        return _if_graph(pred, true_fn, false_fn)
    return true_fn() if _concrete_bool(pred, "cond") else false_fn()


def _concrete_bool(pred, op):
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    t = to_tensor(pred, op=op)
    if t.size != 1:
        raise ValueError(f"`{op}`: the predicate must be a scalar, got shape {t.shape}")
    return bool(t.data.reshape(()))


def switch(index, branches, *operands):
    if not branches:
        raise ValueError("`switch`: `branches` must not be empty")
    last = len(branches) - 1
    if not _is_symbolic(index):
        i = int(to_tensor(index, "int32", op="switch").data.reshape(()))
        return branches[min(max(i, 0), last)](*operands)
    index = to_tensor(index, "int32", op="switch")

    def pick(k):
        if k == last:
            return branches[k](*operands)
        return _if_graph(
            less_equal(index, k),
            lambda: branches[k](*operands),
            lambda: pick(k + 1),
            op="switch",
        )

    return pick(0)


def _pack_loop_vars(structure, is_tuple, flat):
    packed = tree.pack_sequence_as(structure, flat)
    return tuple(packed) if is_tuple else packed


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    is_tuple = isinstance(loop_vars, (tuple, list))
    structure = tuple(loop_vars) if is_tuple else loop_vars
    state = tree.map_structure(lambda v: to_tensor(v, op="while_loop"), structure)

    def call(fn, s):
        return fn(*s) if is_tuple else fn(s)

    def as_structure(new):
        if is_tuple and not isinstance(new, (list, tuple)):
            new = (new,)
        if is_tuple:
            new = tuple(new)
        return new

    i = 0
    bounded_by_graph = _is_symbolic(maximum_iterations)  # a traced trip count
    while maximum_iterations is None or bounded_by_graph or i < maximum_iterations:
        pred = call(cond, state)
        if _is_symbolic(pred) or _any_symbolic(state) or bounded_by_graph:
            remaining = None if maximum_iterations is None else maximum_iterations - i
            state = _while_graph(cond, body, state, structure, is_tuple, pred, remaining)
            break
        if not _concrete_bool(pred, "while_loop"):
            break
        state = as_structure(call(body, state))
        i += 1
    return state


def _while_graph(cond, body, state, structure, is_tuple, pred, remaining):
    flat = [to_tensor(v, op="while_loop") for v in tree.flatten(state)]

    def step(carry, _xs):
        s = _pack_loop_vars(structure, is_tuple, carry)
        new = body(*s) if is_tuple else body(s)
        if is_tuple and not isinstance(new, (list, tuple)):
            new = (new,)
        new_flat = tree.flatten(new)
        if len(new_flat) != len(carry):
            raise ValueError(
                f"`while_loop`: `body` returned {len(new_flat)} values for "
                f"{len(carry)} loop variables"
            )
        s_new = _pack_loop_vars(structure, is_tuple, new_flat)
        return new_flat, (cond(*s_new) if is_tuple else cond(s_new)), []

    trip = None if remaining is None else _trip_count(remaining)
    finals, _ = _loop_graph("while_loop", flat, step, trip, _scalar_bool(pred, "while_loop"))
    return _pack_loop_vars(structure, is_tuple, finals)


def fori_loop(lower, upper, body_fun, init_val):
    if _any_symbolic((lower, upper, init_val)):
        return _fori_graph(lower, upper, body_fun, init_val)
    lo = int(to_tensor(lower, op="fori_loop").data)
    hi = int(to_tensor(upper, op="fori_loop").data)
    val = init_val
    for i in range(lo, hi):
        new = body_fun(i, val)
        if _any_symbolic(new):  # the body reads traced values: build a Loop
            return _fori_graph(i, hi, body_fun, val)
        val = new
    return val


def _fori_graph(lower, upper, body_fun, init_val):
    lower = to_tensor(lower, "int32", op="fori_loop")
    upper = to_tensor(upper, "int32", op="fori_loop")
    flat = _leaves_as_tensors(init_val, "fori_loop")

    def step(carry, _xs):
        i, rest = carry[0], carry[1:]
        new = tree.flatten(body_fun(i, tree.pack_sequence_as(init_val, rest)))
        nxt = i + 1
        return [nxt] + new, nxt < upper, []

    first = _scalar_bool(lower < upper, "fori_loop")
    finals, _ = _loop_graph("fori_loop", [lower] + flat, step, None, first)
    return tree.pack_sequence_as(init_val, finals[1:])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(
            f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}"
        )
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    xs_flat = [] if xs is None else _leaves_as_tensors(xs, "scan")
    init_flat = _leaves_as_tensors(init, "scan")
    if length is not None and not _is_symbolic(length):
        n = int(to_tensor(length, op="scan").data)
    else:
        n = xs_flat[0].shape[0] if xs_flat else None
    for x in xs_flat:
        if x.ndim == 0 or x.shape[0] != xs_flat[0].shape[0]:
            raise ValueError(
                f"`scan`: every `xs` leaf needs the same leading dimension, got "
                f"{[t.shape for t in xs_flat]}"
            )

    def pack_x(flat):
        return None if xs is None else tree.pack_sequence_as(xs, flat)

    def call(carry_flat, x_flat):
        carry, y = f(tree.pack_sequence_as(init, carry_flat), pack_x(x_flat))
        return tree.flatten(carry), y

    symbolic_in = _any_symbolic(init_flat) or _any_symbolic(xs_flat) or n is None
    if not symbolic_in:
        carry, ys, y_struct = init_flat, [], None
        order = range(n - 1, -1, -1) if reverse else range(n)
        for i in order:
            x_flat = [take(x, i, axis=0) for x in xs_flat]
            new_carry, y = call(carry, x_flat)
            if _any_symbolic((new_carry, y)):
                symbolic_in = True  # the body reads traced values: build a Loop
                break
            carry, y_struct = new_carry, y
            ys.append([] if y is None else tree.flatten(y))
        if not symbolic_in:
            carry = tree.pack_sequence_as(init, carry)
            if y_struct is None or not ys:
                return carry, None
            if reverse:
                ys.reverse()
            stacked = [stack(list(col), axis=0) for col in zip(*ys)]
            return carry, tree.pack_sequence_as(y_struct, stacked)
    return _scan_graph(call, init, init_flat, xs_flat, length if n is None else n, reverse)


def _scan_graph(call, init, init_flat, xs_flat, n, reverse):
    y_box = []

    def step(carry, x_vals):
        new_carry, y = call(carry, x_vals)
        y_box[:] = [y]
        return new_carry, None, [] if y is None else tree.flatten(y)

    if n is None:  # the dynamic length of xs
        trip = g.reshape(g.dim(xs_flat[0].output, 0), ())
    else:
        trip = _trip_count(n)
    finals, stacked = _loop_graph("scan", init_flat, step, trip, None, xs_flat, reverse)
    carry = tree.pack_sequence_as(init, finals)
    y = y_box[0]
    return carry, None if y is None else tree.pack_sequence_as(y, stacked)


def map(f, xs):
    def body(carry, x):
        return carry, f(x)

    _, ys = scan(body, (), xs)
    return ys


def vectorized_map(function, elements):
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    leaves = _leaves_as_tensors(elems, "associative_scan")
    if not leaves:
        return elems
    axis = g.normalize_axis(axis, leaves[0].ndim, "associative_scan")
    lens = {t.shape[axis] for t in leaves}
    if len(lens) != 1:
        raise ValueError(
            "Array inputs to associative_scan must have the same "
            f"first dimension. (saw: {[t.shape for t in leaves]})"
        )
    n = lens.pop()
    moved = [moveaxis(t, axis, 0) for t in leaves]
    if n == 0:
        return elems
    first = [take(t, 0 if not reverse else -1, axis=0) for t in moved]
    rest = [_slice_rows(t, reverse) for t in moved]

    def combine(acc, x):
        out = f(tree.pack_sequence_as(elems, acc), tree.pack_sequence_as(elems, x))
        out = tree.flatten(out)
        return out, out

    def body(acc, x):
        out, y = combine(tree.flatten(acc), tree.flatten(x))
        return tree.pack_sequence_as(elems, out), tree.pack_sequence_as(elems, y)

    _, ys = scan(
        body,
        tree.pack_sequence_as(elems, first),
        tree.pack_sequence_as(elems, rest),
        reverse=reverse,
    )
    ys_flat = [] if ys is None else tree.flatten(ys)
    outs = []
    for head, tail in zip(first, ys_flat):
        head = expand_dims(head, 0)
        parts = [tail, head] if reverse else [head, tail]
        outs.append(moveaxis(concatenate(parts, axis=0), 0, axis))
    if not ys_flat:  # a single element
        outs = [moveaxis(expand_dims(h, 0), 0, axis) for h in first]
    return tree.pack_sequence_as(elems, outs)


def _slice_rows(t, reverse):
    """All rows of ``t`` but the first one (the last one if ``reverse``)."""
    return t[:-1] if reverse else t[1:]


def _unstack(x, *, axis, num):
    parts = ov_ops.split(x, g.i64(axis), num).outputs()
    return [g.squeeze_axes(p, (axis,)) for p in parts]


def unstack(x, num=None, axis=0):
    x = to_tensor(x, op="unstack")
    axis = g.normalize_axis(axis, x.ndim, "unstack")
    n = x.shape[axis]
    if num is None:
        num = n
    if num is None:
        raise ValueError(
            f"`unstack`: cannot infer `num` from shape {x.shape} (axis {axis} is "
            "dynamic); pass `num`"
        )
    if n is not None and num != n:
        raise ValueError(f"`unstack`: num={num} does not match dimension {n} of axis {axis}")
    if num == 0:
        return []
    out = registry.apply("core.unstack", _unstack, [x], axis=axis, num=int(num))
    return list(out) if isinstance(out, tuple) else [out]
