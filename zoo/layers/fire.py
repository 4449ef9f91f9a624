"""The SqueezeNet fire module (Iandola et al., 2016): a 1x1 "squeeze" convolution feeding a
1x1 and a 3x3 "expand" convolution whose outputs are concatenated.

The forward pass is one pure function of the input and the weights, written with `keras.ops`.
Under the TensorFlow backend it is compiled once with `tf.function` (the TensorFlow-only branch
is `_tensorflow_forward`); under JAX and the others it runs as is, inside whatever jit Keras
applies. tests/layers/test_fire.py checks both paths give the same numbers.
"""

import functools

from zoo import validation as check
from zoo._lazy import keras


def fire_forward(inputs, squeeze_kernel, squeeze_bias, expand1x1_kernel, expand1x1_bias,
                 expand3x3_kernel, expand3x3_bias, bypass=False):
    """relu(concat(e1x1(s), e3x3(s))) with s = relu(squeeze(x)); plus x when `bypass`."""
    ops = keras.ops
    squeezed = ops.relu(ops.conv(inputs, squeeze_kernel, padding="valid") + squeeze_bias)
    expanded1x1 = ops.relu(ops.conv(squeezed, expand1x1_kernel, padding="valid") + expand1x1_bias)
    expanded3x3 = ops.relu(ops.conv(squeezed, expand3x3_kernel, padding="same") + expand3x3_bias)
    outputs = ops.concatenate([expanded1x1, expanded3x3], axis=-1)
    return outputs + inputs if bypass else outputs


@functools.cache
def _tensorflow_forward():
    """TensorFlow only: `fire_forward` compiled into one graph function (traced per shape).

    Weights enter as tensors (read from the variables outside), so one trace serves every fire
    module whose shapes match, and a trace is never reused for weights of another shape.
    """
    import tensorflow as tf

    compiled = tf.function(fire_forward, reduce_retracing=True, autograph=False)

    def forward(inputs, *weights, bypass=False):
        return compiled(inputs, *(tf.convert_to_tensor(w) for w in weights), bypass=bypass)

    forward.compiled = compiled
    return forward


def forward_function():
    """The forward function the active backend runs: `fire_forward`, through a `tf.function`
    under TensorFlow."""
    if keras.backend.backend() == "tensorflow":
        return _tensorflow_forward()
    return fire_forward


@keras.saving.register_keras_serializable(package="zoo")
class FireModule(keras.layers.Layer):
    """Fire module: squeeze 1x1 (`squeeze_filters`) -> expand 1x1 (`expand1x1_filters`) and
    expand 3x3 (`expand3x3_filters`), concatenated; ReLU after each convolution.

    Output channels: `expand1x1_filters + expand3x3_filters`; parameters:
    `s*(C_in + 1) + e1*(s + 1) + e3*(9*s + 1)`. With `bypass=True` the input is added to the
    output (the paper's simple bypass), which needs `C_in == e1 + e3`.

    Example:
        >>> import numpy as np
        >>> from zoo.layers import FireModule
        >>> FireModule(16, 64, 64)(np.ones((1, 8, 8, 32), "float32")).shape
        (1, 8, 8, 128)
    """

    def __init__(self, squeeze_filters, expand1x1_filters, expand3x3_filters, bypass=False,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("squeeze_filters", squeeze_filters),
                           ("expand1x1_filters", expand1x1_filters),
                           ("expand3x3_filters", expand3x3_filters)):
            check.at_least("FireModule", arg, value, 1, noun="an int")
        check.choice("FireModule", "bypass", bypass, (False, True))
        self.squeeze_filters = squeeze_filters
        self.expand1x1_filters = expand1x1_filters
        self.expand3x3_filters = expand3x3_filters
        self.bypass = bypass
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    @property
    def filters(self) -> int:
        return self.expand1x1_filters + self.expand3x3_filters

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if self.bypass and channels != self.filters:
            raise ValueError(
                f"FireModule: bypass needs input channels == expand1x1_filters + "
                f"expand3x3_filters, got {channels} != {self.filters}")
        s, e1, e3 = self.squeeze_filters, self.expand1x1_filters, self.expand3x3_filters
        init = self.kernel_initializer
        self.squeeze_kernel = self.add_weight(shape=(1, 1, channels, s), initializer=init,
                                              name="squeeze_kernel")
        self.squeeze_bias = self.add_weight(shape=(s,), initializer="zeros", name="squeeze_bias")
        self.expand1x1_kernel = self.add_weight(shape=(1, 1, s, e1), initializer=init,
                                                name="expand1x1_kernel")
        self.expand1x1_bias = self.add_weight(shape=(e1,), initializer="zeros",
                                              name="expand1x1_bias")
        self.expand3x3_kernel = self.add_weight(shape=(3, 3, s, e3), initializer=init,
                                                name="expand3x3_kernel")
        self.expand3x3_bias = self.add_weight(shape=(e3,), initializer="zeros",
                                              name="expand3x3_bias")

    def call(self, inputs):
        weights = [self.squeeze_kernel, self.squeeze_bias, self.expand1x1_kernel,
                   self.expand1x1_bias, self.expand3x3_kernel, self.expand3x3_bias]
        # `.value`: the backend's own variable/array, autocast applied
        weights = [w.value for w in weights]
        return forward_function()(inputs, *weights, bypass=self.bypass)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def flops(self, input_shape) -> int:
        """2 FLOPs per multiply-add of the three convolutions (see zoo.models.flops)."""
        positions = 1
        for d in input_shape[1:-1]:
            positions *= int(d)
        s, e1, e3 = self.squeeze_filters, self.expand1x1_filters, self.expand3x3_filters
        return 2 * positions * (int(input_shape[-1]) * s + s * e1 + 9 * s * e3)

    def get_config(self):
        return {
            **super().get_config(),
            "squeeze_filters": self.squeeze_filters,
            "expand1x1_filters": self.expand1x1_filters,
            "expand3x3_filters": self.expand3x3_filters,
            "bypass": self.bypass,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
