"""keras_ov.value_and_grad / grad, stop_gradient and custom_gradient, against JAX."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from keras import ops

import keras_ov
from keras_ov.engine import execute

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 2)).astype("float32")
X = RNG.normal(size=(4, 3)).astype("float32")


def _loss(w, x):
    return ops.sum(ops.tanh(ops.matmul(x, w)) ** 2)


def _jloss(w, x):
    return jnp.sum(jnp.tanh(x @ w) ** 2)


def test_value_and_grad_matches_jax_and_compiles_once():
    vg = keras_ov.value_and_grad(_loss)
    v, gw = vg(W, X)
    jv, jgw = jax.value_and_grad(_jloss)(W, X)
    np.testing.assert_allclose(np.asarray(v), jv, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(gw), jgw, rtol=1e-5, atol=1e-6)
    compiled = execute.counters["compiled"]
    v2, _ = vg(W * 2, X)  # same signature: no new compile
    assert execute.counters["compiled"] == compiled
    np.testing.assert_allclose(np.asarray(v2), _jloss(W * 2, X), rtol=1e-5)


@pytest.mark.parametrize("argnums", [1, (0, 1), -1])
def test_grad_argnums(argnums):
    got = keras_ov.grad(_loss, argnums=argnums)(W, X)
    want = jax.grad(_jloss, argnums=argnums)(W, X)
    if isinstance(argnums, tuple):
        for a, b in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


def test_pytree_arguments_and_aux():
    def loss(params, x):
        h = ops.matmul(x, params["w"]) + params["b"]
        return ops.mean(h**2), {"h": h}

    params = {"w": W, "b": np.ones((2,), "float32")}
    (v, aux), grads = keras_ov.value_and_grad(loss, has_aux=True)(params, X)

    def jloss(p, x):
        h = x @ p["w"] + p["b"]
        return jnp.mean(h**2), {"h": h}

    (jv, jaux), jgrads = jax.value_and_grad(jloss, has_aux=True)(params, X)
    np.testing.assert_allclose(np.asarray(v), jv, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(aux["h"]), jaux["h"], rtol=1e-5, atol=1e-6)
    assert set(grads) == {"w", "b"}
    for k in grads:
        np.testing.assert_allclose(np.asarray(grads[k]), jgrads[k], rtol=1e-5, atol=1e-6)


def test_bad_input_errors():
    with pytest.raises(TypeError, match="scalar float tensor"):
        keras_ov.grad(lambda w: ops.tanh(w))(W)
    with pytest.raises(ValueError, match="argnums"):
        keras_ov.grad(_loss, argnums=2)(W, X)
    with pytest.raises(TypeError, match="float arguments"):
        keras_ov.grad(lambda i: ops.sum(ops.cast(i, "float32")))(np.arange(3, dtype="int32"))


def test_stop_gradient():
    g = keras_ov.grad(lambda w: ops.sum(w * ops.stop_gradient(w)))(W)
    np.testing.assert_allclose(np.asarray(g), W, rtol=1e-6)  # d/dw (w * const) = const
    # eager stays a plain value
    np.testing.assert_array_equal(np.asarray(ops.stop_gradient(W)), W)


def test_custom_gradient_single_and_multiple_args():
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    x = np.array([0.0, 1.0, 100.0], "float32")  # the plain gradient is nan at 100
    g = keras_ov.grad(lambda x: ops.sum(log1pexp(x)))(x)
    np.testing.assert_allclose(np.asarray(g), jax.nn.sigmoid(x), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(log1pexp(np.float32(1.0))), np.log1p(np.e), rtol=1e-6)

    @ops.custom_gradient
    def scaled(a, b):
        def grad(upstream):
            return upstream * 3.0, None  # b gets no gradient

        return a * b, grad

    ga, gb = keras_ov.grad(lambda a, b: ops.sum(scaled(a, b)), argnums=(0, 1))(W, W)
    np.testing.assert_allclose(np.asarray(ga), np.full_like(W, 3.0))
    np.testing.assert_array_equal(np.asarray(gb), np.zeros_like(W))


def test_python_number_arguments_stay_32_bit():
    built = execute.counters["reference_built"]
    g = keras_ov.grad(lambda w, s, k: ops.sum(w * s) * ops.cast(k, "float32"))(W, 2.0, 3)
    np.testing.assert_allclose(np.asarray(g), np.full_like(W, 6.0))
    assert execute.counters["reference_built"] == built  # no float64/int64 inputs


def test_custom_gradient_inside_cond_body_raises_clearly():
    @ops.custom_gradient
    def doubled(x):
        return x * 2, lambda u: u * 10

    def loss(x):
        return ops.sum(ops.cond(ops.sum(x) > 0, lambda: doubled(x), lambda: x))

    with pytest.raises(NotImplementedError, match="custom_gradient.*body"):
        keras_ov.grad(loss)(np.ones(3, "float32"))
