"""Training on OpenVINO: ``fit`` and ``train_on_batch`` (mixed into the Trainer).

The train step is written the way the torch and TensorFlow backends write
it (forward, loss, gradients, ``optimizer.apply``, metrics), and traced by
``graph_step.GraphStep`` inside a ``StatelessScope``: every trainable,
non-trainable, optimizer and metrics variable is a model input, and the ones
the step assigns are model outputs.  Gradients come from
``keras_ov.autodiff.grad`` on the traced graph, so one OpenVINO model per
input signature holds forward, loss, gradients, the optimizer update and the
metrics; state goes in and out of it as the JAX backend's jitted
``train_step`` threads its state (``keras/src/backend/jax/trainer.py``).

A step's new state is written back only after the compiled model returned,
all variables at once (``graph_step.commit``): an exception mid-``fit`` leaves
the weights of the last finished step.

``run_eagerly=True`` (or ``jit_compile=False``) traces and compiles the step
again on every call, so its Python code runs each step, through the same
gradient rules; it is slow (a compile per step) and meant for debugging.
"""

import warnings

from keras.src import backend
from keras.src import callbacks as callbacks_module
from keras.src import optimizers as optimizers_module
from keras.src.backend import config
from keras.src.trainers.data_adapters import array_slicing, data_adapter_utils
from keras.src.trainers.epoch_iterator import EpochIterator
from keras.src.utils import python_utils, traceback_utils
from keras.src.utils.python_utils import pythonify_logs

from keras_ov import autodiff
from keras_ov.backend.graph_step import GraphStep, _batch_size
from keras_ov.engine.tensor import OVTensor


def _first_batch_size(x):
    return _batch_size(x)


# The per-batch hooks a callback overrides when it wants to see every batch
# (``Callback.on_train_batch_end`` calls ``on_batch_end`` by default).
_BATCH_END_HOOKS = {
    "train": ("on_train_batch_end", "on_batch_end"),
    "test": ("on_test_batch_end",),
    "predict": ("on_predict_batch_end",),
}
_BATCH_BEGIN_HOOKS = {
    "train": ("on_train_batch_begin", "on_batch_begin"),
    "test": ("on_test_batch_begin",),
    "predict": ("on_predict_batch_begin",),
}


def _ignore(*args, **kwargs):
    pass


class _NoCallbacks:
    """What predict/evaluate call when there is nothing to call back: Keras's
    empty CallbackList would still start a dispatch thread on every call
    (about half a millisecond, as much as a small model's inference)."""

    def _nothing(self, *args, **kwargs):
        pass

    on_predict_begin = on_predict_end = on_predict_batch_begin = on_predict_batch_end = _nothing
    on_test_begin = on_test_end = on_test_batch_begin = on_test_batch_end = _nothing


NO_CALLBACKS = _NoCallbacks()


def _overridden(callbacks, hooks):
    """Whether a callback in ``callbacks`` has its own version of one of ``hooks``."""
    if callbacks is NO_CALLBACKS:
        return False
    if type(callbacks) is not callbacks_module.CallbackList:
        return True
    return any(
        not python_utils.is_default(getattr(callback, name))
        for callback in callbacks.callbacks
        for name in hooks
    )


def batch_end(callbacks, mode):
    """``callbacks.on_<mode>_batch_end``, or a no-op when no callback
    overrides it.  Keras's ``CallbackList`` hands every batch end to a worker
    thread even when each callback's hook is the default no-op; on a 2-core
    CPU that hand-over costs about a quarter of a millisecond per step, as
    much as a small model's train step."""
    if _overridden(callbacks, _BATCH_END_HOOKS[mode]):
        return getattr(callbacks, f"on_{mode}_batch_end")
    return _ignore


def no_batch_hooks(callbacks, mode):
    """True when no callback looks at single batches: then a loop may run the
    next batch's Python while the plugin computes this one (``run_overlapped``)."""
    hooks = _BATCH_BEGIN_HOOKS[mode] + _BATCH_END_HOOKS[mode]
    return not _overridden(callbacks, hooks)


def run_epoch(function, callbacks, mode, epoch_iterator, stopped, prepare=None):
    """One epoch of a step function (``train_function``/``test_function``)
    with ``mode``'s batch callbacks; the last step's logs ({} if no batch).

    Overlapped (``run_overlapped``) when the function runs a cached
    ``GraphStep`` and no callback has a batch hook; otherwise step by step,
    each batch's hooks around its step.  ``prepare`` maps a batch before the
    overlapped step takes it (what ``function`` does to it itself).
    """
    step = getattr(function, "graph_step", None)
    if step is not None and step.cacheable and no_batch_hooks(callbacks, mode):
        logs = run_overlapped(step, epoch_iterator, prepare or _same, stopped)
        return {} if logs is None else logs
    begin = getattr(callbacks, f"on_{mode}_batch_begin")
    end = batch_end(callbacks, mode)
    logs = {}
    with epoch_iterator.catch_stop_iteration():
        for begin_step, end_step, batches in epoch_iterator:
            begin(begin_step)
            logs = function(batches)
            end(end_step, logs)
            if stopped():
                break
    return logs


def run_overlapped(graph_step, epoch_iterator, prepare, stopped):
    """One epoch of ``graph_step`` over ``epoch_iterator``, each step started
    before the one before it is waited for (``GraphStep.submit``): the data
    pipeline and the signature check of batch k+1 run while the plugin
    computes batch k.  Returns the last step's logs (None if no batch).

    Only for a loop with no per-batch callbacks (``no_batch_hooks``): they
    would see the variables one step behind.  The step still running when the
    loop ends, stops or raises (Ctrl-C, a failing data pipeline) is waited for
    and committed whole, so the weights are always those of a finished step.
    """
    try:
        with epoch_iterator.catch_stop_iteration():
            for _, _, batches in epoch_iterator:
                for batch in batches:
                    graph_step.submit(prepare(batch))
                if stopped():
                    break
    finally:
        logs = graph_step.settle()
    return logs


def _same(batch):
    return batch


def gradients(loss, values):
    """``d loss / d values`` for a traced scalar ``loss`` (OVTensors)."""
    outs = autodiff.grad([loss.output], [v.output for v in values])
    return [OVTensor(output=o) for o in outs]


class TrainingMixin:
    """``train_step``, ``make_train_function``, ``fit``, ``train_on_batch``."""

    # -- the step ----------------------------------------------------------
    def train_step(self, data):
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        trainable = list(self.trainable_variables)
        # Inside the step's StatelessScope these are the model inputs that
        # stand for the weights; the forward pass reads the same tensors.
        values = [backend.convert_to_tensor(v) for v in trainable]
        if self._call_has_training_arg:
            y_pred = self(x, training=True)
        else:
            y_pred = self(x)
        loss = self._compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
        )
        self._loss_tracker.update_state(loss, sample_weight=_first_batch_size(x))
        if self.optimizer is not None:
            loss = self.optimizer.scale_loss(loss)
        if trainable:
            loss = backend.convert_to_tensor(loss)
            if not loss.is_symbolic:
                raise ValueError(
                    "keras-ov: the train step's loss does not depend on the "
                    "model's inputs or weights"
                )
            grads = gradients(loss, values)
            self.optimizer.apply(grads, trainable)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _training_state(self):
        variables = list(self.trainable_variables) + list(self.non_trainable_variables)
        if self.optimizer is not None:
            variables += list(self.optimizer.variables)
        return variables + list(self.metrics_variables)

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        eager = self.run_eagerly or not self.jit_compile
        one_step = GraphStep(
            self.train_step,
            self._training_state,
            "train",
            state=self._training_state,
            cache=not eager,
        )

        def train_function(batches):
            logs = None
            for batch in batches:
                logs = one_step(batch)
            return logs

        train_function.graph_step = one_step
        self.train_function = train_function
        # Evaluation from now on feeds the weights instead of baking them in
        # (validation after every epoch would otherwise recompile).
        if not getattr(self, "_ov_feeds_weights", False):
            self._ov_feeds_weights = True
            self.test_function = None
        return train_function

    # -- public API --------------------------------------------------------
    @traceback_utils.filter_traceback
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        self._assert_compile_called("fit")
        max_epochs = config.max_epochs()
        if max_epochs and max_epochs < epochs:
            warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=2)
            epochs = max_epochs
        self._eval_epoch_iterator = None
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = array_slicing.train_validation_split(
                (x, y, sample_weight), validation_split=validation_split
            )
        if validation_data is not None:
            val_x, val_y, val_sample_weight = data_adapter_utils.unpack_x_y_sample_weight(
                validation_data
            )
        epoch_iterator = EpochIterator(
            x=x,
            y=y,
            sample_weight=sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            shuffle=shuffle,
            class_weight=class_weight,
            steps_per_execution=self.steps_per_execution,
        )
        self._symbolic_build(iterator=epoch_iterator)
        epoch_iterator.reset()
        if not isinstance(callbacks, callbacks_module.CallbackList):
            callbacks = callbacks_module.CallbackList(
                callbacks,
                add_history=True,
                add_progbar=verbose != 0,
                verbose=verbose,
                epochs=epochs,
                steps=epoch_iterator.num_batches,
                model=self,
            )
        self.stop_training = False
        training_logs = {}
        train_function = self.make_train_function()
        callbacks.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                logs = run_epoch(
                    train_function, callbacks, "train", epoch_iterator, lambda: self.stop_training
                )
                epoch_logs = dict(self._get_metrics_result_or_logs(logs))
                if validation_data is not None and self._should_eval(epoch, validation_freq):
                    if getattr(self, "_eval_epoch_iterator", None) is None:
                        self._eval_epoch_iterator = EpochIterator(
                            x=val_x,
                            y=val_y,
                            sample_weight=val_sample_weight,
                            batch_size=validation_batch_size or batch_size,
                            steps_per_execution=self.steps_per_execution,
                            steps_per_epoch=validation_steps,
                            shuffle=False,
                        )
                    val_logs = self.evaluate(
                        x=val_x,
                        y=val_y,
                        sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size,
                        steps=validation_steps,
                        callbacks=callbacks,
                        return_dict=True,
                        _use_cached_eval_dataset=True,
                    )
                    epoch_logs.update({f"val_{name}": val for name, val in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if self.stop_training:
                    break
            if isinstance(self.optimizer, optimizers_module.Optimizer) and epochs > 0:
                self.optimizer.finalize_variable_values(self.trainable_weights)
        finally:
            if getattr(self, "_eval_epoch_iterator", None) is not None:
                del self._eval_epoch_iterator
        callbacks.on_train_end(logs=training_logs)
        return self.history

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compile_called("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "Arguments `sample_weight` and `class_weight` "
                    "cannot be specified at the same time. "
                    f"Received: sample_weight={sample_weight}, "
                    f"class_weight={class_weight}"
                )
            sample_weight = data_adapter_utils.class_weight_to_sample_weights(y, class_weight)
        data = (x, y, sample_weight)
        self._symbolic_build(data_batch=data)
        train_function = self.make_train_function()
        self.reset_metrics()
        logs = pythonify_logs(train_function([data]))
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)
