"""Run keras-hub's own unit tests against keras-ov (or JAX, or Keras's in-tree backend).

    python -m conformance.keras_hub                       # the default subset, keras-ov
    python -m conformance.keras_hub models/gpt2 samplers  # some directories
    python -m conformance.keras_hub --backend jax models/gpt2
    python -m conformance.keras_hub --keep-whitelist      # keras-hub's own OpenVINO CI rules

keras-hub's tests come from a source checkout at a recorded commit, never
edited: ``--source DIR`` names a checkout, otherwise the commit ``--commit``
(default ``KERAS_HUB_COMMIT``) is exported from the git directory ``--repo``
(default: the mirror that the session's ``fetch`` tool made) into
``conformance/results/keras_hub/src-<commit>``.  The tests import
``keras_hub`` from that checkout.

keras-hub's ``conftest.py`` skips every test outside a whitelist of 50 paths
on the "openvino" backend.  The plugin ``conformance.keras_hub_plugin`` removes
those skips (unless ``--keep-whitelist``), so every backend runs the same
tests.  Its ``pytest_configure`` also turns ``fit``/``train_on_batch`` into a
skip on "openvino": ``--fit run`` (the default on keras-ov, which trains) undoes
that, ``--fit skip`` (the default on the in-tree backend, whose trainer raises
``NotImplementedError``) keeps it.

``--order reverse`` or ``--order random --seed N`` reverses or shuffles the
tests within each file (files keep their order); two runs with different
orders show state that leaks from one test into the next.

Each test file runs in its own pytest process (``--per dir``: each directory,
which saves the ~10 s start-up per file on a loaded machine; a directory whose
process dies is re-run one file per process).  A file whose process dies
(a signal, or no JUnit report) is re-run one test per process, and each test
that still dies is counted as *crashed*.  Prints per-file counts and a closing
``N passed, N failed, N skipped, N crashed`` line; results and logs go to
``conformance/results/keras_hub/<backend>[-<order>]/``, with every test's status
in ``summary.json`` there (``summary-partial.json`` for a run of some paths).
``--compare jax keras-ov`` lists the tests that pass in one run and not in the
other.

Installing keras-hub: its wheel requires tensorflow-text, which pulls the full
``tensorflow`` next to tensorflow-cpu.  Install without dependencies, then its
real needs:

    pip install --no-deps keras-hub==0.32.0 tensorflow-text==2.21.1
    pip install kagglehub "sentencepiece<0.2.2" tokenizers regex rich

(sentencepiece 0.2.2 and later dropped ``SentencePieceProcessor.Init``, which
keras-hub 0.32.0's SentencePieceTokenizer calls: every Gemma, Llama, T5, ...
tokenizer test fails on every backend with it.)
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results", "keras_hub")

# The commit issue #10's tables were measured at.
KERAS_HUB_COMMIT = "71453d08f59edc90d276e999319fc51e61cbf82c"
DEFAULT_REPO = "/work/.mirror/keras-team+keras-hub/repo"

MODELS = [
    "bert",
    "gpt2",
    "gemma",
    "gemma3",
    "llama",
    "mistral",
    "qwen",
    "t5",
    "whisper",
    "sam",
    "stable_diffusion_3",
    "vit",
    "resnet",
    "mobilenet",
    "efficientnet",
    "deberta_v3",
]
SUBSET = [f"models/{m}" for m in MODELS] + ["layers", "samplers", "utils"]

BACKENDS = {
    # name -> (KERAS_BACKEND, activate keras-ov)
    "keras-ov": ("openvino", True),
    "in-tree": ("openvino", False),
    "jax": ("jax", False),
}


def export_source(repo, commit):
    """A checkout of ``commit`` from the git directory ``repo`` (made once)."""
    dest = os.path.join(RESULTS, f"src-{commit[:12]}")
    if os.path.exists(os.path.join(dest, "conftest.py")):
        return dest
    os.makedirs(dest, exist_ok=True)
    archive = subprocess.run(
        ["git", f"--git-dir={repo}", "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return dest


def _empty():
    return {"passed": 0, "failed": 0, "skipped": 0, "failures": [], "status": {}}


def count(xml_path):
    c = _empty()
    for case in ET.parse(xml_path).iter("testcase"):
        tags = {child.tag for child in case}
        name = f"{case.get('classname')}::{case.get('name')}"
        if tags & {"failure", "error"}:
            status = "failed"
            c["failures"].append(name)
        elif "skipped" in tags:
            status = "skipped"
        else:
            status = "passed"
        c[status] += 1
        c["status"][name] = status
    return c


def _add(total, one):
    for key in ("passed", "failed", "skipped"):
        total[key] += one[key]
    total["failures"] += one["failures"]
    total["status"].update(one["status"])


class Runner:
    def __init__(
        self, source, backend, keep_whitelist, extra, timeout, fit="skip", order="file", seed=0
    ):
        self.source = source
        self.backend = backend
        self.extra = extra
        self.timeout = timeout
        suffix = {"file": "", "reverse": "-reverse", "random": f"-random{seed}"}[order]
        self.out = os.path.join(RESULTS, backend + suffix)
        os.makedirs(self.out, exist_ok=True)
        keras_backend, activate = BACKENDS[backend]
        self.env = dict(
            os.environ,
            KERAS_BACKEND=keras_backend,
            KERAS_HUB_DROP_OPENVINO_WHITELIST="0" if keep_whitelist else "1",
            KERAS_HUB_ALLOW_FIT="1" if fit == "run" else "0",
            KERAS_HUB_ORDER=order,
            KERAS_HUB_SEED=str(seed),
            KERAS_OV_ACTIVATE="1" if activate else "0",
            PYTHONPATH=os.pathsep.join([source, ROOT]),
            TF_CPP_MIN_LOG_LEVEL="3",
        )

    def _pytest(self, target, xml):
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *([target] if isinstance(target, str) else target),
            "-p",
            "conformance.keras_hub_plugin",
            "-q",
            "--no-header",
            "--tb=short",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            self.source,
            f"--junitxml={xml}",
            *self.extra,
        ]
        if os.path.exists(xml):
            os.remove(xml)
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.source,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
            log, code = proc.stdout + proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            log, code = f"TIMEOUT after {self.timeout}s\n{e.stdout or ''}", -9
        with open(xml + ".log", "w") as f:
            f.write(log)
        crashed = code < 0 or not os.path.exists(xml)
        return (None if crashed else count(xml)), log

    def _collect(self, rel):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                rel,
                "--collect-only",
                "-o",
                "addopts=",
                "-q",
                "-p",
                "conformance.keras_hub_plugin",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                self.source,
            ],
            cwd=self.source,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return [line.strip() for line in proc.stdout.splitlines() if "::" in line]

    def run_file(self, rel):
        """``(counts, crashed test ids)`` of one test file."""
        xml = os.path.join(self.out, rel.replace("/", "__") + ".xml")
        c, _ = self._pytest(rel, xml)
        if c is not None:
            return c, []
        total, crashed = _empty(), []
        for k, test in enumerate(self._collect(rel)):
            one, _ = self._pytest(test, f"{xml}.{k}.xml")
            if one is None:
                crashed.append(test)
                continue
            _add(total, one)
        return total, crashed

    def run_group(self, files):
        """``(counts, crashed test ids)`` of test files run in one pytest process.

        A process that dies is re-run one file per process (then one test per
        process), so a crash costs time, never other tests' results.
        """
        if len(files) == 1:
            return self.run_file(files[0])
        xml = os.path.join(self.out, os.path.dirname(files[0]).replace("/", "__") + ".dir.xml")
        c, _ = self._pytest(files, xml)
        if c is not None:
            return c, []
        total, crashed = _empty(), []
        for rel in files:
            one, dead = self.run_file(rel)
            _add(total, one)
            crashed += dead
        return total, crashed


def test_files(source, paths):
    root = os.path.join(source, "keras_hub", "src")
    files = []
    for p in paths:
        full = os.path.join(root, p)
        if full.endswith(".py"):
            files.append(full)
        else:
            files += glob.glob(os.path.join(full, "**", "*_test.py"), recursive=True)
    return sorted(os.path.relpath(f, source) for f in files)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "paths", nargs="*", help="directories or files under keras_hub/src (default: the subset)"
    )
    ap.add_argument("--backend", choices=sorted(BACKENDS), default="keras-ov")
    ap.add_argument("--source", help="a keras-hub source checkout (default: exported from --repo)")
    ap.add_argument("--repo", default=DEFAULT_REPO, help="a keras-hub git directory")
    ap.add_argument("--commit", default=KERAS_HUB_COMMIT)
    ap.add_argument(
        "--keep-whitelist",
        action="store_true",
        help="keep keras-hub's OpenVINO whitelist (its CI's rules)",
    )
    ap.add_argument(
        "--fit",
        choices=["run", "skip"],
        help="run the tests that call fit/train_on_batch on 'openvino', or keep keras-hub's "
        "skip (default: run on keras-ov, skip on in-tree)",
    )
    ap.add_argument(
        "--order",
        choices=["file", "reverse", "random"],
        default="file",
        help="the order of the tests within each file",
    )
    ap.add_argument("--seed", type=int, default=0, help="the seed of --order random")
    ap.add_argument(
        "--per",
        choices=["file", "dir"],
        default="file",
        help="one pytest process per test file, or per directory (saves the ~10 s "
        "start-up of each file; a dying process is re-run per file)",
    )
    ap.add_argument("-j", "--jobs", type=int, default=1, help="pytest processes run at once")
    ap.add_argument(
        "--compare",
        nargs=2,
        metavar=("BASE", "OTHER"),
        help="compare two finished runs (results directories under "
        "conformance/results/keras_hub, e.g. jax keras-ov): the tests that pass on "
        "BASE and not on OTHER",
    )
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per pytest process")
    ap.add_argument("--show-failures", action="store_true")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = ap.parse_args(argv[: argv.index("--")] if "--" in argv else argv)

    if args.compare:
        return compare(*args.compare)
    if args.source:
        source = os.path.abspath(args.source)
        commit = (
            subprocess.run(
                ["git", "-C", source, "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or "unknown (not a git checkout)"
        )
    else:
        source, commit = export_source(args.repo, args.commit), args.commit
    files = test_files(source, args.paths or SUBSET)
    fit = args.fit or ("run" if args.backend == "keras-ov" else "skip")
    runner = Runner(
        source, args.backend, args.keep_whitelist, extra, args.timeout, fit, args.order, args.seed
    )
    order = f"{args.order} (seed {args.seed})" if args.order == "random" else args.order
    print(
        f"keras-hub {commit} at {source}; backend {args.backend}; "
        f"whitelist {'kept' if args.keep_whitelist else 'dropped'}; fit {fit}; order {order}; "
        f"{len(files)} files",
        flush=True,
    )
    if args.per == "dir":
        groups = {}
        for rel in files:
            groups.setdefault(os.path.dirname(rel), []).append(rel)
        units = list(groups.values())
    else:
        units = [[rel] for rel in files]
    start = time.time()
    total = _empty()
    all_crashed = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for unit, (c, crashed) in zip(units, pool.map(runner.run_group, units)):
            _add(total, c)
            all_crashed += crashed
            short = unit[0].replace("keras_hub/src/", "")
            if len(unit) > 1:
                short = os.path.dirname(short) + f"/ ({len(unit)} files)"
            print(
                f"{short:70s} {c['passed']:5d} pass {c['failed']:4d} fail "
                f"{c['skipped']:4d} skip {len(crashed):3d} crash",
                flush=True,
            )
            if args.show_failures:
                for name in c["failures"]:
                    print(f"    FAILED {name}")
                for name in crashed:
                    print(f"    CRASHED {name}")
    wall = (time.time() - start) / 60
    for name in all_crashed:
        print(f"crashed: {name}")
        total["status"][_junit_name(name)] = "crashed"
    print(
        f"keras-hub ({args.backend}): {total['passed']} passed, {total['failed']} failed, "
        f"{total['skipped']} skipped, {len(all_crashed)} crashed in {wall:.1f} min"
    )
    summary = {
        "commit": commit,
        "backend": args.backend,
        "fit": fit,
        "order": args.order,
        "seed": args.seed,
        "per": args.per,
        "jobs": args.jobs,
        "paths": args.paths or SUBSET,
        "passed": total["passed"],
        "failed": total["failed"],
        "skipped": total["skipped"],
        "crashed": len(all_crashed),
        "wall_min": round(wall, 1),
        "status": total["status"],
    }
    name = "summary.json" if not args.paths else "summary-partial.json"
    with open(os.path.join(runner.out, name), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    return 1 if (total["failed"] or all_crashed) else 0


def _junit_name(nodeid):
    """A pytest node id as the JUnit report names it (``pkg.mod.Class::test``)."""
    path, _, rest = nodeid.partition("::")
    module = path[: -len(".py")].replace("/", ".")
    cls, _, test = rest.rpartition("::")
    return f"{module}.{cls}::{test}" if cls else f"{module}::{test}"


def compare(base, other):
    """Print the tests that pass in run ``base`` and not in run ``other``."""

    def load(run):
        with open(os.path.join(RESULTS, run, "summary.json")) as f:
            return json.load(f)

    a, b = load(base), load(other)
    for run, s in ((base, a), (other, b)):
        print(
            f"{run}: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, "
            f"{s['crashed']} crashed, {s['wall_min']} min (order {s['order']}, fit {s['fit']})"
        )
    worse = sorted(
        t
        for t, st in a["status"].items()
        if st == "passed" and b["status"].get(t, "missing") != "passed"
    )
    better = sorted(
        t
        for t, st in b["status"].items()
        if st == "passed" and a["status"].get(t, "missing") != "passed"
    )
    print(f"\npass on {base}, not on {other}: {len(worse)}")
    for t in worse:
        print(f"  {b['status'].get(t, 'missing'):8s} {t}")
    print(f"\npass on {other}, not on {base}: {len(better)}")
    for t in better:
        print(f"  {a['status'].get(t, 'missing'):8s} {t}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
