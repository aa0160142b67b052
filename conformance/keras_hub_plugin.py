"""pytest plugin for keras-hub's own tests (``python -m conformance.keras_hub``).

Loaded with ``-p conformance.keras_hub_plugin``, before keras-hub's
``conftest.py``:

* ``KERAS_OV_ACTIVATE=1``: imports keras_ov before anything imports keras, so
  the "openvino" backend is keras-ov (otherwise it is Keras's in-tree one).
* ``KERAS_HUB_DROP_OPENVINO_WHITELIST=1``: removes the skip that keras-hub's
  conftest puts on every test outside its OpenVINO whitelist, so that every
  backend runs the same tests.  No keras-hub file is edited.
* ``KERAS_HUB_ALLOW_FIT=1``: undoes keras-hub's ``pytest_configure``, which on
  the "openvino" backend replaces ``keras.Model.fit`` and ``train_on_batch``
  by a ``pytest.skip`` (keras-ov trains, so those tests run).
* ``KERAS_HUB_ORDER=reverse|random`` (``KERAS_HUB_SEED=N`` for ``random``):
  reverses or shuffles the tests within each file (files keep their order), so
  that state leaking from one test into the next shows up as a difference
  between two runs.
"""

import os
import random

import pytest

if os.environ.get("KERAS_OV_ACTIVATE") == "1":
    import keras_ov  # noqa: F401  (must precede every keras import)

import keras  # noqa: E402  (after keras_ov)

# The reason keras-hub's conftest gives its whitelist skips.
WHITELIST_REASON = "OpenVINO: File/directory not in whitelist"

# keras-hub's conftest replaces these on "openvino"; kept to put them back.
_TRAINING = {name: getattr(keras.Model, name) for name in ("fit", "train_on_batch")}


def _is_whitelist_skip(mark):
    return mark.name == "skipif" and mark.kwargs.get("reason") == WHITELIST_REASON


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # trylast: after the rootdir conftest's pytest_configure has patched them.
    if os.environ.get("KERAS_HUB_ALLOW_FIT") == "1":
        for name, method in _TRAINING.items():
            setattr(keras.Model, name, method)


def _reorder(items, order, seed):
    """``items`` reordered within each file (files in their first-seen order)."""
    by_file = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::")[0], []).append(item)
    out = []
    for path, group in by_file.items():
        if order == "reverse":
            group = group[::-1]
        elif order == "random":
            # One stream per file: a file's order does not depend on which
            # other files were collected with it.
            group = list(group)
            random.Random(f"{seed}:{path}").shuffle(group)
        else:
            raise ValueError(f"KERAS_HUB_ORDER: expected 'reverse' or 'random', got {order!r}")
        out += group
    return out


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if os.environ.get("KERAS_HUB_DROP_OPENVINO_WHITELIST") == "1":
        for item in items:
            item.own_markers[:] = [m for m in item.own_markers if not _is_whitelist_skip(m)]
    order = os.environ.get("KERAS_HUB_ORDER", "")
    if order and order != "file":
        items[:] = _reorder(items, order, int(os.environ.get("KERAS_HUB_SEED", "0")))
