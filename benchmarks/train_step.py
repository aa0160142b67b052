"""Training step time: keras-ov against the JAX backend, measured interleaved.

    python -m benchmarks.train_step [--rounds 10] [--burst 20] [--backends openvino,jax]

MLP 784-512-512-10, Adam, ``train_on_batch`` at batch 128 (the workload of
issue 13).  One worker process per backend stays alive; each round asks every
worker in turn for a burst of timed steps (the order alternates), so noise on
a shared machine falls on both alike.  Reports the first step (trace +
compile + run) and the median ms/step over all bursts.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKER = r"""
import os, sys, time, json
t0 = time.perf_counter()
if os.environ["KERAS_BACKEND"] == "openvino":
    import keras_ov
import numpy as np, keras
sys.path.insert(0, os.getcwd())
from benchmarks.models import build_model
model = build_model("mlp", keras)
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
rng = np.random.default_rng(0)
x = rng.standard_normal((128, 784), dtype=np.float32)
y = rng.integers(0, 10, 128).astype("int32")
t1 = time.perf_counter()
model.train_on_batch(x, y)
first = time.perf_counter() - t1
print(json.dumps({"first_s": first, "import_s": t1 - t0}), flush=True)
for line in sys.stdin:
    n = int(line)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        loss = model.train_on_batch(x, y)
    print(json.dumps({"ms": (time.perf_counter() - t) * 1e3 / n,
                      "cpu_ms": (time.process_time() - c) * 1e3 / n, "loss": float(loss)}), flush=True)
"""


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--burst", type=int, default=20)
    ap.add_argument("--backends", default="openvino,jax")
    args = ap.parse_args(argv)
    names = args.backends.split(",")
    workers, first = {}, {}
    for name in names:
        env = dict(os.environ, KERAS_BACKEND=name, PYTHONPATH=os.getcwd())
        workers[name] = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        first[name] = json.loads(workers[name].stdout.readline())
    times = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            w = workers[name]
            w.stdin.write(f"{args.burst}\n")
            w.stdin.flush()
            result = json.loads(w.stdout.readline())
            times[name].append(result["ms"])
            cpu[name].append(result["cpu_ms"])
    for w in workers.values():
        w.stdin.close()
        w.wait()
    base = statistics.median(times[names[-1]])
    print(
        f"MLP 784-512-512-10, Adam, train_on_batch at batch 128 "
        f"({args.rounds} rounds x {args.burst} steps, interleaved)"
    )
    for name in names:
        med = statistics.median(times[name])
        print(
            f"  {name:9s} {med:7.2f} ms/step (x{med / base:.2f} of {names[-1]}), "
            f"first step {first[name]['first_s'] * 1e3:7.0f} ms, "
            f"min burst {min(times[name]):.2f} ms, "
            f"CPU time {statistics.median(cpu[name]):.2f} ms/step (all threads)"
        )
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    return times


if __name__ == "__main__":
    t = time.time()
    main()
    print(f"({time.time() - t:.0f} s)")
