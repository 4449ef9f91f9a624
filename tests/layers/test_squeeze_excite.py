"""SqueezeExcite: a channel gate in (0, 1) computed from the global average, serializable."""

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import SqueezeExcite


def test_parameters_and_shape():
    layer = SqueezeExcite(ratio=0.25)
    y = layer(np.ones((2, 5, 5, 16), "float32"))
    assert y.shape == (2, 5, 5, 16)
    units = 4  # int(16 * 0.25)
    assert layer.count_params() == 2 * 16 * units + units + 16


def test_gate_scales_each_channel_by_sigmoid_of_excitation():
    layer = SqueezeExcite(ratio=0.5)
    x = np.random.default_rng(0).uniform(size=(3, 4, 4, 8)).astype("float32")
    layer.build(x.shape)
    w1, b1, w2, b2 = (np.random.default_rng(i).normal(size=w.shape).astype("float32")
                      for i, w in enumerate(layer.get_weights()))
    layer.set_weights([w1, b1, w2, b2])
    squeezed = x.mean(axis=(1, 2))
    gate = 1 / (1 + np.exp(-(np.maximum(squeezed @ w1 + b1, 0) @ w2 + b2)))
    np.testing.assert_allclose(np.asarray(layer(x)), x * gate[:, None, None, :], rtol=1e-5,
                               atol=1e-6)


def test_works_on_sequences():
    assert SqueezeExcite()(np.ones((2, 7, 8), "float32")).shape == (2, 7, 8)


@pytest.mark.parametrize("kwargs, message", [
    (dict(ratio=0), "ratio must be in \\(0, 1\\], got 0"),
    (dict(gate="tanh"), "gate must be one of .* got 'tanh'"),
])
def test_bad_arguments_are_echoed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SqueezeExcite(**kwargs)


def test_config_round_trip_and_safe_reload(tmp_path):
    layer = SqueezeExcite(ratio=0.5, activation="swish", gate="hard_sigmoid", name="se")
    assert SqueezeExcite.from_config(layer.get_config()).get_config() == layer.get_config()
    inputs = keras.Input((4, 4, 8))
    model = keras.Model(inputs, layer(inputs))
    x = np.random.default_rng(1).uniform(size=(2, 4, 4, 8)).astype("float32")
    zoo.save(model, tmp_path / "se.keras")
    np.testing.assert_allclose(zoo.load(tmp_path / "se.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
