"""Squeeze-and-excitation (Hu et al., 2018): rescale each channel by a gate computed from the
global average of all channels. Channels-last."""

from zoo._lazy import keras

ACTIVATIONS = ("relu", "relu6", "swish", "gelu", "elu")
GATES = ("sigmoid", "hard_sigmoid")


def _se_units(channels: int, ratio: float) -> int:
    return max(1, int(channels * ratio))


@keras.saving.register_keras_serializable(package="zoo")
class SqueezeExcite(keras.layers.Layer):
    """Channel attention: `x * gate(W2 act(W1 mean_hw(x) + b1) + b2)`.

    `ratio` sets the bottleneck width: `units = max(1, int(channels * ratio))`. Adds
    `2 * channels * units + units + channels` parameters.

    Example:
        >>> import numpy as np
        >>> from zoo.layers import SqueezeExcite
        >>> SqueezeExcite(ratio=0.25)(np.ones((1, 4, 4, 8), "float32")).shape
        (1, 4, 4, 8)
    """

    def __init__(self, ratio=0.25, activation="relu", gate="sigmoid", **kwargs):
        super().__init__(**kwargs)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f"SqueezeExcite: ratio must be in (0, 1], got {ratio!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"SqueezeExcite: activation must be one of {ACTIVATIONS}, "
                             f"got {activation!r}")
        if gate not in GATES:
            raise ValueError(f"SqueezeExcite: gate must be one of {GATES}, got {gate!r}")
        self.ratio = ratio
        self.activation = activation
        self.gate = gate

    def build(self, input_shape):
        channels = int(input_shape[-1])
        units = _se_units(channels, self.ratio)
        self.reduce_kernel = self.add_weight(
            shape=(channels, units), initializer="glorot_uniform", name="reduce_kernel")
        self.reduce_bias = self.add_weight(shape=(units,), initializer="zeros", name="reduce_bias")
        self.expand_kernel = self.add_weight(
            shape=(units, channels), initializer="glorot_uniform", name="expand_kernel")
        self.expand_bias = self.add_weight(
            shape=(channels,), initializer="zeros", name="expand_bias")

    def call(self, inputs):
        ops = keras.ops
        spatial_axes = tuple(range(1, len(inputs.shape) - 1))
        squeezed = ops.mean(inputs, axis=spatial_axes, keepdims=True)  # (B, 1, 1, C)
        hidden = getattr(keras.activations, self.activation)(
            ops.matmul(squeezed, self.reduce_kernel) + self.reduce_bias)
        gate = getattr(keras.activations, self.gate)(
            ops.matmul(hidden, self.expand_kernel) + self.expand_bias)
        return inputs * gate

    def compute_output_shape(self, input_shape):
        return input_shape

    def flops(self, input_shape) -> int:
        """2 FLOPs per multiply-add of the two gate matmuls (see zoo.models.flops)."""
        channels = int(input_shape[-1])
        return 2 * 2 * channels * _se_units(channels, self.ratio)

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio, "activation": self.activation,
                "gate": self.gate}
