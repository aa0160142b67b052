"""Recurrent loops: the generic ``rnn``, unrolled in Python over a static time axis.

Each step calls Keras ops, so the loop runs eagerly op by op, or, when traced,
lays the steps out one after another in the graph being built.  The semantics
follow Keras's JAX backend: with ``unroll=False`` masking holds the previous
state and repeats ``states[0]`` (or zeros) as the output; with ``unroll=True``
it repeats the previous output.  Fused ``lstm``/``gru`` raise
``NotImplementedError`` so Keras's layers fall back to ``rnn``.
"""

from keras.src import tree

from keras_ov.ops import control_flow, creation, elementwise, indexing, reduction
from keras_ov.ops import shape as shape_ops
from keras_ov.ops.coerce import to_tensor


def _swap_batch_time(x):
    axes = list(range(x.ndim))
    axes[0], axes[1] = 1, 0
    return shape_ops.transpose(x, axes)


def _step_slices(x, steps):
    return [indexing.take(x, i, axis=0) for i in range(steps)]


def _expand_like(mask_t, x):
    """``mask_t`` (batch, 1...) with trailing unit axes up to ``x``'s rank."""
    while mask_t.ndim < x.ndim:
        mask_t = shape_ops.expand_dims(mask_t, -1)
    return mask_t


def rnn(
    step_function,
    inputs,
    initial_states,
    go_backwards=False,
    mask=None,
    constants=None,
    unroll=False,
    input_length=None,
    time_major=False,
    zero_output_for_mask=False,
    return_all_outputs=True,
):
    inputs = tree.map_structure(lambda t: to_tensor(t, op="rnn"), inputs)
    if not time_major:
        inputs = tree.map_structure(_swap_batch_time, inputs)
    flat_inputs = tree.flatten(inputs)
    steps = flat_inputs[0].shape[0]
    if steps is None:
        raise ValueError(
            "`rnn`: the OpenVINO backend unrolls the loop and needs a static number of "
            f"time steps, got inputs of shape {flat_inputs[0].shape}"
        )
    if mask is not None:
        mask = to_tensor(mask, "bool", op="rnn")
        if mask.ndim == 2:
            mask = shape_ops.expand_dims(mask, -1)
        if not time_major:
            mask = _swap_batch_time(mask)
    constants = list(constants or [])

    per_input = [_step_slices(t, steps) for t in flat_inputs]
    masks = _step_slices(mask, steps) if mask is not None else None
    order = list(range(steps))
    if go_backwards:
        order.reverse()

    def input_at(i):
        return tree.pack_sequence_as(inputs, [slices[i] for slices in per_input])

    where = elementwise.where
    outputs = []
    if unroll:
        states = tuple(initial_states)
        for i in order:
            output, new_states = step_function(input_at(i), states + tuple(constants))
            if masks is not None:
                m = masks[i]
                prev = outputs[-1] if outputs else creation.zeros_like(output)
                output = where(_expand_like(m, output), output, prev)
                flat_new = [
                    where(_expand_like(m, n), n, s)
                    for s, n in zip(tree.flatten(states), tree.flatten(new_states))
                ]
                new_states = tree.pack_sequence_as(states, flat_new)
            states = tuple(new_states) if isinstance(new_states, (list, tuple)) else new_states
            outputs.append(output)
    else:
        states = initial_states
        for i in order:
            output, new_states = step_function(input_at(i), states)
            if masks is not None:
                is_masked = reduction.all(elementwise.logical_not(masks[i]), axis=-1, keepdims=True)
                if zero_output_for_mask:
                    held = creation.zeros_like(output)
                else:
                    held = states[0]
                    if tree.is_nested(held):  # stacked cells: first state of the last cell
                        held = states[-1][0]
                output = where(_expand_like(is_masked, output), held, output)
                new_states = tree.map_structure(
                    lambda s, n: where(_expand_like(is_masked, n), s, n),  # noqa: B023  (called at once)
                    states,
                    new_states,
                )
            states = new_states
            outputs.append(output)

    last_output = outputs[-1]
    stacked = shape_ops.stack(outputs if return_all_outputs or not unroll else outputs[-1:], axis=0)
    if not time_major:
        stacked = _swap_batch_time(stacked)
    return last_output, stacked, states


def lstm(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `lstm` is not available; Keras falls back to `rnn`")


def gru(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `gru` is not available; Keras falls back to `rnn`")


def bidirectional_lstm(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `bidirectional_lstm` is not available")


def bidirectional_gru(*args, **kwargs):
    raise NotImplementedError("keras-ov: fused `bidirectional_gru` is not available")


def cudnn_ok(*args, **kwargs):
    return False


def unstack(x, axis=0):
    return control_flow.unstack(x, axis=axis)
