"""Helpers shared by the ``keras-ov`` commands (``cli``, ``serve``, ``demo``).

User errors are ``CLIError``: the command prints them as one line and exits 1.
"""

import os
import zipfile


class CLIError(Exception):
    """A user error: reported as one line, exit status 1."""


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _existing(path):
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path}")
    if os.path.isdir(path):
        raise CLIError(f"{path} is a directory, not a file")
    return path


# Errors Keras's loader raises for files that are not (loadable) Keras models.
_LOAD_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    OSError,
    zipfile.BadZipFile,
    ImportError,
    AttributeError,
)


def load_keras_model(path):
    import keras  # lazy: importing keras takes seconds; `--help` should not

    _existing(path)
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        raise CLIError(f"cannot load {path} as a Keras model: it is not a .keras (zip) archive")
    try:
        return keras.saving.load_model(path, compile=False)
    except _LOAD_ERRORS as e:
        raise CLIError(f"cannot load {path} as a Keras model: {_first_line(e)}") from None
