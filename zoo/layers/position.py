"""Position information for attention, which by itself is blind to order: learned position
embeddings (GPT, ViT) or fixed sinusoids (Vaswani et al., 2017), added to the inputs."""

import math

from zoo._lazy import keras

POSITIONS = ("learned", "sinusoidal")


def sinusoidal_position_encoding(positions, dim):
    """(len(positions), dim) floats: PE(p, 2i) = sin(p / 10000^(2i/dim)),
    PE(p, 2i+1) = cos(p / 10000^(2i/dim)). Any length, no weights.

    Example:
        >>> import numpy as np
        >>> pe = np.asarray(sinusoidal_position_encoding(np.arange(3), 4))
        >>> pe.shape, pe[0].tolist()
        ((3, 4), [0.0, 1.0, 0.0, 1.0])
    """
    ops = keras.ops
    half = (dim + 1) // 2
    rates = ops.exp(ops.arange(half, dtype="float32") * (-2.0 * math.log(10000.0) / dim))
    angles = ops.cast(positions, "float32")[:, None] * rates[None, :]  # (T, ceil(dim / 2))
    # interleave: even columns sin, odd columns cos
    pe = ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (-1, 2 * half))
    return pe[:, :dim]


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a position vector to every step of (B, T, D) inputs: learned (`max_length` rows of
    weights) or sinusoidal (none). `start` offsets the positions, for decoding step by step
    with a key/value cache. Masks pass through.

    Example:
        >>> import numpy as np
        >>> layer = PositionEmbedding(max_length=16, position="sinusoidal")
        >>> np.asarray(layer(np.zeros((2, 5, 8), "float32"))).shape
        (2, 5, 8)
    """

    def __init__(self, max_length, position="learned", **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"PositionEmbedding: max_length must be an int >= 1, "
                             f"got {max_length!r}")
        if position not in POSITIONS:
            raise ValueError(f"PositionEmbedding: position must be one of {list(POSITIONS)}, "
                             f"got {position!r}")
        self.max_length = max_length
        self.position = position
        self.supports_masking = True

    def build(self, input_shape):
        if self.position == "learned":
            self.embeddings = self.add_weight(
                shape=(self.max_length, input_shape[-1]), name="embeddings",
                initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, inputs, start=0):
        ops = keras.ops
        length = inputs.shape[1] if inputs.shape[1] is not None else ops.shape(inputs)[1]
        positions = ops.arange(length) + start  # (T,)
        if self.position == "learned":
            table = ops.take(self.embeddings, positions, axis=0)  # (T, D)
        else:
            table = sinusoidal_position_encoding(positions, inputs.shape[-1])
        return inputs + ops.cast(table, inputs.dtype)[None, :, :]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length,
                "position": self.position}
