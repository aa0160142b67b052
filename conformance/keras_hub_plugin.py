"""pytest plugin for keras-hub's own tests (``python -m conformance.keras_hub``).

Loaded with ``-p conformance.keras_hub_plugin``, before keras-hub's
``conftest.py``:

* ``KERAS_OV_ACTIVATE=1``: imports keras_ov before anything imports keras, so
  the "openvino" backend is keras-ov (otherwise it is Keras's in-tree one).
* ``KERAS_HUB_DROP_OPENVINO_WHITELIST=1``: removes the skip that keras-hub's
  conftest puts on every test outside its OpenVINO whitelist, so that every
  backend runs the same tests.  No keras-hub file is edited.
"""

import os

import pytest

if os.environ.get("KERAS_OV_ACTIVATE") == "1":
    import keras_ov  # noqa: F401  (must precede every keras import)

# The reason keras-hub's conftest gives its whitelist skips.
WHITELIST_REASON = "OpenVINO: File/directory not in whitelist"


def _is_whitelist_skip(mark):
    return mark.name == "skipif" and mark.kwargs.get("reason") == WHITELIST_REASON


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if os.environ.get("KERAS_HUB_DROP_OPENVINO_WHITELIST") != "1":
        return
    for item in items:
        item.own_markers[:] = [m for m in item.own_markers if not _is_whitelist_skip(m)]
