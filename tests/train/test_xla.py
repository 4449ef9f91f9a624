"""zoo.check_xla: names the ops XLA cannot compile (instead of TensorFlow's wall of graph
text), counts traces, times the step both ways and recommends; the model passed in is left as
it was."""

import numpy as np
import pytest

import keras

import zoo
from zoo import cli


@keras.saving.register_keras_serializable(package="zoo_tests")
class StringRoundTrip(keras.layers.Layer):
    """Adds the length of each value's decimal text: a string op with no XLA kernel."""

    def call(self, x):
        import tensorflow as tf

        return x + tf.cast(tf.strings.length(tf.strings.as_string(x)), x.dtype) * 0.0


def test_a_model_xla_cannot_compile_is_reported_by_op_name(capsys):
    inputs = keras.Input((8, 8))
    x = StringRoundTrip(name="to_text")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x), name="stringy")
    report = zoo.check_xla(model, "digits", steps=2)
    assert report.compiles is False and report.recommended is False
    assert [op for op, _ in report.unsupported_ops] == ["AsString"]
    assert "to_text" in report.unsupported_ops[0][1]  # the layer that holds it
    printed = capsys.readouterr().out
    assert "XLA cannot compile the train step: AsString" in printed
    assert "jit_compile=False" in printed


def test_a_model_that_compiles_gets_figures_and_is_left_untouched(capsys):
    model = zoo.build("mlp", hidden_units=(16,))
    before = [w.copy() for w in model.get_weights()]
    report = zoo.check_xla(model, "digits", steps=3)
    assert report.compiles and report.unsupported_ops == []
    assert report.retraces == 0 and 1 <= report.traces <= 2
    assert report.xla_step_ms > 0 and report.plain_step_ms > 0
    assert report.speedup == pytest.approx(report.plain_step_ms / report.xla_step_ms)
    assert report.recommended == (report.speedup >= 1.05)
    assert report.policy is False  # the measured table: no XLA for dense models on CPU
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not model.compiled  # the check compiled copies, not the model
    assert "speed-up" in capsys.readouterr().out


def test_check_xla_command_and_bad_steps(capsys):
    assert cli.main(["check-xla", "mlp", "--steps", "2", "--set", "hidden_units=(8,)"]) == 0
    assert "check_xla mlp (tensorflow)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="steps must be an int >= 1, got 0"):
        zoo.check_xla(zoo.build("mlp"), "digits", steps=0)
