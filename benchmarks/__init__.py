"""Benchmarks: keras-ov against the in-tree OpenVINO backend, JAX and raw OpenVINO."""
