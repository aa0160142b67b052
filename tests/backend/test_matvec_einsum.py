"""``generation.matvec_einsums``: a decode step's attention Einsums as
Multiply + ReduceSum, against NumPy's einsum, and the Einsums it leaves alone."""

import numpy as np
import openvino as ov
import pytest

import keras  # noqa: F401  (loads keras_ov.backend, which imports generation)

from keras_ov.backend.generation import matvec_einsums
from keras_ov.ops.graph import ov_ops

# (equation, shapes, rewritten?)
CASES = [
    ("aecd,abcd->acbe", [(1, 12, 4, 8), (1, 1, 4, 8)], True),  # scores, batch 1
    ("aecd,abcd->acbe", [(3, 12, 4, 8), (3, 1, 4, 8)], True),  # scores, batch 3
    ("acbe,aecd->abcd", [(1, 4, 1, 12), (1, 12, 4, 8)], True),  # probs x values
    ("acbe,aecd->abcd", [(2, 4, 1, 12), (2, 12, 4, 8)], True),
    ("abcd,aecd->acbe", [(2, 1, 4, 8), (2, 12, 4, 8)], True),  # the small one first
    ("aecd,abcd->acbe", [(1, 12, 4, 8), (1, 5, 4, 8)], False),  # prefill: a real MatMul
    ("ij,jk->ik", [(6, 5), (5, 7)], False),
    ("bij,bjk->bik", [(2, 1, 5), (2, 5, 7)], True),  # a batched vector-matrix product
    ("bij,bjk->bik", [(2, 3, 5), (2, 5, 7)], False),  # i (3) is missing from the big one
]


def _einsum_model(eq, shapes, constant_second=False):
    params = [ov_ops.parameter(list(s), np.float32) for s in shapes]
    second = params[1]
    if constant_second:
        second = ov_ops.constant(np.ones(shapes[1], np.float32))
        params = params[:1]
    node = ov_ops.einsum([params[0], second], eq)
    return ov.Model([ov_ops.result(node)], params)


@pytest.mark.parametrize("eq,shapes,rewritten", CASES)
def test_matvec_einsum_matches_numpy(eq, shapes, rewritten):
    model = _einsum_model(eq, shapes)
    assert bool(matvec_einsums(model)) == rewritten
    kinds = {op.get_type_name() for op in model.get_ops()}
    assert ("Einsum" in kinds) != rewritten
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(xs)[0]
    np.testing.assert_allclose(got, np.einsum(eq, *xs), rtol=1e-5, atol=1e-5)


def test_weights_stay_einsum():
    model = _einsum_model("abc,cde->abde", [(1, 1, 16), (16, 4, 8)], constant_second=True)
    assert matvec_einsums(model) == 0
