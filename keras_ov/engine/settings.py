"""keras-ov's settings: every environment variable it reads, in one place.

* ``KERAS_OV_DEVICE`` (``CPU``), ``KERAS_OV_PRECISION`` (``f32``; ``bf16``/``f16``
  ask for less), ``KERAS_OV_THREADS`` (0: the plugin's choice) and
  ``KERAS_OV_PERFORMANCE_HINT`` (``LATENCY``/``THROUGHPUT``) are ``config``'s
  fields: part of every compiled-model cache key, and changeable at run time
  (``config.device = ...``, ``set_precision(...)``).
* ``KERAS_OV_CACHE_DIR``: OpenVINO's persistent compile cache, set on ``core()``.
* ``KERAS_OV_CACHE_SIZE`` / ``KERAS_OV_CACHE_MB``: the compiled-model cache's
  bounds (``CACHE_SIZE``, ``CACHE_BYTES``; read once, at import).
"""

import os

import openvino as ov

_core = None


def core() -> ov.Core:
    global _core
    if _core is None:
        _core = ov.Core()
        cache_dir = os.environ.get("KERAS_OV_CACHE_DIR")
        if cache_dir:
            _core.set_property({"CACHE_DIR": cache_dir})
    return _core


class Config:
    """Execution settings that are part of every cache key."""

    def __init__(self) -> None:
        self.device: str = os.environ.get("KERAS_OV_DEVICE", "CPU")
        self.precision: str = os.environ.get("KERAS_OV_PRECISION", "f32")
        self.num_threads: int = int(os.environ.get("KERAS_OV_THREADS", "0"))
        self.hint: str = os.environ.get("KERAS_OV_PERFORMANCE_HINT", "LATENCY")

    def key(self) -> tuple[str, str, int, str]:
        return (self.device, self.precision, self.num_threads, self.hint)

    def compile_properties(self) -> dict[str, str | int]:
        props = {
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": self.hint,
        }
        if self.num_threads:
            props["INFERENCE_NUM_THREADS"] = self.num_threads
        return props


config: Config = Config()


def set_precision(precision: str) -> None:
    """Inference precision for float32 graphs: "f32" (default), "bf16", "f16"."""
    if precision not in ("f32", "bf16", "f16"):
        raise ValueError(f"keras-ov: precision must be 'f32', 'bf16' or 'f16', got {precision!r}")
    config.precision = precision


def _default_cache_mb() -> int:
    """An eighth of physical memory (at least 256 MB): an eager ResNet50 call at
    batch 8 needs 1.1 GB of inputs and outputs cached to run without
    recompiling (0.9 s a call, 8 s with 64 MB)."""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return max(256, total // 8 // 2**20)
    return 1024


# The compiled-model cache's bounds (``execute.cache``): entries and bytes of
# their inputs and outputs.
CACHE_SIZE: int = int(os.environ.get("KERAS_OV_CACHE_SIZE", "2048"))
CACHE_BYTES: int = int(os.environ.get("KERAS_OV_CACHE_MB") or _default_cache_mb()) * 2**20
