"""The reparameterisation trick of a variational autoencoder (Kingma & Welling, 2014)."""

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class GaussianSampling(keras.layers.Layer):
    """Draw `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`, from `[mean, log_var]`.

    The draw is differentiable in `mean` and `log_var` (the reparameterisation trick). In
    training the noise comes from a `keras.random.SeedGenerator(seed)`; at inference
    (`training=False`) the layer returns `mean`, so predictions are deterministic.
    `kl_divergence(mean, log_var)` is the matching KL term against the N(0, I) prior.

    Example:
        >>> import numpy as np
        >>> from zoo.layers import GaussianSampling
        >>> mean, log_var = np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")
        >>> GaussianSampling(seed=0)([mean, log_var], training=True).shape
        (2, 3)
        >>> float(GaussianSampling()([mean + 1, log_var]).numpy().sum())
        6.0
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"GaussianSampling: seed must be an int or None, got {seed!r}")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None, seed=None):
        mean, log_var = inputs
        if not training:
            return mean
        eps = keras.random.normal(keras.ops.shape(mean), dtype=mean.dtype,
                                  seed=self.seed_generator if seed is None else seed)
        return mean + keras.ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, summed over latent dimensions."""
    ops = keras.ops
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
