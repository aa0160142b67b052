"""The engine: compiled-model cache, precision, and exact wide-dtype execution."""

import numpy as np
import pytest

import keras

from keras_ov.engine import execute
from keras_ov.engine.execute import LRUCache, needs_reference
from keras_ov.ops import graph as g
from keras_ov.ops.coerce import to_tensor
from keras_ov.ops.registry import apply


def _add_one(x):
    return g.out(g.ov_ops.add(x, g.const(1, g.dtype(x))))


def run_add_one(array):
    return apply("test.add_one", _add_one, [to_tensor(array)]).numpy()


def test_lru_cache_is_bounded_and_counts():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1
    c.put("c", 3)  # evicts b, the least recently used
    assert c.get("b") is None
    assert c.get("c") == 3
    assert c.stats() == {
        "size": 2,
        "maxsize": 2,
        "bytes": 0,
        "maxbytes": None,
        "hits": 2,
        "misses": 1,
        "evictions": 1,
    }


def test_lru_cache_is_bounded_in_bytes():
    c = LRUCache(10, maxbytes=100)
    c.put("a", 1, 60)
    c.put("b", 2, 30)
    c.put("c", 3, 30)  # 120 bytes: a goes
    assert c.get("a") is None and c.stats()["bytes"] == 60
    c.put("huge", 4, 500)  # the newest stays even alone over budget
    assert len(c) == 1 and c.get("huge") == 4
    c.put("huge", 5, 10)  # replacing an entry replaces its size
    assert c.stats()["bytes"] == 10


def test_same_signature_never_compiles_twice():
    run_add_one(np.zeros((3, 5), np.float32))
    before = execute.counters["compiled"]
    hits = execute.cache.hits
    for _ in range(3):
        out = run_add_one(np.random.rand(3, 5).astype(np.float32))
    assert execute.counters["compiled"] == before
    assert execute.cache.hits == hits + 3
    assert out.shape == (3, 5)


def test_new_shape_compiles_once():
    before = execute.counters["compiled"]
    run_add_one(np.zeros((7, 2), np.float32))
    run_add_one(np.zeros((7, 2), np.float32))
    assert execute.counters["compiled"] == before + 1


def _threads_of_last_compile(fn):
    keras.backend.clear_session()
    fn()
    exe = list(execute.cache.values())[-1]  # the most recently used
    return exe.compiled.get_property("INFERENCE_NUM_THREADS")


@pytest.mark.parametrize(
    "fn,one_thread",
    [
        (lambda: keras.ops.add(np.ones((256, 256), "f4"), np.ones((256, 256), "f4")), True),
        (lambda: keras.ops.take(np.ones((256, 256), "f4"), np.arange(64), axis=0), True),
        (lambda: keras.ops.add(np.ones((1024, 512), "f4"), 1.0), False),  # too many elements
        (lambda: keras.ops.matmul(np.ones((256, 256), "f4"), np.ones((256, 256), "f4")), False),
        (lambda: keras.ops.matmul(np.ones((64, 64), "f4"), np.ones((64, 64), "f4")), True),
        # slow element-wise kernels are bound by compute: a second thread pays off
        (lambda: keras.ops.tanh(np.ones((256, 256), "f4")), False),
        (lambda: keras.ops.power(np.ones((256, 256), "f4"), 3.5), False),
        (lambda: keras.ops.tanh(np.ones((128, 128), "f4")), True),
        (lambda: keras.ops.sin(np.ones((128, 256), "f4")), True),
    ],
)
def test_memory_bound_eager_graphs_run_on_one_thread(fn, one_thread):
    threads = _threads_of_last_compile(fn)
    assert (threads == 1) == one_thread, threads


@pytest.mark.parametrize(
    "dtype,value,expected",
    [
        ("int64", 2**40 + 1, 2**40 + 2),
        ("int64", -(2**62), -(2**62) + 1),
        ("uint64", 2**63 + 5, 2**63 + 6),
        ("uint32", 4_000_000_000, 4_000_000_001),
    ],
)
def test_wide_dtypes_are_exact(dtype, value, expected):
    out = run_add_one(np.array([value, value], dtype=dtype))
    assert out.dtype == np.dtype(dtype)
    assert out.tolist() == [expected, expected]


def test_float64_add_is_exact():
    # No float64 Add kernel in OpenVINO; keras_ov.engine.float64 computes it on
    # int64 bit patterns (tests/engine/test_float64.py has the full matrix).
    out = run_add_one(np.array([1.0 + 2**-40, 2**53]))
    assert out.dtype == np.float64 and out.tolist() == [2.0 + 2**-40, 2**53]


def test_float64_without_exact_kernel_raises():
    # Divide has no float64 reference kernel and no lowering: an error, never
    # the float32-rounded number the CPU plugin would give.
    def halve(x):
        return g.out(g.ov_ops.divide(x, g.const(3.0, "float64")))

    with pytest.raises(NotImplementedError, match="Divide"):
        apply("test.third", halve, [to_tensor(np.array([1.0]))]).numpy()


def test_float64_multiply_is_exact():
    def square(x):
        return g.out(g.ov_ops.multiply(x, x))

    x = np.array([1.0 + 2**-40])
    out = apply("test.square", square, [to_tensor(x)]).numpy()
    assert out.dtype == np.float64 and out[0] == x[0] * x[0]


def test_float64_data_movement_is_exact_through_bits():
    def gather_rev(x):
        return g.out(g.ov_ops.gather(x, g.i64([2, 0, 1]), g.i64(0)))

    x = np.array([0.1, 1.0 + 2**-50, -3e300])
    out = apply("test.gather_rev", gather_rev, [to_tensor(x)]).numpy()
    assert out.tolist() == [x[2], x[0], x[1]]


def test_float32_runs_in_float32_not_bf16():
    # 1 + 2**-20 is representable in f32 but not in bf16/f16.
    out = run_add_one(np.array([2**-20], np.float32))
    assert out[0] == np.float32(1 + 2**-20)


def test_wide_graphs_take_the_reference_path():
    import openvino as ov

    p = g.ov_ops.parameter([2], ov.Type.i64)
    m = ov.Model([_add_one(p.output(0))], [p])
    assert needs_reference(m)
    p32 = g.ov_ops.parameter([2], ov.Type.f32)
    m32 = ov.Model([_add_one(p32.output(0))], [p32])
    assert not needs_reference(m32)
    # i64 shape arithmetic inside an f32 graph stays on the compiled path.
    r = g.reshape(p32.output(0), (-1,))
    assert not needs_reference(ov.Model([r], [p32]))


def test_missing_reference_kernel_raises_not_wrong():
    # A 64-bit convolution has no reference kernel in OpenVINO's core: the
    # engine must raise rather than run it in 32 bits on CPU.
    def conv(x, w):
        return g.ov_ops.convolution(x, w, [1], [0], [0], [1])

    x = to_tensor(np.ones((1, 1, 4), np.float64))
    w = to_tensor(np.ones((1, 1, 2), np.float64))
    try:
        out = apply("test.conv64", conv, [x, w]).numpy()
    except NotImplementedError as e:
        assert "reference kernel" in str(e)
    else:
        np.testing.assert_array_equal(out, np.full((1, 1, 3), 2.0))


def _reduce_max(x):
    return g.ov_ops.reduce_max(x, g.i64([0]), False)


def _matmul(x):
    return g.ov_ops.matmul(x, x, True, False)


def _times_two(x):
    return g.ov_ops.multiply(x, g.const(2, g.dtype(x)))


def _times_two_widened(x):
    # What the element-wise skeleton emits for int8/uint8: int32 math, then a
    # wrapping Convert back.
    from keras_ov.ops.skeletons import widen

    work = widen(g.dtype(x))
    return g.cast(g.out(_times_two(g.cast(x, work))), g.dtype(x))


def test_narrow_int_arithmetic_is_never_saturated():
    # Left as int8 Multiply, the graph is routed away from the CPU plugin (which
    # saturates); the reference kernels run it widened to int32 and wrap back.
    out = apply("test.i8x2_raw", _times_two, [to_tensor(np.array([100, -100], np.int8))])
    np.testing.assert_array_equal(out.numpy(), np.array([-56, 56], np.int8))


@pytest.mark.parametrize(
    "name,fn,x,expected",
    [
        # The CPU plugin saturates int8/uint8 arithmetic; NumPy wraps.
        ("i8x2", _times_two_widened, np.array([100, -100], np.int8), np.array([-56, 56], np.int8)),
        ("u8x2", _times_two_widened, np.array([200, 3], np.uint8), np.array([144, 6], np.uint8)),
        # ... and reduces / multiplies int32 through float32.
        ("i32max", _reduce_max, np.array([2**24 + 1, 2**24 + 3, 7], np.int32), np.int32(2**24 + 3)),
        (
            "i32mm",
            _matmul,
            np.array([[4097], [4099]], np.int32),
            np.array([[4097**2 + 4099**2]], np.int32),
        ),
    ],
)
def test_integer_kernels_the_cpu_gets_wrong_are_exact(name, fn, x, expected):
    out = apply(f"test.{name}", fn, [to_tensor(x)]).numpy()
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype


def _reduce_min(x):
    return g.ov_ops.reduce_min(x, g.i64([0]), False)


def _less(x):
    return g.ov_ops.less(x, g.const(1.0, "float64"))


@pytest.mark.parametrize(
    "values",
    [
        [1.0 + 2**-40, 1.0, -3e300, 5e-324, -0.0, 0.0],
        [-np.inf, -1.0 - 2**-52, -1.0, np.inf],
    ],
)
def test_float64_selection_is_exact_through_order_keys(values):
    x = np.array(values)
    out = apply("test.max64", _reduce_max, [to_tensor(x)]).numpy()
    assert out.dtype == np.float64 and out == x.max()
    out = apply("test.min64", _reduce_min, [to_tensor(x)]).numpy()
    assert out == x.min()


def test_float64_comparison_exact_and_refused_with_nan():
    x = np.array([1.0 - 2**-52, 1.0, 1.0 + 2**-52])
    out = apply("test.less64", _less, [to_tensor(x)]).numpy()
    assert out.tolist() == [True, False, False]
    with pytest.raises(NotImplementedError, match="Less"):
        apply("test.less64", _less, [to_tensor(np.array([np.nan, 0.0, 2.0]))])


def test_isnan_runs_on_reference_kernels_through_equal():
    # An int8 product sends the graph to the reference kernels, where IsNaN has
    # no kernel of its own.
    def f(x, q):
        prod = g.cast(g.out(g.ov_ops.multiply(q, q)), "float32")
        return g.ov_ops.logical_or(g.ov_ops.is_nan(x), g.ov_ops.is_nan(prod))

    x = np.array([1.0, np.nan, 3.0], np.float32)
    out = apply("test.isnan_ref", f, [to_tensor(x), to_tensor(np.array([2, 3, 4], np.int8))])
    assert out.numpy().tolist() == [False, True, False]


def test_non_contiguous_large_inputs_stay_valid():
    # A non-contiguous input above the copy threshold is bound as a fresh
    # contiguous copy; the request must not outlive that copy (it did once:
    # predict on a transposed array read freed memory).
    base = np.random.default_rng(0).random((300, 400)).astype(np.float32)
    view = base.T  # (400, 300), non-contiguous, 480 KB
    for _ in range(3):
        out = run_add_one(view)
        [np.full(view.shape, 7.0, np.float32) for _ in range(4)]  # churn the allocator
        np.testing.assert_array_equal(out, view + 1)


def test_large_constants_share_host_memory():
    # Weights baked into a traced model are not copied (RSS), and the
    # Constant keeps its array alive after the tensor is gone.
    from keras_ov.engine.tensor import SHARE_CONSTANT_BYTES, constant

    big = np.arange(SHARE_CONSTANT_BYTES // 4, dtype=np.float32)
    node = constant(big).get_node()
    assert np.shares_memory(node.get_data(), big)
    del big
    [np.full(SHARE_CONSTANT_BYTES // 4, -1.0, np.float32) for _ in range(4)]
    assert node.get_data()[5] == 5.0
    small = np.arange(4, dtype=np.float32)
    assert not np.shares_memory(constant(small).get_node().get_data(), small)


def test_clear_session_empties_the_eager_cache():
    keras.ops.convert_to_numpy(keras.ops.add(np.ones(3, "float32"), 2.0))
    assert len(execute.cache) > 0
    keras.backend.clear_session()
    keras.ops.convert_to_numpy(keras.ops.multiply(np.ones(4, "float32"), 2.0))
    assert len(execute.cache) == 1  # only the op run after the new session began


def test_compiling_a_traced_function_releases_eager_buffers():
    keras.ops.convert_to_numpy(keras.random.uniform((64, 64), seed=3))
    released = execute.counters["released"]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.predict(np.ones((2, 3), "float32"), verbose=0)
    assert execute.counters["released"] > released
    # a released executable allocates again and still computes the same draw
    a = keras.ops.convert_to_numpy(keras.random.uniform((64, 64), seed=3))
    execute.release_intermediate_memory()
    b = keras.ops.convert_to_numpy(keras.random.uniform((64, 64), seed=3))
    np.testing.assert_array_equal(a, b)


def test_released_executables_let_go_of_host_arrays_and_still_compute():
    import gc
    import weakref

    rng = np.random.default_rng(5)
    x, y = (rng.random((300, 300)).astype("float32") for _ in range(2))
    keras.ops.add(x, y)  # compile; x and y are bound (large), the result kept for reuse
    probe = rng.random((300, 300)).astype("float32")
    out = keras.ops.add(probe, y)
    kept = [weakref.ref(probe), weakref.ref(out.data)]
    del probe, out
    gc.collect()
    assert any(r() is not None for r in kept)  # held for the next call
    execute.release_intermediate_memory()
    gc.collect()
    assert all(r() is None for r in kept)
    for k in range(2):  # bound again, written into fresh arrays
        np.testing.assert_array_equal(keras.ops.add(x * k, y).data, x * k + y)


def test_eager_results_are_never_overwritten_while_referenced():
    # Large outputs are written into host arrays bound to the request; the last
    # one is reused only once nothing else refers to it.
    rng = np.random.default_rng(0)
    x, y = (rng.random((300, 300)).astype("float32") for _ in range(2))
    first = keras.ops.add(x, y)
    kept = np.array(first.data)
    view = keras.ops.reshape(keras.ops.add(x, 1.0), (-1,))  # a view of a dropped result
    view_want = (x + 1.0).ravel()
    as_numpy = np.asarray(keras.ops.multiply(x, 3.0))
    for k in range(3):  # same executables, other values
        keras.ops.add(x * k, y)
        keras.ops.add(x * k, 1.0)
        keras.ops.multiply(x * k, 3.0)
    np.testing.assert_array_equal(first.data, kept)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(view), view_want)
    np.testing.assert_array_equal(as_numpy, x * np.float32(3.0))


def test_a_dropped_eager_result_is_reused_in_place():
    x = np.ones((300, 300), "float32")
    keras.ops.convert_to_numpy(keras.ops.subtract(x, 1.0))  # compile
    addresses = {keras.ops.subtract(x, 1.0).data.ctypes.data for _ in range(4)}
    assert len(addresses) == 1


def test_a_chained_result_alternates_between_two_buffers(monkeypatch):
    # w = f(w) in a loop (a train step's weights): the last result is this
    # call's input, so it cannot be written; the one before it, dropped since,
    # is.  Two buffers in turn, no new host array per call.
    from keras_ov.engine import plugin

    x = np.ones((300, 300), "float32")
    w = keras.ops.add(x, 0.0)
    keras.ops.add(w, 1.0)  # compile
    held = keras.ops.add(w, 2.0)  # referenced below: never written again
    held_want = np.array(held.data)
    real_empty, made = np.empty, []

    def empty(shape, *args, **kwargs):
        made.append(tuple(np.atleast_1d(shape)))
        return real_empty(shape, *args, **kwargs)

    monkeypatch.setattr(plugin.np, "empty", empty)
    addresses = []
    for _ in range(6):
        w = keras.ops.add(w, 1.0)
        addresses.append(w.data.ctypes.data)
    monkeypatch.undo()
    np.testing.assert_array_equal(w.data, x + 6)
    np.testing.assert_array_equal(held.data, held_want)
    assert held.data.ctypes.data not in addresses
    assert made.count((300, 300)) <= 2
    assert len(set(addresses[2:])) == 2


def test_a_result_captured_as_a_constant_is_not_reused():
    # Large concrete values flowing into a traced graph become Constants that
    # share the array's memory; they hold a reference, so it is not rewritten.
    from keras_ov.engine.tensor import constant

    x = np.ones((300, 300), "float32")
    node = constant(keras.ops.add(x, 1.0).data)  # the tensor itself is dropped
    for _ in range(3):
        keras.ops.add(x * 5, 1.0)
    np.testing.assert_array_equal(node.get_node().get_data(), np.full((300, 300), 2.0, "float32"))


def test_attribute_keys_tell_equal_values_of_other_types_apart():
    from keras_ov.ops.registry import _freeze_attrs

    keys = [_freeze_attrs({"a": v}) for v in (1, True, 1.0, "1", None, np.int64(1))]
    assert len(set(keys)) == len(keys)
    assert _freeze_attrs({"a": float("nan")}) == _freeze_attrs({"a": float("nan")})


@pytest.mark.parametrize(
    "fn,want",
    [
        (lambda x: keras.ops.flip(x), np.flip),
        (lambda x: keras.ops.rot90(x), np.rot90),
        # (grouped-query attention repeats its kv heads)
        (lambda x: keras.ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
        (
            lambda x: keras.ops.convert_to_tensor(x)[np.array([0, 1]), np.array([1, 2])],
            lambda x: x[[0, 1], [1, 2]],
        ),
    ],
)
def test_to_the_end_slice_bounds_do_not_make_a_float32_graph_wide(fn, want):
    x = np.arange(24, dtype="float32").reshape(4, 6)
    keras.backend.clear_session()
    built = execute.counters["reference_built"]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fn(x)), want(x))
    assert execute.counters["reference_built"] == built


def test_a_traced_model_with_repeat_and_einsum_runs_compiled():
    # Llama/Mistral/Qwen attention: kv heads repeated, then einsum.  A wide
    # "to the end" Slice bound used to send the whole graph to the reference
    # kernels, which have no float32 Einsum.
    q = keras.Input((3, 4))
    kv = keras.Input((3, 2))
    scores = keras.layers.Lambda(
        lambda t: keras.ops.einsum("bqd,bkd->bqk", t[0], keras.ops.repeat(t[1], 2, axis=2))
    )([q, kv])
    model = keras.Model([q, kv], scores)
    a = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    b = np.random.default_rng(1).random((2, 3, 2)).astype("float32")
    y = model.predict([a, b], verbose=0)
    np.testing.assert_allclose(y, np.einsum("bqd,bkd->bqk", a, np.repeat(b, 2, axis=2)), rtol=1e-5)


def test_numpy_array_protocol_copies_when_asked():
    t = keras.ops.add(np.ones(4, "float32"), 1.0)
    assert not np.shares_memory(np.array(t), t.data)  # copy=True by default
    assert np.shares_memory(np.asarray(t), t.data)
    assert np.shares_memory(np.array(t, copy=False), t.data)
    np.testing.assert_array_equal(np.array(t, dtype="int32"), [2, 2, 2, 2])
    with pytest.raises(ValueError, match="float32 tensor cannot be viewed as int32"):
        np.array(t, dtype="int32", copy=False)


@pytest.mark.parametrize(
    "kind, want",
    [
        ("is_finite", [True, False, False, False, True]),
        ("is_inf", [False, True, True, False, False]),
        ("is_nan", [False, False, False, True, False]),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_float_classes_run_on_reference_kernels(kind, want, dtype):
    # A float8 round trip sends the graph to the reference kernels (Keras's
    # float8 Dense checks `isfinite` of its scales), where IsFinite, IsInf and
    # IsNaN have no kernels of their own.
    def f(x, y):
        f8 = g.cast(g.cast(y, "float8_e4m3fn"), dtype)  # finite: all True
        return g.ov_ops.logical_and(getattr(g.ov_ops, kind)(x), g.ov_ops.equal(f8, f8))

    x = np.array([1.0, np.inf, -np.inf, np.nan, -2.0], dtype)
    y = np.array([0.5, 1.0, 2.0, -3.0, 4.0], dtype)
    out = apply(f"test.{kind}_ref_{dtype}", f, [to_tensor(x), to_tensor(y)])
    assert out.numpy().tolist() == want


def _with_exact_reduction(y, x):
    # An int32 ReduceMax (inexact on the CPU plugin) sends the graph to the
    # reference kernels; added as 0, it leaves ``y`` as it is.
    zero = g.ov_ops.multiply(
        _reduce_max(g.ov_ops.reshape(x, g.i64([-1]), False)), g.const(0, g.dtype(x))
    )
    return g.ov_ops.add(y, g.cast(g.out(zero), g.dtype(y)))


def _cumsum(axis, exclusive, reverse):
    return lambda x: _with_exact_reduction(
        g.ov_ops.cumsum(x, g.i64(axis), exclusive=exclusive, reverse=reverse), x
    )


def _np_cumsum(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive:
        y = y - x  # (wraps like the op)
    return np.flip(y, axis) if reverse else y


_INTS = np.array([[2**31 - 1, 5, -3], [7, -(2**31), 2**30]], np.int32)


@pytest.mark.parametrize("dtype", ["int32", "uint32", "int8", "int64"])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_integer_cumsum_on_the_reference_path_is_exact(dtype, axis, exclusive, reverse):
    # OpenVINO's reference evaluation has no integer CumSum: NumPy computes it.
    x = _INTS.astype(dtype)
    built = execute.counters["reference_built"]
    name = f"test.cumsum_ref_{axis}_{exclusive}_{reverse}"
    out = apply(name, _cumsum(axis, exclusive, reverse), [to_tensor(x)]).numpy()
    assert execute.counters["reference_built"] > built or dtype == "int64"
    np.testing.assert_array_equal(out, _np_cumsum(x, axis, exclusive, reverse))
    assert out.dtype == x.dtype


@pytest.mark.parametrize("dtype", ["int32", "uint32", "int16", "int64"])
@pytest.mark.parametrize(
    "name,fn,expected",
    [
        ("and", g.ov_ops.bitwise_and, np.bitwise_and),
        ("or", g.ov_ops.bitwise_or, np.bitwise_or),
        ("xor", g.ov_ops.bitwise_xor, np.bitwise_xor),
    ],
)
def test_integer_bitwise_ops_on_the_reference_path_are_exact(dtype, name, fn, expected):
    a, b = _INTS.astype(dtype), _INTS[::-1, ::-1].astype(dtype)[:1]  # (b broadcasts)
    out = apply(
        f"test.bitwise_ref_{name}",
        lambda x, y: _with_exact_reduction(fn(x, y), x),
        [to_tensor(a), to_tensor(b)],
    ).numpy()
    np.testing.assert_array_equal(out, expected(a, b))
    inv = apply(
        "test.bitwise_ref_not",
        lambda x: _with_exact_reduction(g.ov_ops.bitwise_not(x), x),
        [to_tensor(a)],
    ).numpy()
    np.testing.assert_array_equal(inv, np.invert(a))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize(
    "data_shape,indices,batch_dims",
    [
        ((2, 3, 4), [[0, 1], [1, -1]], 0),
        ((2, 3, 4), [[[2]], [[0]]], 1),
        ((2, 3, 4), [[1, 2, 3], [0, 0, -4]], 0),
        ((2, 2, 3), [[[1], [2]], [[0], [-1]]], 2),
        ((2, 3, 4), [1, 2, 3], 0),  # a 0-d result
    ],
)
def test_gather_nd_on_the_reference_path_is_exact(dtype, data_shape, indices, batch_dims):
    # OpenVINO's reference evaluation has no GatherND: NumPy computes it.
    x = (np.arange(np.prod(data_shape)) - 5).reshape(data_shape).astype(dtype)
    ind = np.array(indices, np.int32)
    wide = to_tensor(np.array([2**40], np.int64))  # (int64 data: the reference path)

    def fn(d, i, w):
        y = g.ov_ops.gather_nd(d, i, batch_dims)
        return [y, g.ov_ops.add(w, w)]

    built = execute.counters["reference_built"]
    out = apply(f"test.gather_nd_ref_{batch_dims}", fn, [to_tensor(x), to_tensor(ind), wide])
    assert execute.counters["reference_built"] > built
    b = batch_dims
    batch = int(np.prod(x.shape[:b]))
    d, i = x.reshape((batch,) + x.shape[b:]), ind.reshape((batch,) + ind.shape[b:])
    expected = np.stack([d[k][tuple(np.moveaxis(i[k], -1, 0))] for k in range(batch)])
    expected = expected.reshape(ind.shape[:-1] + x.shape[b + ind.shape[-1] :])
    np.testing.assert_array_equal(out[0].numpy(), expected)


@pytest.mark.parametrize("groups", [1, 2])
def test_float32_nodes_without_reference_kernels_run_alone_on_the_cpu(groups):
    # A float32 (group) convolution in a graph sent to the reference kernels
    # for its int64 part (a random augmentation layer's training step, say):
    # it runs alone on the CPU plugin instead of raising.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4, 6)).astype(np.float32)
    w = rng.standard_normal((4, 4 // groups, 3)).astype(np.float32)
    wide = to_tensor(np.array([2**40], np.int64))

    def fn(x, w, k):
        if groups == 1:
            y = g.ov_ops.convolution(x, w, [1], [0], [0], [1])
        else:
            wg = g.ov_ops.reshape(w, g.i64([groups, 4 // groups, 4 // groups, 3]), False)
            y = g.ov_ops.group_convolution(x, wg, [1], [0], [0], [1])
        return [y, g.ov_ops.add(k, k)]

    built = execute.counters["reference_built"]
    y, k = apply(f"test.conv_ref_{groups}", fn, [to_tensor(x), to_tensor(w), wide])
    assert execute.counters["reference_built"] > built
    per = 4 // groups
    expected = np.zeros((1, 4, 4), np.float64)
    for o in range(4):
        grp = o // per
        for t in range(4):
            expected[0, o, t] = np.sum(
                x[0, grp * per : (grp + 1) * per, t : t + 3].astype(np.float64) * w[o]
            )
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert k.numpy()[0] == 2**41


def _double_plus_one_executable(n):
    import openvino as ov

    from keras_ov.engine import plugin

    p = g.ov_ops.parameter([n], ov.Type.f32)
    out = g.ov_ops.add(g.ov_ops.multiply(p, g.const(2, "float32")), g.const(1, "float32"))
    return plugin.CompiledExecutable(ov.Model([out], [p]))


@pytest.mark.parametrize("n", [8, 40_000])  # outputs copied out / written in place
def test_a_started_infer_returns_what_a_call_returns(n):
    exe = _double_plus_one_executable(n)
    a = np.arange(n, dtype="float32")
    running = exe.start([a], ["float32"])
    (started,) = running.wait()
    (called,) = exe([a], ["float32"])
    np.testing.assert_array_equal(started, 2 * a + 1)
    np.testing.assert_array_equal(called, 2 * a + 1)
    with pytest.raises(RuntimeError, match="wait\\(\\) twice"):
        running.wait()


def test_a_started_infer_holds_its_executable_until_waited_for():
    import threading

    exe = _double_plus_one_executable(40_000)
    a = np.ones(40_000, "float32")
    running = exe.start([a], ["float32"])
    other = {}
    thread = threading.Thread(target=lambda: other.update(out=exe([a * 3], ["float32"])[0]))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and "out" not in other  # blocked on the running infer
    (mine,) = running.wait()
    thread.join(10)
    np.testing.assert_array_equal(mine, np.full(40_000, 3.0, "float32"))
    np.testing.assert_array_equal(other["out"], np.full(40_000, 7.0, "float32"))


def test_a_failing_start_leaves_the_executable_usable():
    exe = _double_plus_one_executable(8)
    with pytest.raises(ValueError, match="broadcast"):
        exe.start([np.ones(9, "float32")], ["float32"])  # wrong shape: the lock is let go
    np.testing.assert_array_equal(exe([np.ones(8, "float32")], ["float32"])[0], np.full(8, 3.0))


def test_node_table_entries_end_with_the_outermost_build():
    from keras_ov.engine import scope

    table = scope.NodeTable()
    table["by hand"] = 0  # outside any build: kept
    with scope.building():
        table["outer"] = 1
        with scope.building():
            table["inner"] = 2
        assert table == {"by hand": 0, "outer": 1, "inner": 2}  # (still building)
    assert table == {"by hand": 0}


def test_a_train_step_run_eagerly_leaves_no_gradient_marks_behind():
    # float8 Dense layers mark straight-through casts and custom gradients in
    # every trace; run eagerly, fit traces every step.
    from keras_ov.autodiff import core
    from keras_ov.ops import graph

    tables = (core._CUSTOM_FNS, graph.STRAIGHT_THROUGH, graph.ROUND_COTANGENT)
    before = [len(t) for t in tables]
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8), keras.layers.Dense(2)])
    model.quantize("float8")
    model.compile(optimizer="adam", loss="mse", run_eagerly=True)
    x, y = np.ones((8, 16), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert model.optimizer.iterations.numpy() == 4
    assert [len(t) for t in tables] == before
