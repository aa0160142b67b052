"""Backend hook for ``keras.layers.Layer``.

Keras mixes this class into every layer.  keras-ov keeps no per-layer backend
state: variables hold concrete OVTensors, and traced functions (compiled
``predict``/``evaluate``, export) read them as Constants or, when a step
assigns them, as model inputs -- see ``backend.trainer``.
"""


class OpenvinoLayer:
    pass
