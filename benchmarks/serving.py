"""``keras-ov serve`` under a bounded load: 1 replica vs 2, on loopback.

    python -m benchmarks.serving                  # writes benchmarks/SERVING.md
    python -m benchmarks.serving --replicas 2 --requests 4000

For each replica count: a small Dense model (6 -> 16 -> 3) is saved, served
with ``keras-ov serve MODEL --replicas N --host 127.0.0.1`` (Ray Serve, one
OpenVINO compiled model per replica), and ``--clients`` threads (default 8)
send ``--requests`` requests (default 2,000) over keep-alive HTTP
connections; every tenth is malformed (bad JSON, no ``inputs``, wrong shape,
wrong dtype, ragged, not an object).  Counted: well-formed requests answered
with the right numbers (rtol/atol 1e-5 against ``model.predict``), wrong
answers, dropped requests (connection errors), malformed requests answered
4xx with one line; throughput (requests/s over the wall time of the load) and
latency p50/p99 of all requests.
"""

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

import keras
from keras import layers

import keras_ov  # noqa: F401  (before keras)

MALFORMED = [
    b"{not json",
    json.dumps({"input": [[0.0] * 6]}).encode(),  # no "inputs"
    json.dumps({"inputs": [[0.0] * 5]}).encode(),  # wrong shape
    json.dumps({"inputs": [["a"] * 6]}).encode(),  # wrong dtype
    json.dumps({"inputs": [[0.0] * 6, [0.0] * 3]}).encode(),  # ragged
    json.dumps([1, 2, 3]).encode(),  # not an object
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(conn, body):
    conn.request("POST", "/scorer", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def _model(workdir):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), name="features")
    h = layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, layers.Dense(3, name="scores")(h))
    path = os.path.join(workdir, "scorer.keras")
    model.save(path)
    return model, path


def _wait_ready(port, body, proc, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            status, _ = _post(conn, body)
            conn.close()
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(1)
    return False


def run_load(port, pool, want, requests, clients):
    stats = {"good": 0, "bad": 0, "wrong": 0, "dropped": 0, "bad_not_4xx": 0}
    latencies = []
    lock = threading.Lock()

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local = []
        for i in range(k, requests, clients):
            malformed = i % 10 == 3
            j = i % len(pool)
            body = (
                MALFORMED[i % len(MALFORMED)]
                if malformed
                else json.dumps({"inputs": pool[j].tolist()}).encode()
            )
            t = time.perf_counter()
            try:
                status, payload = _post(conn, body)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    stats["dropped"] += 1
                continue
            local.append(1e3 * (time.perf_counter() - t))
            with lock:
                if malformed:
                    stats["bad"] += 1
                    error = json.loads(payload).get("error", "") if 400 <= status < 500 else ""
                    if not error or "\n" in error:
                        stats["bad_not_4xx"] += 1
                else:
                    stats["good"] += 1
                    got = np.asarray(json.loads(payload)["outputs"]) if status == 200 else None
                    if got is None or not np.allclose(got, want[j], rtol=1e-5, atol=1e-5):
                        stats["wrong"] += 1
        conn.close()
        with lock:
            latencies.extend(local)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    p50, p99 = np.percentile(latencies, [50, 99])
    return dict(
        stats,
        requests=requests,
        clients=clients,
        seconds=wall,
        throughput=len(latencies) / wall,
        p50_ms=float(p50),
        p99_ms=float(p99),
    )


def serve_and_measure(replicas, requests, clients, cpus_per_replica):
    workdir = tempfile.mkdtemp(prefix="keras-ov-serving-bench-")
    model, path = _model(workdir)
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(64, 2, 6)).astype("float32")  # 64 distinct 2-row requests
    want = [model.predict(x, verbose=0) for x in pool]
    port = _free_port()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "keras_ov",
            "serve",
            path,
            "--replicas",
            str(replicas),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--cpus-per-replica",
            str(cpus_per_replica),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        if not _wait_ready(port, json.dumps({"inputs": pool[0].tolist()}).encode(), proc):
            raise RuntimeError(f"keras-ov serve ({replicas} replicas) did not come up")
        run_load(port, pool, want, 200, clients)  # warm-up: every replica compiled and hit
        result = run_load(port, pool, want, requests, clients)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return dict(result, replicas=replicas)


def markdown(results, args):
    lines = [
        "# keras-ov serve: 1 replica vs 2",
        "",
        f"`python -m benchmarks.serving` ({time.strftime('%Y-%m-%d')}, {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} cores, shared; Ray Serve over HTTP on 127.0.0.1).",
        f"{args.clients} concurrent clients, keep-alive connections, {args.requests} requests per run "
        "after 200 warm-up requests; every tenth request is malformed (6 kinds: bad JSON, no "
        "`inputs`, wrong shape, wrong dtype, ragged, not an object). Model: Dense 6 -> 16 -> 3, "
        f"2 rows per request, `--cpus-per-replica {args.cpus_per_replica}`, 1 OpenVINO thread per replica.",
        "",
        "| replicas | requests | malformed (all 4xx) | wrong | dropped | throughput (req/s) | p50 (ms) | p99 (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['replicas']} | {r['good'] + r['bad']} | {r['bad']} ({r['bad'] - r['bad_not_4xx']}) "
            f"| {r['wrong']} | {r['dropped']} | {r['throughput']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    lines += [
        "",
        "The machine had other jobs running (load average "
        f"{os.getloadavg()[0]:.0f} on {os.cpu_count()} cores at the end), so the absolute figures "
        "are low and noisy; with 2 cores, the Ray Serve proxy, the clients and the replicas share "
        "the same CPUs, which bounds what a second replica can add. Raw numbers: "
        "`benchmarks/SERVING.json`.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cpus-per-replica", type=float, default=0.5)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "SERVING.md"))
    args = parser.parse_args(argv)
    results = []
    for n in args.replicas:
        r = serve_and_measure(n, args.requests, args.clients, args.cpus_per_replica)
        print(json.dumps(r), flush=True)
        results.append(r)
    with open(args.out, "w") as f:
        f.write(markdown(results, args))
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
