"""``keras-ov serve`` on Ray Serve, on loopback only, under a bounded load.

Skipped unless Ray Serve is installed (``pip install 'keras-ov[serve]'``).
The JSON parsing and checks are tested without Ray as well.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import keras
from keras import layers

from keras_ov import cli

REQUESTS = 2000
CLIENTS = 8


def test_missing_ray_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    monkeypatch.delitem(sys.modules, "keras_ov.serve", raising=False)
    assert cli.main(["serve", "model.keras"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'keras-ov[serve]'" in err[0]


def test_serve_starts_its_own_ray_unless_given_an_address(monkeypatch):
    # Two `keras-ov serve` on one machine: without --address the second one
    # attached to the first one's Ray and was killed with it.
    kserve = pytest.importorskip("keras_ov.serve", reason="Ray Serve is not installed")

    class Started(Exception):
        pass

    addresses = []

    def init(address=None, **kwargs):
        addresses.append(address)
        raise Started

    monkeypatch.setattr(kserve.ray, "init", init)
    monkeypatch.setattr(kserve.signal, "signal", lambda *args: None)
    monkeypatch.setattr(kserve, "_existing", lambda path: None)
    monkeypatch.setattr(kserve, "_ir_path", lambda model, workdir: "model.xml")
    for extra in ([], ["--address", "auto"]):
        with pytest.raises(Started):
            kserve.run(cli._parser().parse_args(["serve", "model.keras", *extra]))
    assert addresses == ["local", "auto"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(conn, path, body):
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


MALFORMED = [
    b"{not json",
    json.dumps({"input": [[0.0] * 6]}).encode(),  # no "inputs"
    json.dumps({"inputs": [[0.0] * 5]}).encode(),  # wrong shape
    json.dumps({"inputs": [["a"] * 6]}).encode(),  # wrong dtype
    json.dumps({"inputs": [[0.0] * 6, [0.0] * 3]}).encode(),  # ragged
    json.dumps([1, 2, 3]).encode(),  # not an object
]


def test_serve_two_replicas_under_load(tmp_path):
    pytest.importorskip("ray.serve", reason="Ray Serve is not installed (keras-ov[serve])")
    inp = keras.Input((6,), name="features")
    h = layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, layers.Dense(3, name="scores")(h))
    src = tmp_path / "scorer.keras"
    model.save(src)
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
            str(src),
            "--replicas",
            "2",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--cpus-per-replica",
            "0.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 240
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status, _ = _post(conn, "/scorer", json.dumps({"inputs": pool[0].tolist()}))
                conn.close()
                if status == 200:
                    ready = True
                    break
            except OSError:
                pass
            time.sleep(1)
        if not ready:
            code = proc.poll()
            why = "still starting after 240 s" if code is None else proc.stdout.read()[-3000:]
            raise AssertionError(f"server did not come up (exit status {code}): {why}")

        stats = {"wrong": 0, "dropped": 0, "bad_not_4xx": 0, "good": 0, "bad": 0}
        latencies = []
        lock = threading.Lock()

        def client(k):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local = []
            for i in range(k, REQUESTS, CLIENTS):
                malformed = i % 10 == 3
                if malformed:
                    body = MALFORMED[i % len(MALFORMED)]
                else:
                    j = i % len(pool)
                    body = json.dumps({"inputs": pool[j].tolist()}).encode()
                t = time.perf_counter()
                try:
                    status, payload = _post(conn, "/scorer", body)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    with lock:
                        stats["dropped"] += 1
                    continue
                local.append(1000 * (time.perf_counter() - t))
                with lock:
                    if malformed:
                        stats["bad"] += 1
                        error = json.loads(payload).get("error", "") if status < 500 else ""
                        if not (400 <= status < 500) or not error or "\n" in error:
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
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.perf_counter() - t0
        p50, p99 = np.percentile(latencies, [50, 99])
        print(
            f"\nserve, 2 replicas, {CLIENTS} clients: {stats['good'] + stats['bad']} requests "
            f"({stats['bad']} malformed) in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} req/s; "
            f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; {stats}"
        )
        assert stats["good"] + stats["bad"] == REQUESTS
        assert stats["wrong"] == 0 and stats["dropped"] == 0 and stats["bad_not_4xx"] == 0
        assert stats["bad"] >= REQUESTS // 10
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
