"""JAX's gradients of the whole case table, in one process.

Run as ``KERAS_BACKEND=jax python -m tests.autodiff._jax_reference OUT.npz``:
for each case, ``jax.grad`` of ``sum(f(*xs) * ct)`` with respect to every
input, with the inputs and cotangents of ``cases.py``.
"""

import sys

import numpy as np


def main(path):
    import jax
    import jax.numpy as jnp

    from tests.autodiff import cases

    results = {}
    for case in cases.CASES():
        xs = [jnp.asarray(a) for a in cases.inputs(case)]
        y = case.fn(*xs)
        ct = jnp.asarray(cases.cotangent(np.shape(y)))

        def loss(*args, case=case, ct=ct):
            return jnp.sum(case.fn(*args) * ct)

        grads = jax.grad(loss, argnums=tuple(range(len(xs))))(*xs)
        results[f"{case.name}/y"] = np.asarray(y)
        for i, gr in enumerate(grads):
            results[f"{case.name}/{i}"] = np.asarray(gr)
    np.savez(path, **results)


if __name__ == "__main__":
    main(sys.argv[1])
