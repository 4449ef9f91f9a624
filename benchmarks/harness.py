"""Timing protocol shared by every benchmark: random (non-zero) inputs of fixed shape, warm-up and
compilation excluded (compile seconds reported apart), A/B repetitions alternated in one process,
medians."""

from __future__ import annotations

import dataclasses
import platform
import statistics
import time

import numpy as np

from zoo.train.xla import TraceCounter  # noqa: F401 -- one counter for zoo and the benchmarks


@dataclasses.dataclass
class Record:
    name: str
    unit: str
    zoo: float
    reference: float | None
    ratio: float | None  # zoo / reference, higher is better (units are rates)
    machine: str
    note: str = ""
    extra: dict = dataclasses.field(default_factory=dict)


def machine_name() -> str:
    import os

    return f"{platform.machine()}-{os.cpu_count()}cpu"


def versions() -> dict:
    import keras

    found = {"python": platform.python_version(), "keras": keras.__version__,
             "backend": keras.backend.backend()}
    for module in ("tensorflow", "jax"):
        try:
            found[module] = __import__(module).__version__
        except ImportError:
            pass
    return found


def random_batch(shape, *, seed=0, dtype="float32", high=None):
    rng = np.random.default_rng(seed)
    if high is not None:
        return rng.integers(1, high, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


class StepTimer:
    """Times `steps` training steps of a compiled model with `model.fit` on in-memory tensors.

    The first call compiles (its seconds are reported as compile time); later calls reuse the
    compiled step, so timing excludes tracing. `retraces()` counts the traces of the train
    step after that first call (target: 0).
    """

    def __init__(self, model, x, y, *, batch_size, steps):
        self.model, self.batch_size, self.steps = model, batch_size, steps
        self.counter = TraceCounter(model)
        n = batch_size * steps
        reps = -(-n // len(x))
        self.x = np.concatenate([x] * reps)[:n]
        self.y = np.concatenate([y] * reps)[:n]
        start = time.perf_counter()
        self._fit(steps=2)
        self.compile_s = time.perf_counter() - start
        self.traces_at_first_step = self.counter.traces

    def _fit(self, steps):
        n = self.batch_size * steps
        self.model.fit(self.x[:n], self.y[:n], batch_size=self.batch_size, epochs=1,
                       shuffle=False, verbose=0)

    def __call__(self) -> float:
        """Seconds per step over `steps` steps."""
        start = time.perf_counter()
        self._fit(self.steps)
        return (time.perf_counter() - start) / self.steps

    def retraces(self) -> int | None:
        """Traces of the train step after the compile call (None: eager, not compiled)."""
        return self.counter.retraces_since(self.traces_at_first_step)


class EpochTimer:
    """Seconds of one epoch of `model.fit` on `data`: a batched tf.data dataset, or an `(x, y)`
    pair of arrays that Keras batches at `batch_size` (shuffled, as `fit` does by default).

    The first epoch compiles and is excluded (`compile_s`); `retraces()` as for StepTimer.
    """

    def __init__(self, model, data, *, batch_size=None):
        self.model, self.data, self.batch_size = model, data, batch_size
        self.counter = TraceCounter(model)
        self.compile_s = self()
        self.traces_at_first_step = self.counter.traces

    def __call__(self) -> float:
        start = time.perf_counter()
        if isinstance(self.data, tuple):
            x, y = self.data
            self.model.fit(x, y, batch_size=self.batch_size, epochs=1, verbose=0)
        else:
            self.model.fit(self.data, epochs=1, shuffle=False, verbose=0)  # shuffled already
        return time.perf_counter() - start

    def retraces(self) -> int | None:
        return self.counter.retraces_since(self.traces_at_first_step)


def alternate(a, b, *, repeats=5):
    """Median seconds of callables `a` and `b`, run A, B, A, B ... so drift hits both alike."""
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(a())
        times_b.append(b())
    return statistics.median(times_a), statistics.median(times_b)


def median_of(fn, *, repeats=5):
    return statistics.median(fn() for _ in range(repeats))
