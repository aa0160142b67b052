"""The registry covers the whole Keras backend surface, known gaps aside."""

import ast
import os

import pytest

import keras

from keras_ov.backend import core as backend_core
from keras_ov.ops.known_gaps import KNOWN_GAPS
from keras_ov.ops.registry import REGISTRY

NAMESPACES = ["numpy", "nn", "math", "linalg", "image", "random"]
# Names in the JAX backend modules that are JAX plumbing, not Keras API.
NOT_API = {"jax_draw_seed", "unstack", "wrap_flash_attention"}


def reference_functions(module):
    path = os.path.join(os.path.dirname(keras.__file__), "src", "backend", "jax", module + ".py")
    tree = ast.parse(open(path).read())
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and not n.name.startswith("_") and n.name not in NOT_API
    }


@pytest.mark.parametrize("ns", NAMESPACES)
def test_every_backend_function_is_registered_or_a_known_gap(ns):
    expected = {f"{ns}.{name}" for name in reference_functions(ns)}
    missing = sorted(n for n in expected if n not in REGISTRY and n not in KNOWN_GAPS)
    assert not missing, f"unregistered and not listed in known_gaps.py: {missing}"


def test_known_gaps_are_really_gaps_and_have_reasons():
    both = sorted(set(KNOWN_GAPS) & set(REGISTRY))
    assert not both, f"registered but still listed as gaps: {both}"
    for name, reason in KNOWN_GAPS.items():
        assert isinstance(reason, str) and len(reason) > 10, name


def test_core_contract_is_complete():
    expected = reference_functions("core") - {"should_shard_at_init"}
    missing = sorted(n for n in expected if not hasattr(backend_core, n))
    assert not missing, missing


def test_host_paths_are_declared_registered_ops_with_reasons():
    from keras_ov.ops.registry import HOST_PATHS

    for name, reason in HOST_PATHS.items():
        assert name in REGISTRY, name
        assert len(reason) > 20, name
