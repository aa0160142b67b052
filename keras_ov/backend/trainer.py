"""Keras backend contract: the Trainer (predict/evaluate on compiled OpenVINO models).

``predict`` and ``evaluate`` do not run the model op by op.  Their step
function is traced once per input signature into one OpenVINO model
(``GraphStep``): inputs are Parameters with a dynamic batch dimension, weights
are baked in as Constants, and each batch is a single infer request.
Variables the step assigns (metric accumulators, seed-generator states) are
model inputs and outputs, written back after every call; the model is rebuilt
when any baked-in variable is assigned (``Variable._version`` changes) or the
model's variables are replaced (``graph_step.WeightsStamp``).
Training (``fit``, ``train_on_batch``) is in ``train_step.py``.
"""

import numpy as np

from keras.src import backend, tree
from keras.src import callbacks as callbacks_module
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.trainers import trainer as base_trainer
from keras.src.trainers.data_adapters import data_adapter_utils
from keras.src.trainers.epoch_iterator import EpochIterator
from keras.src.utils import traceback_utils
from keras.src.utils.python_utils import pythonify_logs

from keras_ov.backend.generation import GenerationMixin
from keras_ov.backend.graph_step import GraphStep, _batch_size  # noqa: F401
from keras_ov.backend.inputs import cast_batch
from keras_ov.backend.train_step import NO_CALLBACKS, TrainingMixin, batch_end, run_epoch
from keras_ov.engine import settings
from keras_ov.engine.tensor import OVTensor


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
        one_step = self._graph_or_eager(self.predict_step, lambda: self.variables, "predict")

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
            state=(lambda: list(self.variables))
            if getattr(self, "_ov_feeds_weights", False)
            else None,
        )

        def test_function(batches):
            logs = None
            for batch in batches:
                logs = one_step(cast_batch(self, batch))
            return logs

        test_function.graph_step = one_step if isinstance(one_step, GraphStep) else None
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
            return NO_CALLBACKS
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
                if step is not None and len(batches) > 1 and settings.config.hint == "THROUGHPUT":
                    return _stack(step.map([cast_batch(self, b) for b in batches]))
                return _stack([predict_function([b]) for b in batches])
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
        on_batch_end = batch_end(callbacks, "predict")
        self.stop_predicting = False
        callbacks.on_predict_begin()
        outputs = []
        with epoch_iterator.catch_stop_iteration():
            for begin_step, end_step, batches in epoch_iterator:
                callbacks.on_predict_batch_begin(begin_step)
                outputs.append(predict_function(batches))
                on_batch_end(end_step, {"outputs": outputs[-1]})
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
        return [x[i : i + size] for i in range(0, len(x), size)]

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
        self.reset_metrics()
        logs = run_epoch(
            test_function,
            callbacks,
            "test",
            epoch_iterator,
            lambda: self.stop_evaluating,
            prepare=lambda batch: cast_batch(self, batch),
        )
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
