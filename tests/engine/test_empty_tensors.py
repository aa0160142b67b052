"""Graphs with zero-size tensors inside: never a signal, always NumPy's answer.

Compiling such a graph can kill the process (the CPU plugin divides by zero:
det of a (0, 0) matrix), and so can reference kernels on empty outputs
(Broadcast to a 0-size shape), so the cases that used to crash run in a child
process.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np

from keras_ov.engine import execute
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import REGISTRY, apply

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_in_child(code):
    """stdout of ``code`` run in a fresh interpreter; fails on a signal or error."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    prelude = "import numpy as np, keras_ov\nfrom keras_ov.ops.registry import REGISTRY\n"
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


GCD_SHAPES = [((0,), (0,)), ((2, 0), (2, 1)), ((), (0,)), ((0, 1), (1, 0))]


def test_gcd_of_zero_size_inputs():
    # An int64 Loop on reference kernels: its zero-size Broadcast died with SIGFPE.
    out = run_in_child(f"""
        for op in ("gcd", "lcm"):
            for a, b in {GCD_SHAPES}:
                r = np.asarray(REGISTRY["numpy." + op](np.ones(a, np.int32), np.ones(b, np.int32)))
                print(r.shape, r.dtype)
    """)
    want = [
        f"{getattr(np, op)(np.ones(a, np.int32), np.ones(b, np.int32)).shape} int32"
        for op in ("gcd", "lcm")
        for a, b in GCD_SHAPES
    ]
    assert out.splitlines() == want


def test_gcd_when_every_pair_is_already_done():
    # The Loop runs no iteration: the reference kernel refused ("Zero count of
    # iteration not supported"); the answer is the initial values.
    a, b = np.array([3, -4, 0], np.int32), np.array([0, 0, 0], np.int32)
    np.testing.assert_array_equal(np.asarray(REGISTRY["numpy.gcd"](a, b)), np.gcd(a, b))
    np.testing.assert_array_equal(np.asarray(REGISTRY["numpy.lcm"](a, b)), np.lcm(a, b))


def test_det_of_empty_matrices_is_one():
    # Compiling this graph died with SIGFPE in the CPU plugin.
    out = run_in_child("""
        for shape in ((0, 0), (2, 0, 0)):
            print(np.asarray(REGISTRY["linalg.det"](np.zeros(shape, np.float32))).tolist())
            s, l = REGISTRY["numpy.slogdet"](np.zeros(shape, np.float32))
            print(np.asarray(s).tolist(), np.asarray(l).tolist())
    """)
    want = []
    for shape in ((0, 0), (2, 0, 0)):
        sign, logdet = np.linalg.slogdet(np.zeros(shape))
        want += [str(np.linalg.det(np.zeros(shape)).tolist()), f"{sign.tolist()} {logdet.tolist()}"]
    assert out.splitlines() == want


def test_graphs_with_empty_data_are_not_compiled():
    # Only empty *data* routes a graph to the reference kernels: the empty
    # shape vectors of scalars do not.
    before = execute.counters["reference_built"]
    x = np.zeros((3, 0), np.float32)
    np.testing.assert_array_equal(np.asarray(REGISTRY["numpy.sum"](x, axis=1)), np.zeros(3))
    assert execute.counters["reference_built"] == before + 1
    before = execute.counters["reference_built"]
    assert float(np.asarray(REGISTRY["numpy.sum"](np.float32(2.5)))) == 2.5
    assert (
        float(
            np.asarray(
                apply(
                    "test.add_scalar",
                    lambda a: g.out(g.ov_ops.add(a, a)),
                    [to_tensor(np.float32(1.5))],
                ).numpy()
            )
        )
        == 3.0
    )
    assert execute.counters["reference_built"] == before


def _search_plus_empty_sum(seq, values, empty):
    # A SearchSorted (no reference kernel) in a graph with empty data.
    found = g.cast(g.out(g.ov_ops.search_sorted(seq, values)), "float32")
    return g.out(g.ov_ops.add(found, g.out(g.ov_ops.reduce_sum(empty, g.i64([0]), False))))


def test_empty_data_graph_without_reference_kernel_is_compiled():
    seq, values = np.array([1, 2, 3], np.float32), np.array([0.5, 2.5, 9], np.float32)
    got = apply(
        "test.search_plus_empty_sum",
        _search_plus_empty_sum,
        [to_tensor(seq), to_tensor(values), to_tensor(np.zeros((0,), np.float32))],
    ).numpy()
    np.testing.assert_array_equal(got, np.searchsorted(seq, values))


def test_loops_over_an_empty_batch():
    # OpenVINO's Loop kernel corrupted the heap on an LU solve of a (0, n, n)
    # batch (its body's shapes are dynamic, so no empty node was skipped), and
    # so did the dynamic-shape nodes after it.
    out = run_in_child("""
        r = REGISTRY["linalg.solve"](np.zeros((0, 3, 3), np.float32), np.zeros((0, 3), np.float32))
        print(np.asarray(r).shape)
        print(np.asarray(REGISTRY["linalg.inv"](np.zeros((0, 3, 3), np.float32))).shape)
        p = np.zeros((0, 4, 2), np.float32)
        print(np.asarray(REGISTRY["image.compute_homography_matrix"](p, p)).shape)
        a = np.array([[[4, 1], [2, 3]]], np.float32)
        print(np.asarray(REGISTRY["linalg.solve"](a, np.ones((1, 2), np.float32))).astype(float).round(4).tolist())
    """)
    assert out.splitlines() == ["(0, 3)", "(0, 3, 3)", "(0, 8)", "[[0.2, 0.2]]"]
