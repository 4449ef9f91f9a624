"""GaussianSampling: the reparameterisation trick draws N(mean, exp(log_var)), differentiably,
and is the identity on the mean at inference; kl_divergence matches its closed form."""

import numpy as np
import pytest

from zoo.layers import GaussianSampling, kl_divergence


def test_training_draws_have_the_requested_mean_and_spread():
    mean = np.full((20000, 2), [1.0, -2.0], "float32")
    log_var = np.log(np.full((20000, 2), [0.25, 4.0], "float32"))
    z = np.asarray(GaussianSampling(seed=0)([mean, log_var], training=True))
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [0.5, 2.0], rtol=0.03)


def test_inference_returns_the_mean_and_an_int_seed_repeats_the_draw():
    mean, log_var = np.ones((3, 4), "float32"), np.zeros((3, 4), "float32")
    layer = GaussianSampling(seed=1)
    np.testing.assert_array_equal(np.asarray(layer([mean, log_var])), mean)
    a = np.asarray(layer([mean, log_var], training=True, seed=7))
    b = np.asarray(layer([mean, log_var], training=True, seed=7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mean)


def test_kl_divergence_closed_form():
    mean = np.array([[0.0, 0.0], [1.0, 0.0]], "float32")
    log_var = np.array([[0.0, 0.0], [0.0, np.log(2.0)]], "float32")
    # KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2 per dimension
    expected = [0.0, 0.5 * 1.0 + 0.5 * (2.0 - 1.0 - np.log(2.0))]
    np.testing.assert_allclose(np.asarray(kl_divergence(mean, log_var)), expected, rtol=1e-5)


def test_config_round_trip_and_validation():
    layer = GaussianSampling(seed=3, name="s")
    assert GaussianSampling.from_config(layer.get_config()).seed == 3
    with pytest.raises(ValueError, match="seed must be an int"):
        GaussianSampling(seed=1.5)
