"""The MLP learns: the digits bar the foundation promises, and a regression target."""

import numpy as np
import pytest

import zoo


@pytest.mark.slow
def test_mlp_reaches_95_percent_on_digits_test():
    data = zoo.data.digits(seed=0, as_numpy=True)
    model = zoo.build("mlp", input_shape=(8, 8), num_classes=10)
    zoo.train(model, data, epochs=30, batch_size=32, verbose=0)
    accuracy = zoo.train.evaluate(model, data)["accuracy"]
    assert accuracy >= 0.95, f"test accuracy {accuracy:.4f}"


def test_mlp_regressor_beats_predicting_the_mean():
    data = zoo.data.load("sequences:sine", seed=0, as_numpy=True)
    model = zoo.build("mlp_regressor", input_shape=data.info["input_shape"])
    zoo.train(model, data, epochs=15, batch_size=32, verbose=0)
    x_test, y_test = data.test
    mse = zoo.train.evaluate(model, data)["loss"]
    baseline = float(np.mean((y_test - data.train[1].mean()) ** 2))
    assert mse < 0.5 * baseline, f"mse {mse:.4f} vs mean-prediction {baseline:.4f}"
