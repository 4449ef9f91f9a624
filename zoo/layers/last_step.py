"""Many-to-one for sequence nets without state: keep the last step of a (batch, steps, features)
sequence."""

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class LastStep(keras.layers.Layer):
    """`x[:, -1, :]`: the output of a causal sequence model at its last step, the one that has
    seen the whole input. Works for any (or unknown) length; ignores masks.

    Example:
        >>> import numpy as np
        >>> from zoo.layers import LastStep
        >>> LastStep()(np.arange(6, dtype="float32").reshape(1, 3, 2)).tolist()
        [[4.0, 5.0]]
    """

    def call(self, inputs):
        return inputs[:, -1, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def compute_mask(self, inputs, mask=None):
        return None
