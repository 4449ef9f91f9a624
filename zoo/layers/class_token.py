"""The class token of BERT and ViT: a learned vector put in front of the sequence, whose output
after the encoder summarises the whole input."""

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class ClassToken(keras.layers.Layer):
    """(B, T, D) -> (B, 1 + T, D) with a learned vector at step 0; a padding mask gains a
    True in front, so the token always attends and is attended to.

    Example:
        >>> import numpy as np
        >>> ClassToken()(np.zeros((2, 5, 8), "float32")).shape
        (2, 6, 8)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        self.token = self.add_weight(shape=(1, 1, input_shape[-1]), initializer="zeros",
                                     name="token")

    def call(self, inputs):
        ops = keras.ops
        token = ops.broadcast_to(ops.cast(self.token, inputs.dtype),
                                 (ops.shape(inputs)[0], 1, inputs.shape[-1]))
        return ops.concatenate([token, inputs], axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        ops = keras.ops
        return ops.concatenate([ops.ones_like(mask[:, :1], dtype="bool"),
                                ops.cast(mask, "bool")], axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], length, input_shape[-1])


@keras.saving.register_keras_serializable(package="zoo")
class FirstStep(keras.layers.Layer):
    """`x[:, 0, :]`: read the class token's output after the encoder.

    Example:
        >>> import numpy as np
        >>> FirstStep()(np.arange(6, dtype="float32").reshape(1, 3, 2)).tolist()
        [[0.0, 1.0]]
    """

    def call(self, inputs):
        return inputs[:, 0, :]

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])
