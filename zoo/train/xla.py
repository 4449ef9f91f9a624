"""`zoo.check_xla(model, data)`: does this model compile with XLA, and is it faster for it?

Compiles a copy of the model's training step with `jit_compile=True` (the path `zoo.train`
uses), reports the operations XLA cannot compile by name (where TensorFlow's error is a wall of
graph text), counts traces, times the step with and without XLA on the same batch, and
recommends a setting next to what zoo's measured policy would pick. The model passed in is
neither trained nor recompiled.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import time

import numpy as np

import keras

# TensorFlow: "No registered 'AsString' OpKernel for XLA_CPU_JIT devices compatible with node
# {{node model/layer/AsString}}"
_UNSUPPORTED = re.compile(r"No registered '(\w+)' OpKernel for (\w+) devices compatible with "
                          r"node \{\{node ([^}]+)\}\}")


class TraceCounter:
    """Counts traces of `model.train_step`: install before the first `fit`.

    Keras runs `train_step` as Python only while tracing it -- into a `tf.function` graph on
    TensorFlow (with `jit_compile` on or off), into `jax.jit` on JAX, where each trace is one
    XLA compilation -- so Python calls after the first step are retraces, and zero retraces means
    the first step's compiled program served every later step. Under JAX with `jit_compile`
    off the step runs eagerly (a Python call per step): `compiled` is then False and the count
    says nothing about compilation.
    """

    def __init__(self, model):
        import keras

        self.traces = 0
        self.compiled = keras.backend.backend() != "jax" or model.jit_compile
        step = model.train_step

        def counting_train_step(*args, **kwargs):
            self.traces += 1
            return step(*args, **kwargs)

        model.train_step = counting_train_step  # read by make_train_function at the first fit

    def retraces_since(self, traces_before: int) -> int | None:
        return self.traces - traces_before if self.compiled else None


@dataclasses.dataclass
class XlaReport:
    model: str
    backend: str
    compiles: bool
    unsupported_ops: list  # [(op type, graph node)], when XLA refused the step
    error: str | None  # the first line of the compiler's error, when it failed
    traces: int | None  # Python runs of the train step over warm-up + timed steps
    retraces: int | None  # traces after the warm-up (0 = one program served every step)
    xla_step_ms: float | None
    plain_step_ms: float | None
    speedup: float | None  # plain / xla step time
    recommended: bool  # the jit_compile setting this measurement supports
    policy: bool  # what zoo's policy table picks for this device and family

    def __str__(self):
        lines = [f"check_xla {self.model} ({self.backend}):"]
        if not self.compiles:
            ops = ", ".join(f"{op} (at {node})" for op, node in self.unsupported_ops)
            lines.append(f"  XLA cannot compile the train step: {ops or self.error}")
            lines.append("  recommended: jit_compile=False")
            return "\n".join(lines)
        lines.append(f"  compiles: yes; traces {self.traces}, retraces after the warm-up "
                     f"{self.retraces}")
        lines.append(f"  step: {self.xla_step_ms:.2f} ms with XLA, {self.plain_step_ms:.2f} ms "
                     f"without; speed-up {self.speedup:.2f}x")
        agree = "agrees" if self.recommended == self.policy else "differs: pass jit_compile="
        lines.append(f"  recommended: jit_compile={self.recommended} (zoo's policy: "
                     f"{self.policy}, {agree}{'' if agree == 'agrees' else self.recommended})")
        return "\n".join(lines)


def _first_batch(model, data, task, batch_size):
    from zoo.train import _as_fit_args
    from zoo.train.batches import EpochBatches

    if isinstance(data, str):
        import zoo.data

        data = zoo.data.load(data, as_numpy=True)
    if isinstance(data, tuple):
        x, y = data
        task = task or getattr(model, "zoo_task", None) or "classification"
    else:
        task = task or getattr(model, "zoo_task", None) or data.info["task"]
        if not isinstance(data.train, tuple):
            raise ValueError("check_xla: data must hold NumPy splits (as_numpy=True)")
        x, y, _ = _as_fit_args(data.train, batch_size, task)
    return EpochBatches(x, y, batch_size=batch_size, seed=0)[0], task


def _copy(model):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _fit_repeated(model, batch, times):
    """One `model.fit` epoch over `times` copies of `batch` ((x,) or (x, y)), fed as NumPy
    arrays: a PyDataset would add Keras' per-batch generator cost (tf.data.from_generator under
    TensorFlow) to both timed arms and pull the measured XLA speed-up towards 1."""
    rows = len(keras.tree.flatten(batch[0])[0])
    x, *y = keras.tree.map_structure(lambda a: np.concatenate([np.asarray(a)] * times), batch)
    model.fit(x, y[0] if y else None, batch_size=rows, epochs=1, verbose=0, shuffle=False)


def _measure(model, batch, task, jit, steps, repeats=3):
    """(ms per step, traces, retraces) of `model.fit` over `steps` copies of `batch`, the
    median of `repeats` runs after a warm-up run (which compiles)."""
    from zoo.train import compile_model

    compile_model(model, task=task, jit_compile=jit)
    counter = TraceCounter(model)
    _fit_repeated(model, batch, 2)
    after_warmup = counter.traces
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _fit_repeated(model, batch, steps)
        times.append((time.perf_counter() - start) / steps)
    return 1000 * statistics.median(times), counter.traces, counter.traces - after_warmup


def check_xla(model, data, *, task=None, batch_size=32, steps=20, verbose=True) -> XlaReport:
    """Compile `model`'s train step with XLA on one batch of `data` and compare it without.

    data: a `zoo.data.Splits` (NumPy), a dataset name, or an `(x, y)` pair. The step is timed
    over `steps` steps after a warm-up (the compile is not timed). XLA is recommended where it
    is at least 5% faster. The model's own `fit` path runs the steps (Keras' loop, zoo's loss and
    metrics), so the figures are what `zoo.train` would see. Prints the report when `verbose`; returns it (`XlaReport`).

        >>> import zoo
        >>> report = zoo.check_xla(zoo.build("mlp", hidden_units=(16,)), "digits", steps=3,
        ...                        verbose=False)
        >>> report.compiles, report.retraces
        (True, 0)
    """
    from zoo.train.policy import family_of
    from zoo.train.policy import jit_compile as policy

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"check_xla: steps must be an int >= 1, got {steps!r}")
    batch, task = _first_batch(model, data, task, batch_size)
    backend = keras.backend.backend()
    picked = policy("auto", family=family_of(model))
    try:
        xla_ms, traces, retraces = _measure(_copy(model), batch, task, True, steps)
    except Exception as err:  # noqa: BLE001 -- the compiler's errors have many types; report
        text = str(err)
        found = list(dict.fromkeys((op, node) for op, _, node in _UNSUPPORTED.findall(text)))
        if not found and "XLA" not in text and "xla" not in text:
            raise  # not a compilation failure: the model or the data is wrong
        report = XlaReport(model.name, backend, False, found, text.strip().splitlines()[0],
                           None, None, None, None, None, False, picked)
    else:
        plain_ms, _, _ = _measure(_copy(model), batch, task, False, steps)
        speedup = plain_ms / xla_ms
        report = XlaReport(model.name, backend, True, [], None, traces, retraces, xla_ms,
                           plain_ms, speedup, speedup >= 1.05, picked)
    if verbose:
        print(report, flush=True)
    return report
