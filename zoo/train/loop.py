"""A training loop of your own: compiled train and eval steps you can call, time and count.

For users who want the loop in their hands (custom logging, several models, research code)
without giving up compilation:

    >>> import numpy as np, zoo
    >>> model = zoo.build("mlp", input_shape=(4,), num_classes=3, hidden_units=(8,))
    >>> loop = TrainLoop(model, loss="sparse_categorical_crossentropy", jit_compile=False)
    >>> x, y = np.random.rand(32, 4).astype("float32"), np.arange(32) % 3
    >>> logs = loop.train_step(x[:16], y[:16])       # {'loss': ...}
    >>> history = loop.fit(x, y, epochs=2, batch_size=16, verbose=0)
    >>> loop.traces["train"]                          # one shape, one trace
    1

Under TensorFlow the steps are `tf.function(jit_compile=...)` (a GradientTape step); under JAX
they are `jax.jit` functions of Keras' stateless APIs (`stateless_call`, `stateless_apply`),
with the model's state carried between steps and written back to its variables by
`sync()` (done at the end of every epoch of `fit`). The step computes what `model.fit` does --
the loss plus the model's regularization losses, the optimizer's update, the metrics -- and
gives the same weights as `model.fit` on the same batches and seed (tested, both backends).

`traces` counts how often each step was traced (its Python body ran): with fixed batch shapes
(`EpochBatches` drops the ragged last batch) a whole run traces the train step once.
"""

from __future__ import annotations

import time

import numpy as np

import keras

from zoo.train.batches import EpochBatches


class TrainLoop:
    """Compiled `train_step(x, y)` / `eval_step(x, y)` for a built `model`.

    loss, optimizer, metrics: as for `model.compile` (names or objects); `learning_rate` is
    used when `optimizer` is a name. jit_compile: XLA for the steps (True, False or "auto" =
    zoo's measured policy for this device and model family).
    """

    def __init__(self, model, *, loss, optimizer="adam", learning_rate=1e-3, metrics=None,
                 jit_compile="auto"):
        from zoo.train.policy import family_of
        from zoo.train.policy import jit_compile as resolve_jit_compile

        if not model.built:
            raise ValueError("TrainLoop: the model must be built (give it an Input)")
        self.model = model
        self.loss_fn = keras.losses.get(loss)
        if isinstance(optimizer, str):
            optimizer = keras.optimizers.get(
                {"class_name": optimizer, "config": {"learning_rate": learning_rate}})
        self.optimizer = optimizer
        self.optimizer.build(model.trainable_variables)
        self.metrics = [keras.metrics.get(m) if isinstance(m, str) else m
                        for m in (metrics or [])]
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.jit_compile = resolve_jit_compile(jit_compile, family=family_of(model))
        self.traces = {"train": 0, "eval": 0}
        self.backend = keras.backend.backend()
        if self.backend == "tensorflow":
            self._train, self._eval = _tf_steps(self)
        elif self.backend == "jax":
            self._train, self._eval = _jax_steps(self)
        else:
            raise ValueError(f"TrainLoop: backend {self.backend!r} is not supported; use "
                             "KERAS_BACKEND=tensorflow or jax")

    @classmethod
    def for_task(cls, model, task="classification", **kwargs):
        """A loop with the loss and metrics `zoo.train` compiles for `task` (matched to the
        model's output layer: logits or probabilities, one unit or many)."""
        from zoo.train import loss_and_metrics

        loss, metrics = loss_and_metrics(model, task)
        return cls(model, loss=loss, metrics=metrics, **kwargs)

    # the step bodies, shared by both backends (each backend wraps them in its own compiler)
    def _loss(self, x, y, y_pred):
        loss = self.loss_fn(y, y_pred)
        if self.model.losses:  # regularizers, as model.fit adds them
            loss = loss + keras.ops.sum(keras.ops.stack(self.model.losses))
        return loss

    @property
    def all_metrics(self):
        return [self.loss_tracker, *self.metrics]

    def train_step(self, x, y) -> dict:
        """One optimizer step on the batch (x, y); returns the running metrics as floats."""
        return self._result(self._train(x, y))

    def eval_step(self, x, y) -> dict:
        """Loss and metrics on the batch (x, y), accumulated until `reset_metrics()`."""
        return self._result(self._eval(x, y))

    def reset_metrics(self):
        for metric in self.all_metrics:
            metric.reset_state()
        if self.backend == "jax":
            self._state["metrics"] = [[v.value for v in m.variables] for m in self.all_metrics]

    def sync(self):
        """Write the state carried between JAX steps back into the model's variables."""
        if self.backend == "jax":
            self._sync_jax()

    def _result(self, logs) -> dict:
        return {name: float(np.asarray(value)) for name, value in logs.items()}

    def evaluate(self, x, y, *, batch_size=256) -> dict:
        self.reset_metrics()
        logs = {}
        for start in range(0, len(keras.tree.flatten(x)[0]), batch_size):
            xb = keras.tree.map_structure(lambda a: a[start:start + batch_size], x)
            logs = self.eval_step(xb, y[start:start + batch_size])
        self.reset_metrics()
        return logs

    def fit(self, x, y, *, epochs=1, batch_size=32, seed=0, validation_data=None,
            verbose=1) -> dict:
        """Train for `epochs` over NumPy (x, y) in the batches `model.fit` gets from zoo.train
        (`EpochBatches(x, y, batch_size=, seed=)`); returns the history {metric: [per epoch]}."""
        batches = EpochBatches(x, y, batch_size=batch_size, seed=seed)
        history = {}
        for epoch in range(epochs):
            batches.epoch = epoch
            self.reset_metrics()
            start = time.perf_counter()
            logs = {}
            for index in range(len(batches)):
                logs = self.train_step(*batches[index])
            self.sync()
            if validation_data is not None:
                val = self.evaluate(*validation_data)
                logs.update({f"val_{k}": v for k, v in val.items()})
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            if verbose:
                shown = "  ".join(f"{k}={v:.4f}" for k, v in logs.items())
                print(f"epoch {epoch + 1}/{epochs}  {shown}  "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
        return history


def _tf_steps(loop):
    """TensorFlow: GradientTape steps under tf.function (TF-only)."""
    import tensorflow as tf

    model, optimizer = loop.model, loop.optimizer

    def train(x, y):
        loop.traces["train"] += 1  # runs once per trace
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = loop._loss(x, y, y_pred)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return _update_metrics(loop, loss, y, y_pred)

    def evaluate(x, y):
        loop.traces["eval"] += 1
        y_pred = model(x, training=False)
        return _update_metrics(loop, loop._loss(x, y, y_pred), y, y_pred)

    compile_ = dict(jit_compile=loop.jit_compile, reduce_retracing=True)
    return tf.function(train, **compile_), tf.function(evaluate, **compile_)


def _update_metrics(loop, loss, y, y_pred):
    batch = keras.ops.shape(y_pred)[0]
    loop.loss_tracker.update_state(loss, sample_weight=batch)
    for metric in loop.metrics:
        metric.update_state(y, y_pred)
    return {m.name: m.result() for m in loop.all_metrics}


def _jax_steps(loop):
    """JAX: jitted pure functions of Keras' stateless APIs; the state lives in `loop._state`."""
    import jax

    model, optimizer = loop.model, loop.optimizer
    loop._state = {
        "trainable": [v.value for v in model.trainable_variables],
        "non_trainable": [v.value for v in model.non_trainable_variables],
        "optimizer": [v.value for v in optimizer.variables],
        "metrics": [[v.value for v in m.variables] for m in loop.all_metrics],
    }

    def forward(trainable, non_trainable, x, y, training):
        y_pred, non_trainable, losses = model.stateless_call(
            trainable, non_trainable, x, training=training, return_losses=True)
        loss = loop.loss_fn(y, y_pred)
        if losses:
            loss = loss + keras.ops.sum(keras.ops.stack(losses))
        return loss, (y_pred, non_trainable)

    def metrics_update(metric_state, loss, y, y_pred):
        new_state, logs = [], {}
        batch = keras.ops.shape(y_pred)[0]
        for metric, variables in zip(loop.all_metrics, metric_state):
            if metric is loop.loss_tracker:
                variables = metric.stateless_update_state(variables, loss, sample_weight=batch)
            else:
                variables = metric.stateless_update_state(variables, y, y_pred)
            new_state.append(variables)
            logs[metric.name] = metric.stateless_result(variables)
        return new_state, logs

    def train(state, x, y):
        loop.traces["train"] += 1
        grad_fn = jax.value_and_grad(forward, has_aux=True)
        (loss, (y_pred, non_trainable)), grads = grad_fn(
            state["trainable"], state["non_trainable"], x, y, True)
        trainable, opt = optimizer.stateless_apply(state["optimizer"], grads,
                                                   state["trainable"])
        metrics, logs = metrics_update(state["metrics"], loss, y, y_pred)
        return {"trainable": trainable, "non_trainable": non_trainable, "optimizer": opt,
                "metrics": metrics}, logs

    def evaluate(state, x, y):
        loop.traces["eval"] += 1
        loss, (y_pred, _) = forward(state["trainable"], state["non_trainable"], x, y, False)
        metrics, logs = metrics_update(state["metrics"], loss, y, y_pred)
        return {**state, "metrics": metrics}, logs

    # XLA is how JAX runs a step: jit_compile=False means op-by-op (debugging), not "no XLA"
    train_fn = jax.jit(train) if loop.jit_compile else train
    eval_fn = jax.jit(evaluate) if loop.jit_compile else evaluate

    def run_train(x, y):
        loop._state, logs = train_fn(loop._state, x, y)
        return logs

    def run_eval(x, y):
        loop._state, logs = eval_fn(loop._state, x, y)
        return logs

    def sync():
        state = loop._state
        for variable, value in zip(model.trainable_variables, state["trainable"]):
            variable.assign(value)
        for variable, value in zip(model.non_trainable_variables, state["non_trainable"]):
            variable.assign(value)
        for variable, value in zip(optimizer.variables, state["optimizer"]):
            variable.assign(value)

    loop._sync_jax = sync
    return run_train, run_eval
