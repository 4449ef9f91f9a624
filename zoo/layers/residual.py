"""Residual blocks (He et al., 2016) as functional sub-graphs of standard Keras layers.

Each `apply_*` call adds named layers to the graph of `x` (`f"{name}_1_conv"`, ...), so a model
built from them serializes with no custom code, and summaries, FLOP counts and layer surgery
see every convolution.
"""

import functools

from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM

BN_EPSILON = 1.001e-5


def _conv_bn(x, filters, kernel_size, *, strides=1, activation=True, bn_momentum, name):
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                            use_bias=False, kernel_initializer="he_normal",
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=BN_EPSILON,
                                        name=f"{name}_bn")(x)
    if activation:
        x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    return x


def apply_residual_block(x, filters, *, strides=1, bottleneck=False, expansion=4,
                         bn_momentum=BN_MOMENTUM, name):
    """One post-activation residual block: `relu(F(x) + shortcut(x))`.

    Basic: two 3x3 convolutions with `filters` channels (output `filters`). Bottleneck: 1x1
    down to `filters`, 3x3 (carrying the stride), 1x1 up to `filters * expansion` (output
    `filters * expansion`). The shortcut is the identity when shape is unchanged, otherwise a
    strided 1x1 convolution with batch norm (`f"{name}_0_conv"`). Every batch norm has
    momentum `bn_momentum`.
    """
    conv_bn = functools.partial(_conv_bn, bn_momentum=bn_momentum)
    out_filters = filters * expansion if bottleneck else filters
    if strides != 1 or x.shape[-1] != out_filters:
        shortcut = conv_bn(x, out_filters, 1, strides=strides, activation=False,
                           name=f"{name}_0")
    else:
        shortcut = x
    if bottleneck:
        y = conv_bn(x, filters, 1, name=f"{name}_1")
        y = conv_bn(y, filters, 3, strides=strides, name=f"{name}_2")
        y = conv_bn(y, out_filters, 1, activation=False, name=f"{name}_3")
    else:
        y = conv_bn(x, filters, 3, strides=strides, name=f"{name}_1")
        y = conv_bn(y, filters, 3, activation=False, name=f"{name}_2")
    y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return keras.layers.Activation("relu", name=f"{name}_out")(y)
