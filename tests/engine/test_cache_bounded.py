"""The compiled-model cache is bounded: many shapes do not grow memory forever."""

import gc
import resource

import numpy as np
import pytest

from keras_ov.engine import execute
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import apply


def _scale(x):
    return g.out(g.ov_ops.multiply(x, g.const(2, g.dtype(x))))


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.fixture
def small_cache():
    saved = execute.cache
    execute.cache = execute.LRUCache(50)
    yield execute.cache
    execute.cache = saved


def _op(n):
    return apply("test.scale", _scale, [to_tensor(np.ones((n,), np.float32))])


def test_eviction_keeps_the_cache_at_its_bound(small_cache):
    for n in range(1, 301):
        _op(n)
    assert len(small_cache) == 50
    assert small_cache.stats()["evictions"] == 250
    gc.collect()
    rss_mid = _rss_mb()
    for n in range(301, 501):
        _op(n)
    gc.collect()
    assert len(small_cache) == 50
    # 200 more compiled-and-evicted models must not leave their memory behind.
    assert _rss_mb() - rss_mid < 40


def test_ten_thousand_ops_over_500_shapes_keep_rss_flat():
    saved = execute.cache
    execute.cache = execute.LRUCache(600)
    try:
        for n in range(1, 501):
            _op(n)
        gc.collect()
        rss_warm = _rss_mb()
        compiled = execute.counters["compiled"]
        for i in range(9500):
            _op(1 + i % 500)
        gc.collect()
        assert execute.counters["compiled"] == compiled  # all hits
        assert _rss_mb() - rss_warm < 20
    finally:
        execute.cache = saved
