"""Carry a token-padding mask past layers that drop it (Conv1D, pooling), so a recurrent layer
after a convolutional front end still skips padded steps."""

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class PaddingMask(keras.layers.Layer):
    """Called on `[features, token_ids]`: returns `features` unchanged, masked where the ids are
    padding. Feature step j covers ids `[j * pool_size, (j + 1) * pool_size)` (the downsampling
    of the front end) and is padding when all of them equal `padding_id`.

    Example:
        >>> import numpy as np
        >>> from zoo.layers import PaddingMask
        >>> ids = np.array([[5, 3, 7, 0, 0, 0]])
        >>> features = np.ones((1, 3, 2), "float32")
        >>> np.asarray(PaddingMask(pool_size=2).compute_mask([features, ids])).tolist()
        [[True, True, False]]
    """

    def __init__(self, pool_size=1, padding_id=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"PaddingMask: pool_size must be an int >= 1, got {pool_size!r}")
        self.pool_size = pool_size
        self.padding_id = padding_id
        self.supports_masking = True

    def call(self, inputs):
        return inputs[0]

    def compute_mask(self, inputs, mask=None):
        ops = keras.ops
        valid = ops.cast(ops.not_equal(inputs[1], self.padding_id), "float32")
        if self.pool_size > 1:  # a window with any real token is real; floor(L / pool) windows
            valid = ops.max_pool(valid[:, :, None], self.pool_size, strides=self.pool_size,
                                 padding="valid")[:, :, 0]
        return ops.greater(valid, 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "padding_id": self.padding_id}
