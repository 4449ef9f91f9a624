"""The TCN block is causal, keeps the length, and its receptive field is the published formula."""

import keras
import numpy as np
import pytest

from zoo.layers import LastStep, apply_temporal_block, receptive_field


def _block_model(filters=4, dilation_rate=2, in_channels=3):
    inputs = keras.Input((None, in_channels))
    return keras.Model(inputs, apply_temporal_block(inputs, filters, kernel_size=3,
                                                    dilation_rate=dilation_rate, name="b"))


def test_receptive_field_is_one_plus_convs_times_k_minus_1_times_sum_of_dilations():
    assert receptive_field(3, (1, 2, 4, 8)) == 1 + 2 * 2 * 15 == 61
    assert receptive_field(2, (1,), convs_per_block=1) == 2
    assert receptive_field(5, (1, 2), convs_per_block=2) == 25


def test_block_output_at_step_t_sees_only_steps_up_to_t_and_within_its_receptive_field():
    model = _block_model(dilation_rate=2)  # one block: 1 + 2 * 2 * 2 = 9 steps
    x = np.random.default_rng(0).normal(size=(2, 30, 3)).astype("float32")
    base = model.predict(x, verbose=0)
    t = 15
    future = x.copy()
    future[:, t + 1:] += 5.0
    np.testing.assert_allclose(model.predict(future, verbose=0)[:, : t + 1], base[:, : t + 1],
                               atol=1e-6)
    past = x.copy()
    past[:, t - 8] += 5.0  # the oldest step inside the field moves step t
    assert not np.allclose(model.predict(past, verbose=0)[:, t], base[:, t], atol=1e-4)
    far = x.copy()
    far[:, : t - 8] += 5.0  # steps before the field cannot
    np.testing.assert_allclose(model.predict(far, verbose=0)[:, t], base[:, t], atol=1e-5)


def test_shortcut_is_a_1x1_conv_only_when_channels_change():
    names = {layer.name for layer in _block_model(filters=4, in_channels=3).layers}
    assert "b_shortcut" in names
    names = {layer.name for layer in _block_model(filters=3, in_channels=3).layers}
    assert "b_shortcut" not in names
    assert _block_model().output_shape == (None, None, 4)


@pytest.mark.parametrize("bad", [dict(filters=0), dict(activation="sigmoidal"),
                                 dict(normalization="batch")])
def test_block_rejects_bad_arguments_naming_them(bad):
    kwargs = {"filters": 4, **bad}
    key = next(iter(bad))
    with pytest.raises(ValueError, match=key):
        apply_temporal_block(keras.Input((10, 2)), kwargs.pop("filters"), name="b", **kwargs)


def test_last_step_takes_the_final_step_and_round_trips_its_config():
    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    layer = LastStep(name="last")
    np.testing.assert_array_equal(np.asarray(layer(x)), x[:, -1])
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(clone, LastStep) and clone.name == "last"
    assert layer.compute_output_shape((None, None, 3)) == (None, 3)
