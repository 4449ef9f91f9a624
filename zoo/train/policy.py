"""Compile policy per device: where XLA (`jit_compile`) is used and where it is not.

The table is written from measurements, not guesses; each row says what measured it.
"""

from __future__ import annotations

import os

# (backend, device) -> jit_compile. Keras' own "auto" turns XLA on wherever the model supports it.
JIT_COMPILE = {
    # measured (python -m benchmarks, xla_policy/*, 2-core CPU, TF 2.21): the `cnn` trains 1.43x
    # faster without XLA than at Keras' default; the `mlp` is a tie (495 steps/s both ways)
    ("tensorflow", "cpu"): False,
    ("jax", "cpu"): True,  # JAX always traces to XLA; Keras' jax trainer needs jit for speed
    # unmeasured here yet: XLA's fusion is the reason to have a GPU; the benchmarks confirm it
    ("tensorflow", "gpu"): True,
    ("jax", "gpu"): True,
}


# (backend, device, family) -> jit_compile, where a family differs from its device's default
FAMILY_JIT_COMPILE = {
    # measured: the LSTM `rnn` trains 2.0x faster with XLA on a 2-core CPU (182 vs 92 steps/s)
    ("tensorflow", "cpu", "rnn"): True,
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
