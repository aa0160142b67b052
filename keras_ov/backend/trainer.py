"""Keras backend contract: the Trainer (predict/evaluate on compiled OpenVINO models).

``predict`` and ``evaluate`` do not run the model op by op.  Their step
function is traced once per input signature into one OpenVINO model
(``GraphStep``): inputs are Parameters with a dynamic batch dimension, weights
are baked in as Constants, and each batch is a single infer request.
Variables the step assigns (metric accumulators, seed-generator states) are
model inputs and outputs, written back after every call; the model is rebuilt
when any baked-in variable is assigned (``Variable._version`` changes).
Training (``fit``, ``train_on_batch``) is in ``train_step.py``.
"""

import numpy as np

from keras.src import backend
from keras.src import callbacks as callbacks_module
from keras.src import tree
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.trainers import trainer as base_trainer
from keras.src.trainers.data_adapters import data_adapter_utils
from keras.src.trainers.epoch_iterator import EpochIterator
from keras.src.utils import traceback_utils
from keras.src.utils.python_utils import pythonify_logs

from keras_ov.backend.inputs import cast_batch
from keras_ov.backend.train_step import TrainingMixin
from keras_ov.backend.generation import GenerationMixin
from keras_ov.engine import compiled
from keras_ov.engine import dtypes
from keras_ov.engine import execute
from keras_ov.engine.tensor import OVTensor
from keras_ov.ops import graph as g

# Errors a step raises when it cannot run with a dynamic batch dimension (a
# layer doing Python arithmetic on the batch size): then it is traced again
# with the static batch size of the data.
_DYNAMIC_BATCH_ERRORS = (ValueError, TypeError, NotImplementedError)


def _unique(variables):
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _as_array(leaf, op):
    """A data leaf as a host array, or None if it is static Python data."""
    if isinstance(leaf, OVTensor):
        return leaf.data
    if isinstance(leaf, (np.ndarray, np.generic)) or (
        hasattr(leaf, "__array__") and not isinstance(leaf, (str, bytes))
    ):
        array = np.asarray(leaf)
        if dtypes.from_numpy(array.dtype) is None:
            raise TypeError(
                f"keras-ov: `{op}` got input data of dtype {array.dtype} "
                f"(shape {array.shape}), which OpenVINO cannot take"
            )
        return array
    return None


class _Out:
    """Marks the output leaf that is the model's output number ``index``."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class _Traced:
    """One compiled model for one input signature."""

    def __init__(self, function, structure, statics, n_outputs, state_in, state_out, baked):
        self.function = function
        self.structure = structure  # output structure, tensors replaced by indices
        self.statics = statics  # output leaves that are not tensors
        self.n_outputs = n_outputs
        self.state_in = state_in  # variables fed as model inputs
        self.state_out = state_out  # the ones the step assigns: model outputs
        self.baked = baked
        self.versions = tuple(v._version for v in baked)

    def stale(self):
        return tuple(v._version for v in self.baked) != self.versions


class GraphStep:
    """A step function run as compiled OpenVINO models, one per input signature.

    ``step(data)`` is a Keras step (``predict_step``/``test_step``/
    ``train_step``); ``variables()`` lists the variables it may read or
    assign.  ``state()``, if given, lists variables always fed as model inputs
    rather than baked in (a train step's weights: it differentiates them and
    they change every step).  Of the fed variables, those the step assigns are
    model outputs too, written back after the call, all at once.

    ``cache=False`` traces and compiles the step on every call (``fit`` with
    ``run_eagerly=True``: the step's Python code runs each time).
    """

    def __init__(self, step, variables, name, state=None, cache=True):
        self.step = step
        self.variables = variables
        self.state = state
        self.name = name
        self._cache = execute.LRUCache(16) if cache else None
        self._static_batch = set()
        self.traces = 0

    # -- signature -------------------------------------------------------
    def _signature(self, data):
        leaves = tree.flatten(data)
        arrays = [_as_array(leaf, self.name) for leaf in leaves]
        layout = tree.pack_sequence_as(
            data, [("t", i) if a is not None else ("s", repr(leaf))
                   for i, (a, leaf) in enumerate(zip(arrays, leaves))]
        )
        specs = tuple(
            (a.shape, dtypes.from_numpy(a.dtype)) for a in arrays if a is not None
        )
        return leaves, arrays, (repr(layout), specs)

    def _key(self, sig):
        layout, specs = sig
        if sig not in self._static_batch:
            specs = tuple(((None,) + s[1:] if s else s, d) for s, d in specs)
        return (layout, specs, execute.config.key())

    def _traced(self, data):
        """``(traced, arrays, sig)`` for ``data``, tracing on a cache miss."""
        leaves, arrays, sig = self._signature(data)
        if self._cache is None:
            return self._build(data, leaves, arrays, sig), arrays, sig
        traced = self._cache.get(self._key(sig))
        if traced is None or traced.stale():
            traced = self._build(data, leaves, arrays, sig)
            self._cache.put(self._key(sig), traced)
        return traced, arrays, sig

    @staticmethod
    def _pack(traced, outputs):
        flat = [outputs[s.index] if isinstance(s, _Out) else s for s in traced.statics]
        return tree.pack_sequence_as(traced.structure, flat)

    def __call__(self, data):
        traced, arrays, _ = self._traced(data)
        feed = [a for a in arrays if a is not None]
        feed += [v.value.data for v in traced.state_in]
        results = traced.function(feed)
        outputs, states = results[: traced.n_outputs], results[traced.n_outputs:]
        commit(traced.state_out, states)
        return self._pack(traced, outputs)

    def map(self, batches):
        """``[self(data) for data in batches]``; batches of the first one's
        signature run through one async infer queue when the step keeps no
        state (a stateful step threads its variables from batch to batch)."""
        traced, _, sig = self._traced(batches[0])
        if traced.state_out:
            return [self(data) for data in batches]
        same, feeds, others = [], [], []
        for k, data in enumerate(batches):
            _, arrays_k, sig_k = self._signature(data)
            if sig_k == sig:
                same.append(k)
                feeds.append([a for a in arrays_k if a is not None])
            else:
                others.append(k)
        results = [None] * len(batches)
        for k, outputs in zip(same, traced.function.map(feeds)):
            results[k] = self._pack(traced, outputs)
        for k in others:
            results[k] = self(batches[k])
        return results

    # -- tracing ---------------------------------------------------------
    def _build(self, data, leaves, arrays, sig):
        dynamic = sig not in self._static_batch
        try:
            return self._trace(data, leaves, arrays, dynamic)
        except _DYNAMIC_BATCH_ERRORS:
            if not dynamic:
                raise
            self._static_batch.add(sig)
            return self._trace(data, leaves, arrays, dynamic=False)

    def _trace(self, data, leaves, arrays, dynamic):
        specs = []
        for a in arrays:
            if a is None:
                continue
            shape = a.shape
            if dynamic and a.ndim:
                shape = (None,) + shape[1:]
            specs.append((shape, dtypes.from_numpy(a.dtype)))
        candidates = _unique(self.variables())
        state_in = _unique(self.state()) if self.state is not None else []
        built, assigned = self._trace_once(data, leaves, arrays, specs, state_in)
        fed = {id(v) for v in state_in}
        more = [v for v in candidates if id(v) in assigned and id(v) not in fed]
        if more:  # trace again with those variables as inputs and outputs
            state_in = state_in + more
            built, assigned = self._trace_once(data, leaves, arrays, specs, state_in)
        model, state_out, out_structure, statics, n_out = built
        self.traces += 1
        fed = {id(v) for v in state_in}
        baked = [v for v in candidates if id(v) not in fed]
        function = compiled.CompiledFunction(model)
        return _Traced(function, out_structure, statics, n_out, state_in, state_out, baked)

    def _trace_once(self, data, leaves, arrays, specs, state_vars):
        n_in = len(specs)
        all_specs = list(specs) + [(tuple(v.shape), v.dtype) for v in state_vars]
        box = {}

        def fn(*inputs):
            symbolic = iter(inputs[:n_in])
            flat = [next(symbolic) if a is not None else leaf for a, leaf in zip(arrays, leaves)]
            packed = tree.pack_sequence_as(data, flat)
            mapping = list(zip(state_vars, inputs[n_in:]))
            # collect_losses: losses layers add in the forward pass (add_loss)
            # reach the step's loss through `model.losses`.
            with StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
                outputs = self.step(packed)
            box["assigned"] = set(scope.state_mapping)
            out_leaves = tree.flatten(outputs)
            tensors, statics = [], []
            for leaf in out_leaves:
                if isinstance(leaf, OVTensor):
                    statics.append(_Out(len(tensors)))
                    tensors.append(leaf)
                else:
                    statics.append(leaf)
            box["structure"] = tree.pack_sequence_as(outputs, [0] * len(out_leaves))
            box["statics"] = statics
            box["n_out"] = len(tensors)
            box["state_out"] = [v for v in state_vars if id(v) in box["assigned"]]
            new_states = [OVTensor(output=_state_output(scope, v)) for v in box["state_out"]]
            return tensors + new_states

        model, _ = compiled.trace(fn, all_specs, name=f"keras_ov_{self.name}")
        built = (model, box["state_out"], box["structure"], box["statics"], box["n_out"])
        return built, box["assigned"]


def commit(variables, arrays):
    """Give ``variables`` the values ``arrays`` (a step's results), all at once.

    The arrays become the variables' values as they are (no copy: the step
    wrote them and nothing else refers to them).  Everything that can fail
    (conversion, shape checks) happens before the first variable changes.
    """
    tensors = []
    for v, a in zip(variables, arrays):
        a = np.asarray(a)
        if a.shape != v.shape:
            a = a.reshape(v.shape)
        tensors.append(OVTensor(a, dtype=v._dtype))
    for v, t in zip(variables, tensors):
        v._value = t
        v._version += 1


def _state_output(scope, variable):
    value = scope.get_current_value(variable)
    value = backend.convert_to_tensor(value, dtype=variable.dtype)
    return value.output


def _batch_size(x):
    """The batch size of ``x``: an int, or a tensor while tracing with a dynamic batch."""
    first = next(leaf for leaf in tree.flatten(x) if leaf is not None)  # (optional inputs)
    n = first.shape[0]
    if n is not None or not isinstance(first, OVTensor):
        return n
    return OVTensor(output=g.cast(g.reshape(g.dim(first.output, 0), ()), "float32"))


class OpenVINOTrainer(TrainingMixin, GenerationMixin, base_trainer.Trainer):
    # TrainingMixin: fit/train_on_batch; GenerationMixin: the methods keras-hub's
    # OpenVINO `generate` path calls.
    def __init__(self):
        super().__init__()
        self.train_function = None
        self.test_function = None
        self.predict_function = None

    # -- steps -----------------------------------------------------------
    def test_step(self, data):
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        if self._call_has_training_arg:
            y_pred = self(x, training=False)
        else:
            y_pred = self(x)
        loss = self._compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False
        )
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        x, _, _ = data_adapter_utils.unpack_x_y_sample_weight(data)
        if self._call_has_training_arg:
            return self(x, training=False)
        return self(x)

    # -- step functions --------------------------------------------------
    def _graph_or_eager(self, step, variables, name, state=None):
        # As on JAX: compile unless asked not to (run_eagerly, jit_compile=False)
        # or a layer cannot be traced (supports_jit=False: TF-based preprocessing).
        if self.run_eagerly or not self.jit_compile:
            return lambda data: tree.map_structure(_to_numpy, step(data))
        return GraphStep(step, variables, name, state=state)

    def make_predict_function(self, force=False):
        if self.predict_function is not None and not force:
            return self.predict_function
        one_step = self._graph_or_eager(
            self.predict_step, lambda: self.variables, "predict"
        )

        def predict_function(batches):
            outputs = [one_step(cast_batch(self, batch)) for batch in batches]
            if len(outputs) == 1:
                return outputs[0]
            return tree.map_structure(lambda *xs: np.concatenate(xs), *outputs)

        predict_function.graph_step = one_step if isinstance(one_step, GraphStep) else None
        self.predict_function = predict_function
        return predict_function

    def make_test_function(self, force=False):
        if self.test_function is not None and not force:
            return self.test_function
        one_step = self._graph_or_eager(
            self.test_step,
            lambda: list(self.variables) + list(self.metrics_variables),
            "test",
            # once the model trains, its weights are fed, not baked in
            state=(lambda: list(self.variables)) if getattr(self, "_ov_feeds_weights", False) else None,
        )

        def test_function(batches):
            logs = None
            for batch in batches:
                logs = one_step(cast_batch(self, batch))
            return logs

        self.test_function = test_function
        return test_function

    # -- public API ------------------------------------------------------
    def _all_built(self):
        # Layers are never unbuilt again: once true, remember it.
        if not getattr(self, "_ov_all_built", False):
            self._ov_all_built = all(layer.built for layer in self._flatten_layers())
        return self._ov_all_built

    def _build_on(self, epoch_iterator):
        if self._all_built():
            return
        for _, _, batches in epoch_iterator:
            x, _, _ = data_adapter_utils.unpack_x_y_sample_weight(batches[0])
            with StatelessScope():
                self(x)
            break
        epoch_iterator.reset()

    @traceback_utils.filter_traceback
    def _callback_list(self, callbacks, verbose, epoch_iterator):
        """One-epoch callbacks for predict/evaluate (a CallbackList is kept)."""
        if isinstance(callbacks, callbacks_module.CallbackList):
            return callbacks
        if not callbacks and verbose == 0:
            return _NO_CALLBACKS
        return callbacks_module.CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=1,
            steps=epoch_iterator.num_batches,
            model=self,
        )

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        if not callbacks and verbose == 0:
            batches = self._array_batches(x, batch_size, steps)
            if batches is not None:  # the lean loop: no data adapter, no callbacks
                predict_function = self.make_predict_function()
                step = getattr(predict_function, "graph_step", None)
                if step is not None and len(batches) > 1 and execute.config.hint == "THROUGHPUT":
                    return _stack(step.map([cast_batch(self, (b,)) for b in batches]))
                return _stack([predict_function([(b,)]) for b in batches])
        epoch_iterator = EpochIterator(
            x=x,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=False,
            steps_per_execution=self.steps_per_execution,
        )
        self._build_on(epoch_iterator)
        callbacks = self._callback_list(callbacks, verbose, epoch_iterator)
        predict_function = self.make_predict_function()
        self.stop_predicting = False
        callbacks.on_predict_begin()
        outputs = []
        with epoch_iterator.catch_stop_iteration():
            for begin_step, end_step, batches in epoch_iterator:
                callbacks.on_predict_batch_begin(begin_step)
                outputs.append(predict_function(batches))
                callbacks.on_predict_batch_end(end_step, {"outputs": outputs[-1]})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        return _stack(outputs)

    def _array_batches(self, x, batch_size, steps):
        """Batches of one NumPy array, sliced here; None where Keras's data
        adapter is needed (other inputs, ``steps``, an unbuilt model).  Like
        the adapter, floats other than floatx are cast to floatx."""
        if (
            not isinstance(x, np.ndarray)
            or x.ndim == 0
            or not len(x)
            or steps is not None
            or self.steps_per_execution != 1
            or not self._all_built()
        ):
            return None
        if x.dtype.kind == "f" and x.dtype != np.dtype(backend.floatx()):
            x = x.astype(backend.floatx())
        size = batch_size or 32
        return [x[i:i + size] for i in range(0, len(x), size)]

    @traceback_utils.filter_traceback
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        self._assert_compile_called("evaluate")
        use_cached_eval_dataset = kwargs.pop("_use_cached_eval_dataset", False)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        if use_cached_eval_dataset:
            epoch_iterator = self._eval_epoch_iterator
        else:
            epoch_iterator = EpochIterator(
                x=x,
                y=y,
                sample_weight=sample_weight,
                batch_size=batch_size,
                steps_per_epoch=steps,
                shuffle=False,
                steps_per_execution=self.steps_per_execution,
            )
        self._symbolic_build(iterator=epoch_iterator)
        epoch_iterator.reset()
        callbacks = self._callback_list(callbacks, verbose, epoch_iterator)
        test_function = self.make_test_function()
        self.stop_evaluating = False
        callbacks.on_test_begin()
        logs = {}
        self.reset_metrics()
        with epoch_iterator.catch_stop_iteration():
            for begin_step, end_step, batches in epoch_iterator:
                callbacks.on_test_batch_begin(begin_step)
                logs = test_function(batches)
                callbacks.on_test_batch_end(end_step, logs)
                if self.stop_evaluating:
                    break
        logs = pythonify_logs(self._get_metrics_result_or_logs(logs))
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compile_called("test_on_batch")
        data = (x, y, sample_weight)
        self._symbolic_build(data_batch=data)
        test_function = self.make_test_function()
        self.reset_metrics()  # (as on every backend: the batch's own metrics)
        logs = test_function([data])
        logs = pythonify_logs(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        if not self._all_built():
            with StatelessScope():
                self(x)
        return self.make_predict_function()([(x,)])


class _NoCallbacks:
    """What predict/evaluate call when there is nothing to call back: Keras's
    empty CallbackList would still start a dispatch thread on every call
    (about half a millisecond, as much as a small model's inference)."""

    def _nothing(self, *args, **kwargs):
        pass

    on_predict_begin = on_predict_end = on_predict_batch_begin = on_predict_batch_end = _nothing
    on_test_begin = on_test_end = on_test_batch_begin = on_test_batch_end = _nothing


_NO_CALLBACKS = _NoCallbacks()


def _stack(batch_outputs):
    """Per-batch output structures joined along the batch axis."""
    if not batch_outputs:
        raise ValueError("keras-ov: `predict` got no data (the input is empty)")
    if len(batch_outputs) == 1:
        return batch_outputs[0]
    return tree.map_structure_up_to(
        batch_outputs[0], lambda *parts: np.concatenate(parts), *batch_outputs
    )


def _to_numpy(x):
    if isinstance(x, OVTensor):
        return backend.convert_to_numpy(x)
    return x
