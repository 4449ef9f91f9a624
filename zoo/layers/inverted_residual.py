"""Depthwise-separable blocks as functional sub-graphs: the MobileNetV2 inverted residual
(Sandler et al., 2018) with optional squeeze-and-excitation (MobileNetV3), and the plain
depthwise-separable convolution of MobileNetV1 / Xception."""

from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM


def _bn(x, momentum, name):
    return keras.layers.BatchNormalization(momentum=momentum, name=name)(x)


def apply_inverted_residual_block(x, filters, *, expansion=6, strides=1, kernel_size=3,
                                  se_ratio=0.0, activation="relu6", bn_momentum=BN_MOMENTUM,
                                  name):
    """1x1 expand (C_in * expansion) -> depthwise k x k (stride) -> [squeeze-excite] -> 1x1
    linear projection to `filters`; the input is added back when stride is 1 and
    `C_in == filters`.

    The projection has no activation: a ReLU on the narrow bottleneck would destroy information
    (the "linear bottleneck"). `se_ratio` is relative to the expanded width; 0 turns SE off.
    Every batch norm has momentum `bn_momentum`.
    """
    from zoo.layers.squeeze_excite import SqueezeExcite

    in_channels = x.shape[-1]
    y = x
    if expansion != 1:
        y = keras.layers.Conv2D(in_channels * expansion, 1, use_bias=False,
                                name=f"{name}_expand_conv")(y)
        y = _bn(y, bn_momentum, f"{name}_expand_bn")
        y = keras.layers.Activation(activation, name=f"{name}_expand_{activation}")(y)
    y = keras.layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same",
                                     use_bias=False, name=f"{name}_depthwise_conv")(y)
    y = _bn(y, bn_momentum, f"{name}_depthwise_bn")
    y = keras.layers.Activation(activation, name=f"{name}_depthwise_{activation}")(y)
    if se_ratio:
        y = SqueezeExcite(ratio=se_ratio, name=f"{name}_se")(y)
    y = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project_conv")(y)
    y = _bn(y, bn_momentum, f"{name}_project_bn")
    if strides == 1 and in_channels == filters:
        y = keras.layers.Add(name=f"{name}_add")([x, y])
    return y


def apply_separable_block(x, filters, *, strides=1, kernel_size=3, se_ratio=0.0,
                          activation="relu6", bn_momentum=BN_MOMENTUM, name):
    """Depthwise k x k (stride) -> BN -> act -> [squeeze-excite] -> pointwise 1x1 -> BN -> act.

    The MobileNetV1 block: k*k*C_in + C_in*filters weights instead of a full convolution's
    k*k*C_in*filters. Both batch norms have momentum `bn_momentum`.
    """
    from zoo.layers.squeeze_excite import SqueezeExcite

    y = keras.layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same",
                                     use_bias=False, name=f"{name}_depthwise_conv")(x)
    y = _bn(y, bn_momentum, f"{name}_depthwise_bn")
    y = keras.layers.Activation(activation, name=f"{name}_depthwise_{activation}")(y)
    if se_ratio:
        y = SqueezeExcite(ratio=se_ratio, name=f"{name}_se")(y)
    y = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise_conv")(y)
    y = _bn(y, bn_momentum, f"{name}_pointwise_bn")
    return keras.layers.Activation(activation, name=f"{name}_pointwise_{activation}")(y)
