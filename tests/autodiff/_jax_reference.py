"""JAX's gradients of the whole case table, in one process.

Run as ``KERAS_BACKEND=jax python -m tests.autodiff._jax_reference DIR NAME...``:
for each named case (its results go to ``DIR/<name>-<digest>.npz``), ``jax.grad`` of ``sum(f(*xs) * ct)`` with respect to every
input, with the inputs and cotangents of ``cases.py``.
"""

import os
import sys

import numpy as np


def main(directory, names):
    import jax
    import jax.numpy as jnp

    from tests.autodiff import cases

    for case in cases.CASES():
        if case.name not in names or not case.jax:
            continue
        results = {}
        xs = [jnp.asarray(a) for a in cases.inputs(case)]
        y = case.fn(*xs)
        ct = jnp.asarray(cases.cotangent(np.shape(y)))

        def loss(*args, case=case, ct=ct):
            return jnp.sum(case.fn(*args) * ct)

        grads = jax.grad(loss, argnums=tuple(range(len(xs))))(*xs)
        results["y"] = np.asarray(y)
        for i, gr in enumerate(grads):
            results[str(i)] = np.asarray(gr)
        path = os.path.join(directory, f"{case.name}-{cases.digest(case)}.npz")
        np.savez(f"{path}.{os.getpid()}.npz", **results)
        os.replace(f"{path}.{os.getpid()}.npz", path)  # readers never see a partial file


if __name__ == "__main__":
    main(sys.argv[1], set(sys.argv[2:]))
