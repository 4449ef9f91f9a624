"""Training: compile a zoo model for its task with the device policy, fit, evaluate.

`zoo.train(model, data)` is `zoo.train.fit(model, data)`.
"""

from __future__ import annotations

import sys
import types

from zoo.train.checks import check_arrays
from zoo.train.distribute import distributed_evaluate, distributed_fit, process_rows
from zoo.train.policy import family_of
from zoo.train.policy import jit_compile as resolve_jit_compile

# "autoencoder": the targets are the inputs; "generative": the model trains itself (its own
# train_step) and compiles itself through `zoo_compile(optimizer=, learning_rate=, jit_compile=)`
TASKS = ("classification", "regression", "language_model", "autoencoder", "generative")


def _ends_with(model, activation_name: str) -> bool:
    layer = model.layers[-1] if model.layers else None
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) == activation_name


def _output_activation(model):
    """The activation name of the layer that produces `model`'s output (into sub-models)."""
    layer = model
    while getattr(layer, "layers", None):
        layer = layer.layers[-1]
    return getattr(getattr(layer, "activation", None), "__name__", None)


def loss_and_metrics(model, task: str):
    """The loss and metrics zoo uses for `task`, matched to the model's output layer."""
    import keras

    if task not in TASKS:
        raise ValueError(f"zoo.train: task must be one of {TASKS}, got {task!r}")
    if task == "regression":
        return keras.losses.MeanSquaredError(), [keras.metrics.MeanAbsoluteError(name="mae")]
    if task == "autoencoder":  # pixels in [0, 1] behind a sigmoid: Bernoulli likelihood
        loss = (keras.losses.BinaryCrossentropy() if _output_activation(model) == "sigmoid"
                else keras.losses.MeanSquaredError())
        return loss, [keras.metrics.MeanSquaredError(name="mse")]
    if task == "generative":
        raise ValueError("zoo.train: a generative model defines its own losses (zoo_compile)")
    if model.output_shape[-1] == 1:
        from_logits = not _ends_with(model, "sigmoid")
        return (keras.losses.BinaryCrossentropy(from_logits=from_logits),
                [keras.metrics.BinaryAccuracy(name="accuracy",
                                              threshold=0.0 if from_logits else 0.5)])
    from_logits = not _ends_with(model, "softmax")
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if task == "language_model":
        from zoo.train.metrics import Perplexity

        metrics.append(Perplexity(from_logits=from_logits))
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits), metrics


def _computes_in_float16(model) -> bool:
    return any(getattr(layer, "dtype_policy", None) is not None
               and layer.dtype_policy.compute_dtype == "float16"
               for layer in model._flatten_layers(include_self=True, recursive=True))


# gradient-norm clip per task when the optimizer is given by name: recurrent language models
# meet exploding gradients over long unrolls (Pascanu et al., 2013)
DEFAULT_CLIPNORM = {"language_model": 1.0}


def compile_model(model, *, task="classification", optimizer="adam", learning_rate=1e-3,
                  jit_compile="auto", clipnorm="auto", **compile_kwargs):
    """Compile `model` for `task` with zoo's loss, metrics and device policy (XLA on or off).

    For task "language_model" the metrics add `Perplexity`, and `clipnorm="auto"` clips each
    gradient to norm 1.0 (`DEFAULT_CLIPNORM`); pass a number to choose, or None for no clipping.
    `clipnorm` applies to an optimizer given by name; an optimizer object is used as it is.
    """
    import keras

    if task == "generative":
        if not hasattr(model, "zoo_compile"):
            raise ValueError(f"zoo.train: task 'generative' needs a model with its own "
                             f"zoo_compile(); {model.name!r} has none")
        jit = resolve_jit_compile(jit_compile, family=family_of(model))
        return model.zoo_compile(optimizer=optimizer, learning_rate=learning_rate,
                                 jit_compile=jit, **compile_kwargs)
    loss, metrics = loss_and_metrics(model, task)
    if clipnorm == "auto":
        clipnorm = DEFAULT_CLIPNORM.get(task)
    if isinstance(optimizer, str):
        config = {"learning_rate": learning_rate}
        if clipnorm is not None:
            config["clipnorm"] = clipnorm
        optimizer = keras.optimizers.get({"class_name": optimizer, "config": config})
    if _computes_in_float16(model) and not isinstance(optimizer,
                                                      keras.optimizers.LossScaleOptimizer):
        # float16 gradients underflow without loss scaling. Keras wraps only when the model's
        # own policy is mixed_float16, which a reloaded model's outer policy is not
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss=compile_kwargs.pop("loss", loss),
                  metrics=compile_kwargs.pop("metrics", metrics),
                  jit_compile=resolve_jit_compile(jit_compile, family=family_of(model)),
                  **compile_kwargs)
    return model


def _as_fit_args(split, batch_size, task=None):
    """(x, y, batch_size) for model.fit from a NumPy (x, y) pair or a batched dataset.

    For task "autoencoder" the targets are the inputs."""
    if isinstance(split, tuple):
        return split[0], split[0] if task == "autoencoder" else split[1], batch_size
    if task == "autoencoder":
        split = split.map(lambda x, *_: (x, x))
    return split, None, None


@distributed_fit  # distribute=: the strategy's scope around compile and fit (train/distribute.py)
def fit(model, data, *, epochs=10, batch_size=32, task=None, optimizer="adam",
        learning_rate=1e-3, jit_compile="auto", callbacks=None, verbose="auto", compile=True,
        initial_epoch=0, seed=0, distribute=None):
    """Train `model` on `data` (a `zoo.data.Splits`, or a dataset name) and return the History.

    The model is compiled for the data's task unless `compile=False` (then it must already be).
    NumPy training data is batched by `EpochBatches`: epoch `e` sees the permutation `(seed, e)`
    whatever ran before (so a resumed run trains on what an uninterrupted one would), and the
    last partial batch is dropped (one step shape, one trace); under TensorFlow the same batches
    are gathered inside tf.data (`zoo.train.tf_batches`). A tf.data split is used as it is.
    `distribute` (None, "auto", "data_parallel", "mirrored", "multi_process") trains data-
    parallel with `batch_size` as the global batch; see `zoo.train.distribute`.
    """
    import keras

    from zoo.train.batches import EpochBatches, EpochCallback

    if isinstance(data, str):
        import zoo.data

        data = zoo.data.load(data, as_numpy=True)
    # a model that knows its own task (`zoo_task`: an autoencoder, a GAN) keeps it on any data
    task = task or getattr(model, "zoo_task", None) or data.info["task"]
    if compile:
        compile_model(model, task=task, optimizer=optimizer, learning_rate=learning_rate,
                      jit_compile=jit_compile)
    x, y, bs = _as_fit_args(data.train, batch_size, task)
    callbacks = list(callbacks or [])
    steps_per_epoch = None
    if task != "generative":  # a generative model's inputs (noise) are not its data
        check_arrays(model, x, y, task=task)
    if isinstance(data.train, tuple):
        x = EpochBatches(x, y, batch_size=batch_size, seed=seed, epoch=initial_epoch)
        y = bs = None
        callbacks.insert(0, EpochCallback(x))
        x = process_rows(x)  # across processes: this process's rows of each batch
        # the same batches through tf.data under TensorFlow (Keras' PyDataset path is 40%
        # slower there), unless a BackupAndRestore may move the first epoch behind our back
        if (isinstance(x, EpochBatches) and keras.backend.backend() == "tensorflow"
                and epochs > initial_epoch and not any(
                    isinstance(c, keras.callbacks.BackupAndRestore) for c in callbacks)):
            from zoo.train.tf_batches import epoch_dataset

            steps_per_epoch = len(x)
            x = epoch_dataset(x, first_epoch=initial_epoch, epochs=epochs)
    validation = data.validation
    if isinstance(validation, tuple):
        validation = _as_fit_args(validation, batch_size, task)[:2]
    elif task == "autoencoder" and validation is not None:
        validation = _as_fit_args(validation, batch_size, task)[0]
    return model.fit(x, y, batch_size=bs, epochs=epochs, validation_data=validation,
                     callbacks=callbacks, verbose=verbose, initial_epoch=initial_epoch,
                     shuffle=False, steps_per_epoch=steps_per_epoch)


@distributed_evaluate
def evaluate(model, data, *, split="test", batch_size=256, verbose=0, task=None) -> dict:
    """The compiled metrics of `model` on one split of `data`, as {name: float}.

    Pass the model's `task` when its targets are not the data's labels ("autoencoder")."""
    x, y, bs = _as_fit_args(getattr(data, split), batch_size,
                            task or getattr(model, "zoo_task", None))
    result = model.evaluate(x, y, batch_size=bs, verbose=verbose, return_dict=True)
    return {k: float(v) for k, v in result.items()}


class _CallableModule(types.ModuleType):
    def __call__(self, model, data, **kwargs):
        return fit(model, data, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
