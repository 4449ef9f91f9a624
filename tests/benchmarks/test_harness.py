"""The benchmark harness counts what it reports: retraces of the train step after step 1."""

import numpy as np

import zoo
from benchmarks.harness import StepTimer, TraceCounter


def _mlp():
    model = zoo.build("mlp", input_shape=(4,), hidden_units=(8,), num_classes=3)
    zoo.train.compile_model(model, task="classification", jit_compile=False)
    return model


def test_step_timer_sees_no_retrace_at_a_fixed_batch_shape():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.integers(0, 3, size=16)
    timer = StepTimer(_mlp(), x, y, batch_size=8, steps=3)
    timer()
    timer()
    assert timer.retraces() == 0


def test_trace_counter_counts_the_retrace_of_a_new_batch_shape():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)).astype("float32"), rng.integers(0, 3, size=20)
    model = _mlp()
    counter = TraceCounter(model)
    model.fit(x[:16], y[:16], batch_size=8, verbose=0)
    first = counter.traces
    model.fit(x[:16], y[:16], batch_size=8, verbose=0)
    assert counter.retraces_since(first) == 0
    model.fit(x, y, batch_size=8, verbose=0)  # a last batch of 4: a new input shape
    assert counter.retraces_since(first) >= 1
