"""Shared checks run over every registered model (the pattern of timm's test_models.py and
KerasHub's run_model_saving_test): a new model is tested the day it is registered."""

from __future__ import annotations

import numpy as np

import zoo
from zoo import registry

BATCH = 8
FREE_LENGTH = 12  # stands in for a None (variable) length in an input shape


def _concrete(shape):
    return tuple(FREE_LENGTH if d is None else int(d) for d in shape)


def example_inputs(model, entry, n=BATCH, seed=0):
    """Random inputs matching the model's input spec: token ids for integer inputs, else floats."""
    rng = np.random.default_rng(seed)
    inputs = []
    for tensor in model.inputs:
        shape = (n,) + _concrete(tensor.shape[1:])
        if "int" in str(tensor.dtype):
            vocab = int(entry.defaults.get("vocab_size", 10))
            inputs.append(rng.integers(1, vocab, size=shape).astype("int32"))
        else:
            inputs.append(rng.uniform(0.0, 1.0, size=shape).astype("float32"))
    return inputs[0] if len(inputs) == 1 else inputs


def example_targets(model, entry, n=BATCH, seed=1):
    """Random targets for the entry's task, shaped like the model's output."""
    rng = np.random.default_rng(seed)
    out_shape = (n,) + _concrete(model.output_shape[1:])
    if entry.task == "regression":
        return rng.normal(size=out_shape).astype("float32")
    classes = out_shape[-1]
    if classes == 1:
        return rng.integers(0, 2, size=out_shape).astype("float32")
    return rng.integers(0, classes, size=out_shape[:-1]).astype("int32")


def example_training_data(model, entry, n=BATCH, seed=2):
    """(x, y) a generative model trains on: images of the entry's `input_shape` in [0, 1] (its
    inputs may be noise) and class labels for a conditional model."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n,) + _concrete(entry.input_shape)).astype("float32")
    classes = int(entry.defaults.get("num_labels") or 10)
    return x, rng.integers(0, classes, size=(n,)).astype("int32")


def weights_changed(before, model) -> bool:
    return any(not np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.get_weights()))


def build_default(name):
    entry = registry.get(name)
    return entry, zoo.build(name)


def run_under_jax(script: str, *, timeout: int = 300):
    """Run `script` in a fresh interpreter with KERAS_BACKEND=jax (CPU) from the repository
    root, so it can import `tests.helpers`; fail with its stderr if it fails.

    TensorFlow is made unimportable there, as on our GPU machines (JAX, no TensorFlow): that
    proves the JAX path never needs it, and saves the ~10 s Keras would spend importing it
    (`keras.utils.set_random_seed` does when TensorFlow is installed). XLA is on (ZOO_JIT_COMPILE
    is the suite's TensorFlow setting; JAX without jit runs op by op). XLA's CPU backend
    optimises at level 0: building a model under JAX compiles one small program per weight shape
    for its initializer (0.2 s each here), and -O0 halved SqueezeNet's build (17 s -> 8 s)."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "3", "ZOO_JIT_COMPILE": "1",
           "XLA_FLAGS": os.environ.get("XLA_FLAGS", "--xla_backend_optimization_level=0")}
    prelude = "import sys\nsys.modules['tensorflow'] = None\n"
    proc = subprocess.run([sys.executable, "-c", prelude + script], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def keras_compile_kwargs(model, entry) -> dict:
    """What a Keras user passes to `model.compile` for the entry's task, with no zoo helper: a
    loss string matched to the output (a generative model brings its own losses)."""
    if entry.task == "generative":
        return {}
    if entry.task in ("regression", "autoencoder"):
        return {"optimizer": "adam", "loss": "mse"}
    binary = model.output_shape[-1] == 1
    return {"optimizer": "adam",
            "loss": "binary_crossentropy" if binary else "sparse_categorical_crossentropy"}


def keras_fit_data(model, entry, n=BATCH):
    """(x, y) for a plain `model.fit`: an autoencoder's targets are its inputs; a generative
    model takes images (and labels when conditional); others the task's random targets."""
    if entry.task == "generative":
        x, labels = example_training_data(model, entry, n=n)
        return x, labels if getattr(model, "conditional", False) else None
    x = example_inputs(model, entry, n=n)
    return x, x if entry.task == "autoencoder" else example_targets(model, entry, n=n)
