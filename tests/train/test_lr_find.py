"""The learning-rate range test: rates grow geometrically, the model's weights come back exactly,
divergence stops the sweep early, and the suggestion sits a decade below the lowest loss."""

import numpy as np
import pytest

from zoo.train.lr_find import range_test


def _problem(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    return model, x, y


def test_range_test_restores_weights_and_suggests_below_the_minimum():
    model, x, y = _problem()
    before = [w.numpy().copy() for w in model.weights]
    found = range_test(model, x, y, batch_size=16, start=1e-4, end=10.0, steps=40)
    after = [w.numpy() for w in model.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    rates = np.array(found.learning_rates)
    assert np.all(np.diff(rates) > 0) and rates[0] == pytest.approx(1e-4)
    # 10.0 makes this problem diverge: the sweep stops before its 40 steps
    assert len(found.losses) < 40
    best = int(np.argmin(found.losses))
    assert found.losses[best] < found.losses[0]
    assert found.suggestion == pytest.approx(min(max(rates[best] / 10, 1e-4), 0.1))
    assert "suggested" in found.summary()


@pytest.mark.parametrize("kwargs", [dict(start=0.0), dict(start=1.0, end=0.1), dict(steps=2)])
def test_range_test_rejects_bad_arguments(kwargs):
    model, x, y = _problem()
    with pytest.raises(ValueError, match="lr range test"):
        range_test(model, x, y, **kwargs)
