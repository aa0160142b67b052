import keras_ov  # noqa: F401  (activate before keras is imported)
