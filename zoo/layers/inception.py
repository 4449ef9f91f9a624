"""The inception block (Szegedy et al., 2015, GoogLeNet "module with dimension reductions") as a
functional sub-graph: four parallel paths concatenated along channels."""

import functools

from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM


def _conv_bn_relu(x, filters, kernel_size, *, batch_norm, bn_momentum, name):
    x = keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batch_norm,
                            kernel_initializer="he_normal", name=f"{name}_conv")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def apply_inception_block(x, filters, *, batch_norm=True, bn_momentum=BN_MOMENTUM, name):
    """Paths 1x1 | 1x1->3x3 | 1x1->5x5 | maxpool3x3->1x1, concatenated.

    `filters = (f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, f_pool)` as in the GoogLeNet table
    (inception 3a is `(64, 96, 128, 16, 32, 32)`); the 1x1 "reduce" convolutions are the
    bottlenecks that make the 3x3 and 5x5 paths affordable. Output channels:
    `f1x1 + f3x3 + f5x5 + f_pool`; the spatial size is kept. Each convolution is followed by
    batch norm (Inception v2, momentum `bn_momentum`) when `batch_norm`, else it has a bias
    (GoogLeNet v1), and a ReLU.
    """
    if len(filters) != 6:
        raise ValueError(
            f"apply_inception_block: filters must be 6 ints (f1x1, f3x3_reduce, f3x3, "
            f"f5x5_reduce, f5x5, f_pool), got {filters!r}")
    f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, f_pool = filters
    conv_bn_relu = functools.partial(_conv_bn_relu, batch_norm=batch_norm,
                                     bn_momentum=bn_momentum)
    path1 = conv_bn_relu(x, f1x1, 1, name=f"{name}_1x1")
    path3 = conv_bn_relu(x, f3x3_reduce, 1, name=f"{name}_3x3_reduce")
    path3 = conv_bn_relu(path3, f3x3, 3, name=f"{name}_3x3")
    path5 = conv_bn_relu(x, f5x5_reduce, 1, name=f"{name}_5x5_reduce")
    path5 = conv_bn_relu(path5, f5x5, 5, name=f"{name}_5x5")
    pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool3x3")(x)
    pool = conv_bn_relu(pool, f_pool, 1, name=f"{name}_pool_proj")
    return keras.layers.Concatenate(axis=-1, name=f"{name}_concat")([path1, path3, path5, pool])
