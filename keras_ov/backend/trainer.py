"""Keras backend contract: the Trainer (predict/evaluate on compiled OpenVINO graphs)."""

from keras.src.trainers import trainer as base_trainer


class OpenVINOTrainer(base_trainer.Trainer):
    def fit(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `fit` is not implemented yet")

    def predict(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `predict` is not implemented yet")

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `evaluate` is not implemented yet")

    def train_on_batch(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `train_on_batch` is not implemented yet")

    def test_on_batch(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `test_on_batch` is not implemented yet")

    def predict_on_batch(self, *args, **kwargs):
        raise NotImplementedError("keras-ov: `predict_on_batch` is not implemented yet")
