"""Metrics zoo adds by task; each is a serializable `keras.metrics.Metric` (keras.ops only)."""

import math

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class Perplexity(keras.metrics.Metric):
    """Language-model perplexity: `exp(mean cross-entropy per token)`, in nats.

    It is the number of tokens the model is as unsure between as a uniform guess would be: a
    model that knows nothing scores `vocab_size`, a perfect one 1. Targets are integer ids
    (sparse), predictions probabilities (or logits with `from_logits=True`); tokens with zero
    sample weight (or masked) are left out of the mean.

    Example:
        >>> import numpy as np
        >>> metric = Perplexity()
        >>> metric.update_state(np.array([[0, 1]]), np.full((1, 2, 4), 0.25, "float32"))
        >>> round(float(metric.result()), 4)
        4.0
    """

    def __init__(self, from_logits=False, name="perplexity", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.from_logits = from_logits
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        nll = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        weight = ops.ones_like(nll)
        if sample_weight is not None:
            weight = ops.broadcast_to(ops.cast(sample_weight, self.dtype), ops.shape(nll))
        self.total.assign_add(ops.sum(nll * weight))
        self.count.assign_add(ops.sum(weight))

    def result(self):
        ops = keras.ops
        return ops.exp(ops.divide_no_nan(self.total, self.count))

    def get_config(self):
        return {"from_logits": self.from_logits, "name": self.name, "dtype": self.dtype}


def unigram_perplexity(train_ids, eval_ids, vocab_size: int) -> float:
    """Perplexity on `eval_ids` of the unigram model fitted on `train_ids` (add-one smoothed):
    the score of a model that knows token frequencies and nothing of context."""
    import numpy as np

    counts = np.bincount(np.asarray(train_ids).ravel(), minlength=vocab_size) + 1.0
    log_probs = np.log(counts / counts.sum())
    return float(math.exp(-log_probs[np.asarray(eval_ids).ravel()].mean()))
