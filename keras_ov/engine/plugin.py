"""``CompiledExecutable``: a model compiled by an OpenVINO device plugin (CPU by
default, with the precision, threads and hint of ``settings.config``) with one
infer request, bound host arrays and an async queue for many batches; and
``counters``, what the executors have done ("compiled", "reference_built",
"views", "empty", "released", "async_batches").
"""

import collections
import sys
import threading

import numpy as np
import openvino as ov

from keras_ov.engine import dtypes
from keras_ov.engine.settings import config, core
from keras_ov.engine.tensor import from_ov_tensor, to_ov_tensor

# "compiled", "reference_built", "views", "released", "async_batches", "started"
counters = collections.Counter()

# Inputs up to this many bytes are copied into the request's own buffers
# (cheaper than wrapping them); larger ones are shared zero-copy.
COPY_INPUT_BYTES = 1 << 16
COPY_OUTPUT_BYTES = 1 << 16


def _with_refcount(arrays, i):
    """``(arrays.get(i), its reference count)``, as seen from inside this call."""
    array = arrays.get(i)
    return array, (0 if array is None else sys.getrefcount(array))


# The count ``_with_refcount`` sees for an array held only by its dict,
# measured rather than assumed (interpreters differ in the temporaries counted).
_ONLY_OURS = _with_refcount({0: np.empty(1)}, 0)[1]

# OpenVINO element types NumPy sees as raw unsigned integers (bf16, float8).
RAW_BITS = {dtypes.to_ov(d): bits for d, bits in dtypes.HOST_BITS.items()}


class CompiledExecutable:
    """A compiled model with one infer request and cached host views."""

    def __init__(self, model, properties=None):
        # The ov.Model is not kept: its Constants (weights) would be a second
        # copy next to the compiled model's.
        props = dict(config.compile_properties())
        props.update(properties or {})
        self.compiled = core().compile_model(model, config.device, props)
        self.request = self.compiled.create_infer_request()
        self._lock = threading.Lock()
        self.n_out = len(self.compiled.outputs)
        self._static_out = all(o.get_partial_shape().is_static for o in self.compiled.outputs)
        self._out_views = None
        self._last_fresh = {}
        self._spare = {}  # output index -> the array bound before the last one
        self._in_views = {}
        self._bound = {}
        self._held = {}
        # Large static outputs are written straight into fresh host arrays
        # (no copy out of the request's buffers); small ones are copied.
        self._out_fresh = {
            i: (tuple(o.get_shape()), o.get_element_type().to_dtype())
            for i, o in enumerate(self.compiled.outputs)
            if self._static_out
            and o.get_element_type() not in RAW_BITS
            and port_bytes(o) > COPY_OUTPUT_BYTES
        }
        # Only inputs of static shape have a request buffer to copy into.
        self._static_in = [i.get_partial_shape().is_static for i in self.compiled.inputs]
        counters["compiled"] += 1

    def _set_inputs(self, arrays, in_dtypes):
        req = self.request
        for i, (a, dt) in enumerate(zip(arrays, in_dtypes)):
            if a.nbytes <= COPY_INPUT_BYTES and dt not in dtypes.HOST_BITS and self._static_in[i]:
                view = self._in_views.get(i)
                if view is None:
                    view = self._in_views[i] = req.get_input_tensor(i).data
                view[...] = a
                self._bound.pop(i, None)
            elif self._bound.get(i) is not a:
                # Shared, not copied.  The same (immutable) array as last call
                # is still bound: no need to set it again.
                self._in_views.pop(i, None)
                tensor = to_ov_tensor(a, dt)  # (a contiguous copy if `a` is not)
                req.set_input_tensor(i, tensor)
                # The request does not keep the Python tensor, which owns the
                # memory it reads (for a non-contiguous `a`, a fresh copy).
                self._held[i] = tensor
                self._bound[i] = a if a.flags.c_contiguous else None

    def drop_host_arrays(self):
        """Forget the inputs bound last call and the outputs kept for reuse.

        The request still points at their memory, but reads and writes it only
        in ``infer``, and every call binds its inputs and fresh outputs again
        before that (an input index is always bound or always copied: the
        shapes of an executable never change size class).
        """
        self._held.clear()
        self._bound.clear()
        self._last_fresh.clear()
        self._spare.clear()

    def _fresh_output(self, i, shape, dtype):
        """A host array for output ``i``, bound to the request.

        The request keeps pointing at the last one, so it is kept alive here.
        If nothing else refers to it any more (its tensor was dropped: the
        usual case in a loop of eager ops) it is written again in place;
        otherwise the one bound before it is, if nothing refers to that one
        any more (a train step's new weights: the variables moved on to the
        last ones, which are this call's inputs), or else a new array.  So a
        train step writes its state into two buffers in turn instead of into
        fresh memory every step (whose page faults cost a small model's step
        a tenth of its time).
        """
        last, refs = _with_refcount(self._last_fresh, i)
        if last is not None and refs <= _ONLY_OURS:
            return last
        spare, refs = _with_refcount(self._spare, i)
        if spare is None or refs > _ONLY_OURS:
            spare = np.empty(shape, dtype)
        self.request.set_output_tensor(i, ov.Tensor(spare, shared_memory=True))
        if last is not None:
            self._spare[i] = last  # (with its owner now; reused once it lets go)
        self._last_fresh[i] = spare
        return spare

    def _bind(self, arrays, in_dtypes):
        """Bind one call's inputs and fresh outputs; the fresh ones by index."""
        self._set_inputs(arrays, in_dtypes)
        return {i: self._fresh_output(i, *spec) for i, spec in self._out_fresh.items()}

    def _outputs(self, fresh):
        """The host outputs of the infer that just finished."""
        if not self._static_out:
            return [from_ov_tensor(self.request.get_output_tensor(i)) for i in range(self.n_out)]
        if self._out_views is None:
            self._out_views = [
                None
                if i in self._out_fresh
                else from_ov_tensor(self.request.get_output_tensor(i), copy=False)
                for i in range(self.n_out)
            ]
        return [fresh[i] if v is None else v.copy() for i, v in enumerate(self._out_views)]

    def __call__(self, arrays, in_dtypes):
        with self._lock:
            fresh = self._bind(arrays, in_dtypes)
            # share_outputs: the wrapper would otherwise copy every output into
            # a dict that is thrown away (outputs are read below).
            self.request.infer(share_outputs=True)
            return self._outputs(fresh)

    def start(self, arrays, in_dtypes):
        """Start one infer and return at once: a ``Running`` whose ``wait()``
        returns what ``__call__`` would.  The caller's Python goes on while the
        plugin's threads compute; until ``wait()`` the executable is taken
        (its lock is held, so another call waits for this one)."""
        self._lock.acquire()
        try:
            fresh = self._bind(arrays, in_dtypes)
            self.request.start_async()
        except BaseException:
            self._lock.release()
            raise
        counters["started"] += 1
        return Running(self, fresh)

    def run_many(self, batches, in_dtypes):
        """Run several input lists, keeping the device busy: an
        ``AsyncInferQueue`` of the compiled model's optimal number of requests
        (2+ streams under the THROUGHPUT hint) instead of one request in turn.
        Returns one list of host outputs per batch, in order."""
        jobs = max(1, self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        queue = ov.AsyncInferQueue(self.compiled, jobs)
        results = [None] * len(batches)

        def collect(request, k):
            results[k] = [from_ov_tensor(request.get_output_tensor(i)) for i in range(self.n_out)]

        queue.set_callback(collect)
        held = []  # the requests read these until wait_all returns
        for k, arrays in enumerate(batches):
            tensors = {i: to_ov_tensor(a, dt) for i, (a, dt) in enumerate(zip(arrays, in_dtypes))}
            held.append(tensors)
            queue.start_async(tensors, k)
        queue.wait_all()
        counters["async_batches"] += len(batches)
        missing = [k for k, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(
                f"keras-ov: async inference returned no outputs for batches {missing}"
            )
        return results


class Running:
    """An infer ``CompiledExecutable.start`` started; ``wait()`` once for its outputs."""

    __slots__ = ("_exe", "_fresh")

    def __init__(self, exe, fresh):
        self._exe = exe
        self._fresh = fresh

    def wait(self):
        exe, fresh = self._exe, self._fresh
        if exe is None:
            raise RuntimeError("keras-ov: an infer's outputs were already taken (wait() twice)")
        # Not kept here: a reference to the outputs would stop ``_fresh_output``
        # from writing into them again once their owner lets go.
        self._exe = self._fresh = None
        try:
            exe.request.wait()
            return exe._outputs(fresh)
        finally:
            exe._lock.release()


class Done:
    """A result computed at once, with the ``wait()`` of a ``Running``."""

    __slots__ = ("_outputs",)

    def __init__(self, outputs):
        self._outputs = outputs

    def wait(self):
        outputs, self._outputs = self._outputs, None
        return outputs


def port_elements(port):
    """Elements of a model input/output of static shape (0 if dynamic)."""
    shape = port.get_partial_shape()
    if not shape.is_static:
        return 0
    return int(np.prod(list(shape.to_shape())))


def port_bytes(port):
    """Bytes of a model input/output of static shape (0 if dynamic)."""
    return port.get_element_type().size * port_elements(port)
