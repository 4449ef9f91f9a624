"""Compile policy per device: where XLA (`jit_compile`) and mixed precision are used.

The tables are written from measurements, not guesses; each row says what measured it.
"""

from __future__ import annotations

import contextlib
import os

# (backend, device) -> jit_compile. Each measured row cites benchmarks/results/x86_64-2cpu.md
# (`python -m benchmarks --only xla_policy`), which holds the figures.
JIT_COMPILE = {
    ("tensorflow", "cpu"): False,  # XLA is slower here: cnn 2.0x, mlp 2.7x (xla_policy rows)
    ("jax", "cpu"): True,  # JAX always traces to XLA; Keras' jax trainer needs jit for speed
    ("tensorflow", "gpu"): True,  # unmeasured: XLA's fusion is the reason to have a GPU
    ("jax", "gpu"): True,
}


# (backend, device, family) -> jit_compile, where a family differs from its device's default
FAMILY_JIT_COMPILE = {
    ("tensorflow", "cpu", "rnn"): True,  # LSTMs fuse: 1.6x faster with XLA (xla_policy/rnn)
    # transposed convolutions and their losses fuse: conv_autoencoder 1.7x, dcgan 1.1x
    ("tensorflow", "cpu", "autoencoder"): True,
    ("tensorflow", "cpu", "gan"): True,
}


def family_of(model) -> str | None:
    """"rnn" for any model with recurrent layers (what was measured), else the registry family
    of a zoo model (by its name), else None."""
    import keras

    from zoo import registry

    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.RNN):
            return "rnn"
    try:
        family = registry.get(model.name).family
    except KeyError:
        return None
    return None if family == "rnn" else family  # a TCN is convolutional: not what was measured


def device_kind() -> str:
    """'gpu' when the active backend sees an accelerator, else 'cpu'."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    if backend == "jax":
        import jax

        return "gpu" if jax.default_backend() in ("gpu", "cuda", "rocm", "tpu") else "cpu"
    return "cpu"


def jit_compile(setting="auto", *, family: str | None = None) -> bool:
    """Resolve a user's `jit_compile` setting: True/False win; "auto" reads the policy table
    (per family where one was measured to differ, else per device).

    The ZOO_JIT_COMPILE environment variable ("0"/"1") overrides "auto" for a whole run.
    """
    if isinstance(setting, bool):
        return setting
    if setting != "auto":
        raise ValueError(f"jit_compile must be True, False or 'auto', got {setting!r}")
    env = os.environ.get("ZOO_JIT_COMPILE")
    if env in ("0", "1"):
        return env == "1"
    import keras

    key = (keras.backend.backend(), device_kind())
    if (*key, family) in FAMILY_JIT_COMPILE:
        return FAMILY_JIT_COMPILE[(*key, family)]
    return JIT_COMPILE.get(key, False)


PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
# (backend, device) -> Keras dtype policy for "auto". Mixed precision pays where the hardware has
# fast low-precision math; the default stays float32 wherever that was not measured to be so.
PRECISION = {
    # no bfloat16 matrix units: mixed_bfloat16 runs the cnn at 0.25x, the LSTM at 0.39x
    # (python -m benchmarks.precision)
    ("tensorflow", "cpu"): "float32",
    ("jax", "cpu"): "float32",  # the same hardware (unmeasured)
    # unmeasured: bfloat16 tensor cores should win; float32 until a GPU measures it
    ("tensorflow", "gpu"): "float32",
    ("jax", "gpu"): "float32",
}


def precision(setting="auto") -> str:
    """Resolve a `precision` setting to a Keras dtype policy name: one of `PRECISIONS` wins;
    "auto" reads the PRECISION table (or the ZOO_PRECISION environment variable)."""
    if setting in PRECISIONS:
        return setting
    if setting != "auto":
        raise ValueError(f"precision must be 'auto' or one of {PRECISIONS}, got {setting!r}")
    env = os.environ.get("ZOO_PRECISION")
    if env:
        if env not in PRECISIONS:
            raise ValueError(f"ZOO_PRECISION must be one of {PRECISIONS}, got {env!r}")
        return env
    import keras

    return PRECISION.get((keras.backend.backend(), device_kind()), "float32")


@contextlib.contextmanager
def precision_scope(setting="auto"):
    """Models built inside compute in `precision(setting)` (variables stay float32; Keras wraps
    the optimizer of a mixed_float16 model in a LossScaleOptimizer at compile). The global
    dtype policy is put back on exit.

        >>> import zoo
        >>> with precision_scope("mixed_bfloat16"):
        ...     model = zoo.build("mlp", hidden_units=(8,))
        >>> model.layers[-1].dtype_policy.name, model.layers[-1].kernel.dtype
        ('mixed_bfloat16', 'float32')
    """
    import keras

    name = precision(setting)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield name
    finally:
        keras.config.set_dtype_policy(previous)
