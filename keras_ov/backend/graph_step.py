"""One compiled OpenVINO model per input signature for a Keras step function.

``GraphStep`` traces a step (``predict_step``, ``test_step``, the train step)
once per input signature: inputs are Parameters with a dynamic batch
dimension, variables the step only reads are baked in as Constants, and the
variables it assigns (or that a caller lists as ``state``) are model inputs and
outputs, written back all at once after each call (``commit``).  Used by the
Trainer (``trainer.py``) and the training step (``train_step.py``).
"""

import numpy as np

from keras.src import backend, tree
from keras.src.backend.common.stateless_scope import StatelessScope

from keras_ov.engine import compiled, dtypes, execute, settings
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


class WeightsStamp:
    """Which variables a compiled graph was traced with, to tell when it is stale.

    A graph bakes the variables it only reads in as Constants.  It is stale
    when one of those is assigned since (its ``_version`` moved), or when the
    listing itself changed: a layer's variables *replaced* by new objects
    (layer-level ``quantize``, GPTQ's correction, a layer rebuilt) leave every
    old variable's version as it was.  The stamp keeps the listed variables
    alive, so their ids cannot be reused by new ones.
    """

    __slots__ = ("listed", "ids", "baked", "versions")

    def __init__(self, listed, baked):
        self.listed = tuple(listed)
        self.ids = tuple(map(id, self.listed))
        self.baked = tuple(baked)
        self.versions = tuple(v._version for v in self.baked)

    def stale(self, listed):
        return (
            tuple(map(id, listed)) != self.ids
            or tuple(v._version for v in self.baked) != self.versions
        )


class _Traced:
    """One compiled model for one input signature."""

    def __init__(self, function, structure, statics, n_outputs, state_in, state_out, stamp):
        self.function = function
        self.structure = structure  # output structure, tensors replaced by indices
        self.statics = statics  # output leaves that are not tensors
        self.n_outputs = n_outputs
        self.state_in = state_in  # variables fed as model inputs
        self.state_out = state_out  # the ones the step assigns: model outputs
        self.stamp = stamp  # the variables listed and baked in at trace time


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
        self._running = None  # (traced, handle) of the step `submit` started

    @property
    def cacheable(self):
        """False when the step is traced again on every call (run eagerly)."""
        return self._cache is not None

    def _listed(self):
        """Every variable the step may read or is fed, as listed now."""
        listed = list(self.variables())
        if self.state is not None and self.state != self.variables:
            listed += self.state()
        return listed

    # -- signature -------------------------------------------------------
    def _signature(self, data):
        leaves = tree.flatten(data)
        arrays = [_as_array(leaf, self.name) for leaf in leaves]
        layout = tree.pack_sequence_as(
            data,
            [
                ("t", i) if a is not None else ("s", repr(leaf))
                for i, (a, leaf) in enumerate(zip(arrays, leaves))
            ],
        )
        specs = tuple((a.shape, dtypes.from_numpy(a.dtype)) for a in arrays if a is not None)
        return leaves, arrays, (repr(layout), specs)

    def _key(self, sig):
        layout, specs = sig
        if sig not in self._static_batch:
            specs = tuple(((None,) + s[1:] if s else s, d) for s, d in specs)
        return (layout, specs, settings.config.key())

    def _traced(self, data):
        """``(traced, arrays, sig)`` for ``data``, tracing on a cache miss."""
        leaves, arrays, sig = self._signature(data)
        if self._cache is None:
            self.settle()
            return self._build(data, leaves, arrays, sig), arrays, sig
        traced = self._cache.get(self._key(sig))
        if traced is None or traced.stamp.stale(self._listed()):
            self.settle()  # (tracing may read the variables' values)
            traced = self._build(data, leaves, arrays, sig)
            self._cache.put(self._key(sig), traced)
        return traced, arrays, sig

    @staticmethod
    def _pack(traced, outputs):
        flat = [outputs[s.index] if isinstance(s, _Out) else s for s in traced.statics]
        return tree.pack_sequence_as(traced.structure, flat)

    def __call__(self, data):
        self.settle()
        traced, arrays, _ = self._traced(data)
        feed = [a for a in arrays if a is not None]
        feed += [v.value.data for v in traced.state_in]
        return self._finish(traced, traced.function(feed))

    def submit(self, data):
        """Start the step on ``data`` and return before it finishes.

        The step before it (if any) is settled first: its state committed,
        then fed to this one.  So while the plugin computes a step, the
        caller's Python (the data pipeline fetching the next batch, this
        method preparing it) runs alongside, as JAX's async dispatch does.
        Until ``settle()``, the variables keep the values of the last settled
        step: nothing that reads or assigns them may run in between (``fit``
        submits only when no callback has a batch hook).
        """
        traced, arrays, _ = self._traced(data)
        feed = [a for a in arrays if a is not None]
        self.settle()
        feed += [v.value.data for v in traced.state_in]
        self._running = (traced, traced.function.start(feed))

    def settle(self):
        """Wait for the step ``submit`` started and commit its state; its
        outputs, or None if no step is running."""
        running, self._running = self._running, None
        if running is None:
            return None
        traced, handle = running
        return self._finish(traced, handle.wait())

    def _finish(self, traced, results):
        outputs, states = results[: traced.n_outputs], results[traced.n_outputs :]
        commit(traced.state_out, states)
        return self._pack(traced, outputs)

    def map(self, batches):
        """``[self(data) for data in batches]``; batches of the first one's
        signature run through one async infer queue when the step keeps no
        state (a stateful step threads its variables from batch to batch)."""
        self.settle()
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
        # Run eagerly (no cache), the step is traced for this batch only: with
        # its static shapes, once (its Python code runs once per call).
        dynamic = self._cache is not None and sig not in self._static_batch
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
        # Listed after tracing: a first trace may build layers (new variables).
        stamp = WeightsStamp(self._listed(), baked)
        return _Traced(function, out_structure, statics, n_out, state_in, state_out, stamp)

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
                initial = dict(scope.state_mapping)
                outputs = self.step(packed)
            # Assigned: a new value in the scope.  (Every fed variable is in the
            # mapping; passing the unassigned ones through as outputs would cost a
            # copy per call and write back whatever the plugin left there.)
            box["assigned"] = {
                k for k, value in scope.state_mapping.items() if initial.get(k) is not value
            }
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

        values = None
        if self._cache is None:  # run eagerly: the step may read its tensors' values
            values = [a for a in arrays if a is not None] + [v.value.data for v in state_vars]
        model, _ = compiled.trace(fn, all_specs, name=f"keras_ov_{self.name}", values=values)
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
