"""The custom training loop gives model.fit's weights on the same batches and seed (TensorFlow
with XLA, and JAX), and with fixed batch shapes an epoch traces the train step once -- in the
loop and in zoo.train.fit."""

import textwrap

import numpy as np
import pytest

import keras

import zoo
from zoo.train.xla import TraceCounter
from tests.helpers import run_under_jax
from zoo.train.loop import TrainLoop

# dropout (seeded masks) and L2 (the model's own losses) are what a hand loop gets wrong
MLP = dict(input_shape=(8, 8), num_classes=10, hidden_units=(32,), dropout=0.2, l2=1e-4)


def _small_digits():
    """600 training rows (ragged at batch 64), no validation split: compile time, not data,
    is what these tests pay for."""
    data = zoo.data.digits(as_numpy=True)
    x, y = data.train
    return zoo.data.Splits(train=(x[:600], y[:600]), validation=None, test=data.test,
                           info=data.info)


def _fresh():
    keras.utils.set_random_seed(0)
    return zoo.build("mlp", **MLP)


def test_xla_loop_matches_model_fit_on_the_same_batches():
    data = _small_digits()
    reference = _fresh()
    zoo.train.compile_model(reference, jit_compile=True)
    fitted = zoo.train.fit(reference, data, epochs=2, batch_size=64, compile=False, verbose=0)

    model = _fresh()
    loop = TrainLoop.for_task(model, jit_compile=True)
    history = loop.fit(*data.train, epochs=2, batch_size=64, verbose=0)
    assert loop.jit_compile is True and loop.traces["train"] == 1  # 2 epochs, one trace
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(history[key], fitted.history[key], rtol=1e-5)
    assert history["loss"][1] < history["loss"][0]


def test_loop_step_by_step_and_a_new_shape_retraces():
    model = _fresh()
    loop = TrainLoop(model, loss="sparse_categorical_crossentropy", jit_compile=False,
                     metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    x = np.random.default_rng(0).random((48, 8, 8)).astype("float32")
    y = np.arange(48) % 10
    before = [w.copy() for w in model.get_weights()]
    logs = loop.train_step(x[:16], y[:16])
    assert set(logs) == {"loss", "accuracy"} and np.isfinite(logs["loss"])
    loop.train_step(x[16:32], y[16:32])
    assert loop.traces["train"] == 1
    loop.train_step(x[32:40], y[32:40])  # a ragged batch: what drop_remainder avoids
    assert loop.traces["train"] == 2
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.compile(loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    expected = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    got = loop.evaluate(x, y, batch_size=20)  # 20, 20, 8: the mean is weighted by batch size
    assert got == pytest.approx({k: float(v) for k, v in expected.items()}, rel=1e-5)
    with pytest.raises(ValueError, match="must be built"):
        TrainLoop(keras.Sequential([keras.layers.Dense(2)]), loss="mse")


def test_zoo_train_fit_traces_no_new_step_after_the_first_epoch():
    data = _small_digits()
    model = zoo.build("mlp", **MLP)
    zoo.train.compile_model(model)
    counter = TraceCounter(model)
    per_epoch = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: per_epoch.append(counter.traces))
    zoo.train.fit(model, data, epochs=3, batch_size=64, compile=False, verbose=0,
                  callbacks=[record])
    # tf.function traces a step that creates variables twice, then never again
    assert 1 <= per_epoch[0] <= 2 and per_epoch == [per_epoch[0]] * 3, per_epoch


def test_jax_loop_matches_model_fit():
    run_under_jax(textwrap.dedent(f"""
        import numpy as np, keras, zoo
        from tests.train.test_loop import _small_digits
        from zoo.train.loop import TrainLoop
        data = _small_digits()
        def fresh():
            keras.utils.set_random_seed(0)
            return zoo.build("mlp", **{MLP!r})
        reference = fresh()
        zoo.train.compile_model(reference, jit_compile=True)
        fitted = zoo.train.fit(reference, data, epochs=2, batch_size=64, compile=False,
                               verbose=0)
        model = fresh()
        loop = TrainLoop.for_task(model, jit_compile=True)
        history = loop.fit(*data.train, epochs=2, batch_size=64, verbose=0)
        assert loop.traces["train"] == 1, loop.traces
        for ours, theirs in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(history["loss"], fitted.history["loss"], rtol=1e-5)

        # jax.jit compiles once per input shape: zoo's fixed-shape batches trace the train step
        # once per run; model.fit on the same arrays traces again for the ragged last batch
        from zoo.train.xla import TraceCounter
        x, y = data.train
        assert len(x) % 64
        for feed in ("zoo", "keras"):
            model = zoo.build("mlp", **{MLP!r})
            zoo.train.compile_model(model, jit_compile=True)
            counter = TraceCounter(model)
            if feed == "zoo":
                zoo.train.fit(model, data, epochs=2, batch_size=64, compile=False, verbose=0)
                assert counter.traces == 1, counter.traces
            else:
                model.fit(x, y, epochs=1, batch_size=64, verbose=0)
                assert counter.traces == 2, counter.traces
    """))
