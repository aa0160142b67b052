"""pytest plugin that runs Keras's own test files, unmodified, against keras-ov.

Loaded with ``-p conformance.plugin``: it activates keras-ov before anything
imports keras, registers the markers Keras's test files use, applies Keras's
own marker rules, and skips the tests listed in ``excluded.txt`` -- each with
the reason written on its line.
"""

import fnmatch
import os
import sys
import types

import pytest

import keras_ov  # noqa: F401  (must precede every keras import)


def _skip_if_backend(given_backend, reason):
    """Keras's ``conftest.skip_if_backend``, but the tests it skips for
    "openvino" run: their reasons (no ``eye``, ``arange``, ``qr``,
    ``floor_divide``, ``fit``, dynamic dims, ...) are limitations of Keras's
    in-tree backend, which keras-ov does not share.  Any such test keras-ov
    cannot pass is listed in ``excluded.txt`` with its reason."""
    from keras.src.backend import backend

    if given_backend == "openvino":
        return pytest.mark.keras_ov_runs(reason=f"Keras skips it for openvino: {reason}")
    return pytest.mark.skipif(backend() == given_backend, reason=reason)


# Some Keras test files do ``from conftest import skip_if_backend``: the helper
# lives in Keras's repository-root conftest.py, which the wheel does not ship.
sys.modules.setdefault("conftest", types.ModuleType("conftest"))
if not hasattr(sys.modules["conftest"], "skip_if_backend"):
    sys.modules["conftest"].skip_if_backend = _skip_if_backend

HERE = os.path.dirname(os.path.abspath(__file__))
EXCLUDED = os.path.join(HERE, "excluded.txt")


def load_exclusions(path=EXCLUDED):
    """``pattern | reason`` lines; a line without a reason is an error."""
    entries = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, sep, reason = line.partition("|")
            if not sep or not reason.strip():
                raise ValueError(f"{path}:{n}: every exclusion needs '| reason': {line!r}")
            entries.append((pattern.strip(), reason.strip()))
    return entries


def keras_test_id(nodeid, path=None):
    """The node id from ``keras/src/...`` on, wherever the wheel is installed.

    With ``--rootdir`` outside the wheel the node id lacks the file part
    (``::Class::test``); it is then rebuilt from the item's ``path``.
    """
    i = nodeid.find("keras/src/")
    if i >= 0:
        return nodeid[i:]
    if path is not None:
        p = str(path).replace(os.sep, "/")
        j = p.find("keras/src/")
        if j >= 0:
            k = nodeid.find("::")
            return p[j:] + (nodeid[k:] if k >= 0 else "")
    return nodeid


def pytest_addoption(parser):
    parser.addoption(
        "--train",
        action="store_true",
        help="run Keras's requires_trainable_backend tests and run_layer_test's "
        "training check against keras-ov (Keras skips both for openvino)",
    )


class _TrainableName(str):
    """The backend name "openvino" that is not equal to "openvino".

    ``keras/src/testing/test_case.py`` skips ``run_layer_test``'s training
    step with ``backend.backend() not in ("numpy", "openvino")``, its only
    comparison with "openvino"; every other comparison there (with
    "tensorflow", "jax", "torch") stays False, and the name still prints as
    "openvino".
    """

    def __eq__(self, other):
        return False if other == "openvino" else str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class _NotInTreeBackend(types.ModuleType):
    """``keras.src.backend`` as test_case.py sees it under ``--train`` (and the
    modules of ``RUN_OPENVINO_SKIPS_IN_BODY``): its name is not "openvino"."""

    def __init__(self, real):
        super().__init__(real.__name__)
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def backend(self):
        return _TrainableName(self._real.backend())


def _enable_layer_training_check():
    from keras.src.testing import test_case

    if not isinstance(test_case.backend, _NotInTreeBackend):
        test_case.backend = _NotInTreeBackend(test_case.backend)


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_trainable_backend: needs fit()")
    config.addinivalue_line("markers", "multi_device: needs several devices")
    config.addinivalue_line(
        "markers",
        "keras_ov_runs: Keras skips it for its in-tree openvino backend; keras-ov runs it",
    )
    if config.getoption("--train", default=False):
        _enable_layer_training_check()


# skipif markers Keras puts on tests for its in-tree "openvino" backend whose
# reason keras-ov does not share: the tests run (``_run_openvino_skips``).
RUN_OPENVINO_SKIPS = (
    ("do not implement fit", "keras-ov trains"),
    ("does not support `fit`", "keras-ov trains"),
    ("Key/Value broadcasting is not supported", "keras-ov's attention broadcasts key/value heads"),
    (
        "OpenVINO and JAX TPU don't support this",
        "keras-ov's argmax/argmin order -0.0 below denormals",
    ),
    ("remat not supported on OpenVino", "keras-ov's remat runs the function (as numpy's would)"),
)


# Test modules whose every ``backend.backend() == "openvino"`` only skips a test
# (inside its body, where no marker can be removed) for something keras-ov has:
# the module's ``backend`` is wrapped so that comparison is False.
RUN_OPENVINO_SKIPS_IN_BODY = {
    "keras/src/ops/image_test.py": "sobel_edges, bicubic and bfloat16 patches",
    "keras/src/layers/preprocessing/image_preprocessing/resizing_test.py": "lanczos",
}


def _run_openvino_skips(item):
    """Drop from ``item`` and its parents the skipif markers of ``RUN_OPENVINO_SKIPS``."""

    def shared(mark):
        reason = str(mark.kwargs.get("reason", ""))
        return mark.name == "skipif" and any(text in reason for text, _ in RUN_OPENVINO_SKIPS)

    for node in item.listchain():
        marks = getattr(node, "own_markers", None)
        if marks and any(shared(m) for m in marks):
            node.own_markers = [m for m in marks if not shared(m)]
    module = getattr(item, "module", None)
    path = keras_test_id(item.nodeid, getattr(item, "path", None)).split("::")[0]
    if module is not None and path in RUN_OPENVINO_SKIPS_IN_BODY:
        if not isinstance(module.backend, _NotInTreeBackend):
            module.backend = _NotInTreeBackend(module.backend)


def pytest_collection_modifyitems(config, items):
    exclusions = load_exclusions()
    train = config.getoption("--train", default=False)
    trainable = pytest.mark.skip(
        reason="Keras's rule: requires_trainable_backend tests are skipped for the "
        "openvino backend (run with --train to run them against keras-ov's fit)"
    )
    multi = pytest.mark.skip(reason="Keras's rule: needs multiple devices")
    for item in items:
        _run_openvino_skips(item)
        if "requires_trainable_backend" in item.keywords and not train:
            item.add_marker(trainable)
        if "multi_device" in item.keywords:
            item.add_marker(multi)
        tid = keras_test_id(item.nodeid, getattr(item, "path", None))
        for pattern, reason in exclusions:
            if fnmatch.fnmatchcase(tid, pattern):
                item.add_marker(pytest.mark.skip(reason=f"keras-ov excluded: {reason}"))
                break
