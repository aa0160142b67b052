"""The docs' code runs: docs/tutorial.md's ```python blocks, in order, in one
namespace, in a temporary directory (the serve step is skipped, with its reason,
without Ray Serve); every ``keras-ov`` command the docs name exists."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")


def python_blocks(path):
    """``[(heading, code)]`` of the ```python blocks of a Markdown file."""
    text = open(path, encoding="utf-8").read()
    blocks, heading = [], None
    for m in re.finditer(r"^(#+ [^\n]*)$|^```python\n(.*?)^```", text, re.M | re.S):
        if m.group(1):
            heading = m.group(1).lstrip("# ")
        else:
            blocks.append((heading, m.group(2)))
    return blocks


def test_tutorial_has_every_step():
    headings = [h for h, _ in python_blocks(TUTORIAL)]
    for step in ("Train", "Evaluate", "Quantize", "Export", "Serve"):
        assert any(step in h for h in headings), step


def _skip_reason(heading):
    if "Quantize" in heading and importlib.util.find_spec("nncf") is None:
        return "NNCF is not installed (pip install -e '.[nncf]')"
    if "Serve" in heading and importlib.util.find_spec("ray") is None:
        return "Ray Serve is not installed (pip install -e '.[serve]')"
    return None


def test_tutorial_runs(tmp_path):
    pytest.importorskip("sklearn", reason="the tutorial's data are scikit-learn's digits")
    # One fresh process: the tutorial starts with `import keras_ov` before keras.
    script = [
        "import os, sys",
        f"sys.path.insert(0, {ROOT!r})",
        f"os.chdir({str(tmp_path)!r})",
    ]
    skipped = []
    blocks = python_blocks(TUTORIAL)
    assert len(blocks) >= 7
    for k, (heading, code) in enumerate(blocks):
        why = _skip_reason(heading)
        if why:
            skipped.append(f"{heading}: {why}")
            continue
        script.append(f"print('--- block {k}: {heading}', flush=True)")
        script.append(code)
    path = tmp_path / "tutorial.py"
    path.write_text("\n".join(script))
    env = dict(
        os.environ,
        RAY_USAGE_STATS_ENABLED="0",
        PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    env.pop("KERAS_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    if skipped:
        pytest.skip("ran every block but: " + "; ".join(skipped))


def test_commands_in_the_docs_exist():
    from keras_ov import cli

    commands = set(cli._parser()._subparsers._group_actions[0].choices)
    named = set()
    for name in ("README.md", "docs/cli.md", "docs/tutorial.md"):
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        # `keras-ov CMD` in backticks, or a shell line starting with it
        named.update(re.findall(r"(?:^|`|&& )keras-ov ([a-z]+)\b", text, re.M))
    unknown = named - commands
    assert not unknown, f"the docs name keras-ov commands that do not exist: {sorted(unknown)}"
