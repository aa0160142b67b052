"""Make stock Keras load keras-ov as its ``openvino`` backend.

Keras imports ``keras.src.backend.openvino`` (and ``.core``, ``.numpy``,
``.layer``, ``.trainer``, ...) when the backend is ``openvino``.  A meta-path
finder answers those imports with the ``keras_ov.backend`` modules, so no file
of the installed keras is touched.  The same finder routes Keras's
``export_openvino`` (``model.export(format="openvino")``) to
``keras_ov.backend.export`` while the backend is ``openvino``.
"""

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys

KERAS_PREFIX = "keras.src.backend.openvino"
OUR_PREFIX = "keras_ov.backend"
KERAS_EXPORT = "keras.src.export.openvino"
SUPPORTED_KERAS = ((3, 15), (3, 16))  # [lowest, first unsupported)


class KerasOVActivationError(ImportError):
    pass


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


class _ExportLoader(importlib.abc.Loader):
    """Runs Keras's ``export/openvino.py``, then wraps its ``export_openvino``."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        keras_export = module.export_openvino

        @functools.wraps(keras_export)
        def export_openvino(model, filepath, verbose=None, input_signature=None, **kwargs):
            # lazy: runs inside Keras's export; keras loads keras_ov.backend
            from keras.src import backend

            if backend.backend() != "openvino":
                return keras_export(model, filepath, verbose, input_signature, **kwargs)
            # lazy: loads keras; _activation runs before keras is imported
            from keras_ov.backend.export import export_openvino as ours

            return ours(model, filepath, verbose, input_signature, **kwargs)

        module.export_openvino = export_openvino


class _BackendFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == KERAS_EXPORT:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _ExportLoader(spec.loader)
            return spec
        if fullname != KERAS_PREFIX and not fullname.startswith(KERAS_PREFIX + "."):
            return None
        ours = OUR_PREFIX + fullname[len(KERAS_PREFIX) :]
        if importlib.util.find_spec(ours) is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(ours), is_package=(fullname == KERAS_PREFIX)
        )


def _version_tuple(text):
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_keras_version(version: str | None = None) -> str:
    if version is None:
        try:
            version = importlib.metadata.version("keras")
        except importlib.metadata.PackageNotFoundError:
            raise KerasOVActivationError(
                "keras-ov needs the `keras` package: pip install 'keras>=3.15,<3.16'"
            ) from None
    low, high = SUPPORTED_KERAS
    if not low <= _version_tuple(version) < high:
        raise KerasOVActivationError(
            f"keras-ov supports keras {low[0]}.{low[1]}.x, found keras {version}; "
            f"install a supported version: pip install 'keras>={low[0]}.{low[1]},<{high[0]}.{high[1]}'"
        )
    return version


def _installed():
    return any(isinstance(f, _BackendFinder) for f in sys.meta_path)


def activate() -> None:
    if _installed():
        return
    if "keras" in sys.modules:
        raise KerasOVActivationError(
            "keras was imported before keras_ov, so Keras has already chosen its "
            "backend; `import keras_ov` before `import keras` (or run in a fresh "
            "process)"
        )
    check_keras_version()
    os.environ.setdefault("KERAS_BACKEND", "openvino")
    sys.meta_path.insert(0, _BackendFinder())
