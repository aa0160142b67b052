"""Run Keras's own test files from the installed wheel against keras-ov.

    python -m conformance.run ops/numpy_test.py ops/core_test.py
    python -m conformance.run --all          # every *_test.py in the wheel
    python -m conformance.run --all --from-results   # totals of the saved last runs

Each file runs in its own pytest process (a crash stays contained) and the
per-file pass/fail/skip/error counts are printed as a table, with a closing
``N passed, N failed, N skipped`` line.  Exit status is non-zero if any test
failed, errored or a file crashed.
"""

import argparse
import fnmatch
import glob
import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

from conformance.plugin import load_exclusions

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")


def keras_src():
    spec = importlib.util.find_spec("keras")
    return os.path.join(os.path.dirname(spec.origin), "src")


def count(xml_path):
    tree = ET.parse(xml_path)
    c = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0, "failures": []}
    for case in tree.iter("testcase"):
        tags = {child.tag for child in case}
        name = f"{case.get('classname')}::{case.get('name')}"
        if "failure" in tags:
            c["failed"] += 1
            c["failures"].append(name)
        elif "error" in tags:
            c["errors"] += 1
            c["failures"].append(name)
        elif "skipped" in tags:
            c["skipped"] += 1
        else:
            c["passed"] += 1
    return c


def run_file(rel, extra, timeout):
    path = os.path.join(keras_src(), rel)
    os.makedirs(RESULTS, exist_ok=True)
    xml = os.path.join(RESULTS, rel.replace("/", "__") + ".xml")
    if os.path.exists(xml):
        os.remove(xml)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        path,
        "-p",
        "conformance.plugin",
        "-q",
        "--no-header",
        "--tb=native",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        HERE,
        "-c",
        os.path.join(HERE, "pytest.ini"),
        f"--junitxml={xml}",
        *extra,
    ]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("KERAS_BACKEND", "openvino")
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        log = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as e:
        log = f"TIMEOUT after {timeout}s\n{e.stdout or ''}"
    with open(xml + ".log", "w") as f:
        f.write(log)
    if not os.path.exists(xml):
        return None, log
    return count(xml), log


def _saved(rel):
    xml = os.path.join(RESULTS, rel.replace("/", "__") + ".xml")
    if not os.path.exists(xml):
        return None, "no saved result"
    return count(xml), ""


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "files", nargs="*", help="test files relative to keras/src, e.g. ops/numpy_test.py"
    )
    ap.add_argument("--all", action="store_true", help="every *_test.py in the keras wheel")
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="test files run at once, each in its own pytest process (the whole wheel on 2 "
        "cores: -j 2 instead of `-- -n 2`, which starts workers per file)",
    )
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument(
        "--train",
        action="store_true",
        help="also run the requires_trainable_backend tests and the layer "
        "training checks (Keras skips them for openvino)",
    )
    ap.add_argument(
        "--from-results",
        action="store_true",
        help="run nothing: total the saved results of the last runs",
    )
    ap.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    argv = list(sys.argv[1:] if argv is None else argv)
    tail = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    args = ap.parse_args(argv)
    args.pytest_args = tail
    files = list(args.files)
    if args.all:
        src = keras_src()
        files = sorted(
            os.path.relpath(p, src)
            for p in glob.glob(os.path.join(src, "**", "*_test.py"), recursive=True)
        )
    extra = [a for a in args.pytest_args if a != "--"]
    if args.train:
        extra.append("--train")
    total = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    crashed = []
    print(f"{'file':60s} {'pass':>6s} {'fail':>6s} {'skip':>6s} {'error':>6s}")
    whole_files = [(pat, why) for pat, why in load_exclusions() if "::" not in pat]
    excluded_files = []

    def result(rel):
        if args.from_results:
            return _saved(rel)
        return run_file(rel, extra, args.timeout)

    runnable = []
    for rel in files:
        why = next(
            (w for pat, w in whole_files if fnmatch.fnmatchcase(f"keras/src/{rel}", pat)), None
        )
        if why is not None:  # cannot even be imported here (see excluded.txt)
            excluded_files.append(rel)
            print(f"{rel:60s} EXCLUDED: {why[:100]}")
        else:
            runnable.append(rel)
    if args.jobs > 1 and not args.from_results:  # the biggest first: none is left to run alone
        runnable.sort(key=lambda rel: -os.path.getsize(os.path.join(keras_src(), rel)))
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        # map() yields in file order, each result as soon as it is there
        for rel, (c, log) in zip(runnable, pool.map(result, runnable)):
            if c is None:
                crashed.append(rel)
                tail = log.strip().splitlines()[-3:]
                print(f"{rel:60s} CRASHED: {' / '.join(tail)[:200]}")
                continue
            for k in total:
                total[k] += c[k]
            print(
                f"{rel:60s} {c['passed']:6d} {c['failed']:6d} {c['skipped']:6d} {c['errors']:6d}",
                flush=True,
            )
            if args.show_failures:
                for name in c["failures"]:
                    print(f"    FAILED {name}")
    print(f"crashed files: {len(crashed)} {' '.join(crashed)}")
    if excluded_files:
        print(f"excluded files: {len(excluded_files)} {' '.join(excluded_files)}")
    print(
        f"conformance: {total['passed']} passed, {total['failed'] + total['errors']} failed, {total['skipped']} skipped"
    )
    return 1 if (total["failed"] or total["errors"] or crashed) else 0


if __name__ == "__main__":
    sys.exit(main())
