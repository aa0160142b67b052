"""keras-ov's version (here so that every layer can read it)."""

VERSION = "0.1.0"
