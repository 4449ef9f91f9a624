"""FireModule: shapes, the parameter formula, serialization, and the tf.function body (under
TensorFlow) giving the same numbers as the plain keras.ops body under JAX."""

import json
import textwrap

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import run_under_jax
from zoo.layers import FireModule
from zoo.layers import fire


def _model(layer, shape=(6, 6, 16)):
    inputs = keras.Input(shape, name="inputs")
    return keras.Model(inputs, layer(inputs))


def _set_seeded_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in layer.weights])


def test_output_channels_and_parameter_formula():
    layer = FireModule(8, 24, 40)
    model = _model(layer)
    assert model.output_shape == (None, 6, 6, 64)
    s, e1, e3, c_in = 8, 24, 40, 16
    assert layer.count_params() == s * (c_in + 1) + e1 * (s + 1) + e3 * (9 * s + 1)


def test_bypass_adds_the_input():
    x = np.random.default_rng(0).uniform(size=(2, 5, 5, 8)).astype("float32")
    plain, bypass = FireModule(2, 4, 4), FireModule(2, 4, 4, bypass=True)
    plain.build(x.shape)
    bypass.build(x.shape)
    _set_seeded_weights(plain)
    bypass.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(bypass(x)), np.asarray(plain(x)) + x, atol=1e-6)


def test_bypass_needs_matching_widths():
    with pytest.raises(ValueError, match="got 16 != 64"):
        _model(FireModule(8, 32, 32, bypass=True))


@pytest.mark.parametrize("kwargs", [dict(squeeze_filters=0), dict(expand3x3_filters=2.5)])
def test_bad_filters_are_echoed(kwargs):
    args = {"squeeze_filters": 4, "expand1x1_filters": 8, "expand3x3_filters": 8, **kwargs}
    bad = next(iter(kwargs.items()))
    with pytest.raises(ValueError, match=f"{bad[0]} must be an int >= 1, got {bad[1]}"):
        FireModule(**args)


def test_config_round_trip():
    layer = FireModule(4, 8, 16, bypass=False, kernel_initializer="he_normal", name="fire_x")
    config = layer.get_config()
    assert {k: config[k] for k in ("squeeze_filters", "expand1x1_filters", "expand3x3_filters",
                                   "bypass")} == {"squeeze_filters": 4, "expand1x1_filters": 8,
                                                  "expand3x3_filters": 16, "bypass": False}
    clone = FireModule.from_config(config)
    assert clone.get_config() == config
    json.dumps(keras.saving.serialize_keras_object(layer))


def test_saves_and_reloads_in_safe_mode(tmp_path):
    model = _model(FireModule(4, 8, 8, bypass=True), shape=(6, 6, 16))
    x = np.random.default_rng(1).uniform(size=(3, 6, 6, 16)).astype("float32")
    zoo.save(model, tmp_path / "fire.keras")
    reloaded = zoo.load(tmp_path / "fire.keras")
    assert isinstance(reloaded.layers[-1], FireModule)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_tensorflow_runs_the_compiled_body():
    import tensorflow as tf

    assert keras.backend.backend() == "tensorflow"
    forward = fire.forward_function()
    assert isinstance(forward.compiled, tf.types.experimental.PolymorphicFunction)
    assert forward is fire.forward_function()  # compiled once, shared by every fire module


def test_tensorflow_graph_and_jax_give_the_same_numbers(tmp_path):
    layer = FireModule(6, 10, 14, bypass=False)
    x = np.random.default_rng(2).uniform(size=(4, 7, 9, 12)).astype("float32")
    layer.build(x.shape)
    _set_seeded_weights(layer)
    y_tf = np.asarray(layer(x))
    np.savez(tmp_path / "case.npz", x=x, *layer.get_weights())

    script = textwrap.dedent(f"""
        import numpy as np, keras
        from zoo.layers import FireModule, fire
        assert keras.backend.backend() == "jax"
        assert fire.forward_function() is fire.fire_forward
        data = np.load({str(tmp_path / "case.npz")!r})
        x = data["x"]
        weights = [data[f"arr_{{i}}"] for i in range(6)]
        layer = FireModule(6, 10, 14)
        layer.build(x.shape)
        layer.set_weights(weights)
        eager = np.asarray(layer(x))
        inputs = keras.Input(x.shape[1:])
        jitted = keras.Model(inputs, layer(inputs)).predict(x, verbose=0)  # under jax.jit
        np.save({str(tmp_path / "eager.npy")!r}, eager)
        np.save({str(tmp_path / "jitted.npy")!r}, jitted)
    """)
    run_under_jax(script)
    np.testing.assert_allclose(np.load(tmp_path / "eager.npy"), y_tf, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "jitted.npy"), y_tf, rtol=1e-5, atol=1e-5)


def test_flops_match_the_hand_count():
    layer = FireModule(8, 24, 40)
    positions, c_in = 6 * 6, 16
    # 2 FLOPs per multiply-add, per position: squeeze C_in*s, expand s*e1 + 9*s*e3
    assert layer.flops((None, 6, 6, c_in)) == 2 * positions * (c_in * 8 + 8 * 24 + 9 * 8 * 40)
