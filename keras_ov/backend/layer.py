"""Backend hook for ``keras.layers.Layer``."""


class OpenvinoLayer:
    pass
