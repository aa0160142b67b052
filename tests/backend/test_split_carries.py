"""``generation.split_loop_carries``: a Loop carrying a stack of parts that its
body reads part by part and writes back stacked, split into one carry per
part; the same outputs as the unsplit Loop, and the Loops it leaves alone."""

import numpy as np
import openvino as ov
import pytest

import keras  # noqa: F401  (loads keras_ov.backend, which imports generation)

from keras_ov.backend.generation import split_loop_carries
from keras_ov.ops import graph as g
from keras_ov.ops.graph import ov_ops

SHAPE = (2, 3, 4)  # the carry: 3 parts along axis 1
STEPS = 5


def _pick(x, k, axis=1, end_mask=None, end=None):
    """``x[:, k]`` (axis 1) or ``x[k]`` (axis 0) as keras-ov traces it."""
    rank = len(SHAPE)
    begin = [0] * rank
    stop = [0] * rank if end is None else list(end)
    begin[axis], stop[axis] = k, k + 1
    masks = [0 if j == axis else 1 for j in range(rank)]
    shrink = [1 if j == axis else 0 for j in range(rank)]
    return ov_ops.strided_slice(
        x,
        g.i64(begin),
        g.i64(stop),
        g.i64([1] * rank),
        masks,
        masks if end_mask is None else end_mask,
        shrink_axis_mask=shrink,
    ).output(0)


def _loop_model(variant="plain", use_final=True):
    """A Loop of ``STEPS`` iterations carrying ``x`` (SHAPE) and a counter
    ``s``: part k of ``x`` becomes ``part_k * (k + 1) + s``; returns the
    final ``x`` (or the final counter only) and a value read from part 0."""
    x0 = ov_ops.parameter(list(SHAPE), np.float32)
    px = ov_ops.parameter(list(SHAPE), np.float32)
    ps = ov_ops.parameter([], np.float32)
    axis = 0 if variant == "axis0" else 1
    parts = []
    for k in range(SHAPE[axis]):
        part = _pick(px.output(0), k, axis)
        scale = ov_ops.constant(np.float32(k + 1))
        parts.append(ov_ops.add(ov_ops.multiply(part, scale), ps).output(0))
    packed = ov_ops.concat([g.unsqueeze_axes(p, [axis]) for p in parts], axis).output(0)
    read = parts[0]
    if variant == "partial":  # x[:, 0, :2] read too: not a whole part
        read = _pick(px.output(0), 0, axis, end_mask=[1, 0, 0], end=[0, 0, 2])
    readout = ov_ops.reduce_sum(read, g.i64([0, 1]) if axis else g.i64([0]), False)
    results = [ov_ops.result(g.const(True, "bool")), ov_ops.result(packed)]
    step = g.const(1.0, "float32")
    pi = ov_ops.parameter([], np.float32)  # an invariant input (T5, Gemma3): 1.0
    if variant == "invariant":
        step = pi.output(0)
    results += [ov_ops.result(ov_ops.add(ps, step))]
    results += [ov_ops.result(readout)]
    if variant == "shared":  # the packed value read by another output too
        results += [ov_ops.result(ov_ops.reduce_sum(packed, g.i64([0, 1, 2]), False))]
    body = ov.Model(results, [px, ps] + ([pi] if variant == "invariant" else []))
    loop = ov_ops.loop(g.i64(STEPS), g.const(True, "bool"))
    loop.set_function(body)
    loop.set_special_body_ports([-1, 0])
    loop.set_merged_input(px, x0.output(0), results[1].output(0))
    loop.set_merged_input(ps, g.const(0.0, "float32"), results[2].output(0))
    if variant == "invariant":
        loop.set_invariant_input(pi, g.const(1.0, "float32"))
    outs = [loop.get_iter_value(results[3].output(0), -1)]
    outs.append(loop.get_iter_value(results[1].output(0), -1))
    if not use_final:
        outs = outs[:1]
    return ov.Model([ov_ops.result(o) for o in outs], [x0])


def _expected(x, use_final, axis=1):
    x = x.copy()
    for s in range(STEPS):
        scale = (np.arange(SHAPE[axis]) + 1).reshape([-1 if j == axis else 1 for j in range(3)])
        x = x * scale + s
    first = x[:, 0] if axis == 1 else x[0]
    readout = first.sum(axis=(0, 1) if axis else 0)
    return [readout, x] if use_final else [readout]


def _run(model, x):
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    out = compiled([x])
    return [out[i] for i in range(len(compiled.outputs))]


@pytest.mark.parametrize(
    "variant,use_final,splits",
    [("plain", True, 1), ("plain", False, 1), ("axis0", True, 1), ("invariant", True, 1)],
)
def test_split_carries_keep_the_outputs(variant, use_final, splits):
    model = _loop_model(variant, use_final)
    assert split_loop_carries(model) == splits
    (loop,) = [n for n in model.get_ordered_ops() if n.get_type_name() == "Loop"]
    body = loop.get_function()
    kinds = [n.get_type_name() for n in body.get_ordered_ops()]
    assert "StridedSlice" not in kinds and "Concat" not in kinds
    extra = 1 if variant == "invariant" else 0
    assert len(body.get_parameters()) == 1 + extra + SHAPE[0 if variant == "axis0" else 1]
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    for got, want in zip(_run(model, x), _expected(x, use_final, 0 if variant == "axis0" else 1)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("variant", ["partial", "shared"])
def test_split_carries_leave_other_loops(variant):
    model = _loop_model(variant)
    before = [n.get_type_name() for n in model.get_ordered_ops()]
    assert split_loop_carries(model) == 0
    assert [n.get_type_name() for n in model.get_ordered_ops()] == before
