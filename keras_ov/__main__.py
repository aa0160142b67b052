"""``python -m keras_ov``: the ``keras-ov`` command."""

import sys

from keras_ov.cli import main

if __name__ == "__main__":
    sys.exit(main())
