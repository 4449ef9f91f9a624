"""CNN family: plain conv/pool stacks, ResNet, Inception, depthwise-separable (MobileNet-style),
SqueezeNet, and a 1-D CNN for sequences and text.

Every 2-D builder takes an `input_shape` of rank 3 (H, W, C) or rank 2 (H, W); for rank 2 the
model adds the channel axis itself (a Reshape named "add_channel"), so `zoo train resnet
--data digits` feeds the (N, 8, 8) digits straight in. Small inputs are not upsampled: the
defaults use "same" padding and few enough strides/pools that the 8x8 digits stay >= 1x1
(8 -> 4 -> 2), and a configuration that would shrink a map below 1x1 raises ValueError naming
the layer, so a user sees the problem at build time instead of a shape error deep in Keras.
The blocks live in `zoo.layers`, imported inside the builders so that `zoo list` stays light.
"""

import math

from zoo import validation as check
from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM
from zoo.registry import Choice, Float, Int, Preset, register

PADDINGS = ("same", "valid")
POOLINGS = ("max", "avg", None)
ACTIVATIONS = ("relu", "relu6", "elu", "gelu", "swish", "leaky_relu", "tanh")


# --- shared pieces -----------------------------------------------------------------------------
def _image_shape(name, input_shape):
    """A fully known (H, W) or (H, W, C) shape."""
    input_shape = check.shape(name, "input_shape", input_shape, min_rank=2, max_rank=3)
    if any(d is None for d in input_shape):
        raise ValueError(f"{name}: input_shape must be fully known, got {input_shape!r}")
    return input_shape


def _image_inputs(name, input_shape):
    """(inputs, x): a rank-2 (H, W) input gets a channel axis appended."""
    input_shape = _image_shape(name, input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    return inputs, x


def output_size(size, kernel_size, strides, padding):
    """Spatial output length of a conv/pool: `floor((size - K + 2P) / S) + 1`, with P = 0 for
    "valid"; for "same" Keras pads so the result is `ceil(size / S)`."""
    if padding == "same":
        return math.ceil(size / strides)
    return (size - kernel_size) // strides + 1


def _check_fits(name, sizes, kernel_size, strides, padding, layer_name, input_shape):
    """The spatial sizes after a conv/pool layer; raise if it would leave no positions."""
    out = [output_size(size, kernel_size, strides, padding) for size in sizes]
    if min(out) < 1:
        raise ValueError(
            f"{name}: input_shape={tuple(input_shape)} is too small: layer {layer_name!r} "
            f"(kernel {kernel_size}, stride {strides}, padding {padding!r}) gets a "
            f"{tuple(sizes)} map; use a larger input, 'same' padding, or fewer strides/pools")
    return out


def _classifier(x, num_classes, dropout):
    """[Dropout ->] Dense "predictions" (zoo.layers.heads); the features when num_classes=None."""
    from zoo.layers.heads import apply_prediction_head

    return apply_prediction_head(x, num_classes, dropout=dropout)


def _check_stackwise(name, **lists):
    """Each `stackwise_*` list non-empty and all of the same length."""
    lengths = {k: len(v) if isinstance(v, (list, tuple)) else None for k, v in lists.items()}
    if None in lengths.values() or len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise ValueError(
            f"{name}: {', '.join(lists)} must be non-empty lists of equal length (one entry per "
            f"stack), got " + ", ".join(f"{k}={v!r}" for k, v in lists.items()))


def _common_checks(name, num_classes, dropout):
    check.num_classes(name, num_classes)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)


# --- plain CNN ---------------------------------------------------------------------------------
CNN_SEARCH_SPACE = {
    "stackwise_filters": Choice(((16, 32), (32, 64), (32, 64, 128))),
    "kernel_size": Choice((3, 5)),
    "convs_per_stack": Int(1, 2),
    "batch_norm": Choice((False, True)),
    "dense_units": Choice(((), (64,), (128,))),
    "dropout": Float(0.0, 0.5, step=0.1),
}


@register(family="cnn", task="classification", dataset="digits", search_space=CNN_SEARCH_SPACE)
def cnn(
    *,
    input_shape=(8, 8),
    num_classes=10,
    stackwise_filters=(32, 64),
    convs_per_stack=1,
    kernel_size=3,
    padding="same",
    strides=1,
    pooling="max",
    pool_size=2,
    batch_norm=False,
    bn_momentum=BN_MOMENTUM,
    activation="relu",
    dense_units=(128,),
    dropout=0.25,
    name="cnn",
):
    """Plain convolutional network: a Sequential of [Conv -> (BN) -> act] x n -> pool stacks,
    then Flatten -> Dense layers -> Dropout -> softmax.

    The classic Keras MNIST convnet, and the first baseline for small images: one stack per
    entry of `stackwise_filters`, each with `convs_per_stack` convolutions of `kernel_size`,
    `strides` and `padding`, followed by `pooling` ("max", "avg" or None) of `pool_size`.
    Each convolution has `C_out * C_in * K * K + C_out` parameters (no bias with batch norm,
    whose moving statistics follow the batches with `bn_momentum`).

    Example:
        >>> import zoo
        >>> zoo.build("cnn").output_shape
        (None, 10)
        >>> zoo.build("cnn", input_shape=(28, 28, 1), padding="valid").get_layer(
        ...     "stack1_conv1").output.shape
        (None, 26, 26, 32)
    """
    from zoo.layers.heads import prediction_layers

    stackwise_filters = check.int_list(name, "stackwise_filters", stackwise_filters)
    check.integer(name, "convs_per_stack", convs_per_stack, min_value=1)
    check.integer(name, "kernel_size", kernel_size, min_value=1)
    check.choice(name, "padding", padding, PADDINGS)
    check.integer(name, "strides", strides, min_value=1)
    check.choice(name, "pooling", pooling, POOLINGS)
    check.integer(name, "pool_size", pool_size, min_value=1)
    check.choice(name, "batch_norm", batch_norm, (False, True))
    check.bn_momentum(name, bn_momentum)
    check.choice(name, "activation", activation, ACTIVATIONS)
    dense_units = check.int_list(name, "dense_units", dense_units, min_len=0)
    _common_checks(name, num_classes, dropout)

    input_shape = _image_shape(name, input_shape)
    layers = [keras.Input(shape=input_shape, name="inputs")]
    if len(input_shape) == 2:
        layers.append(keras.layers.Reshape((*input_shape, 1), name="add_channel"))
    sizes = list(input_shape[:2])
    for i, filters in enumerate(stackwise_filters, start=1):
        for j in range(1, convs_per_stack + 1):
            conv_name = f"stack{i}_conv{j}"
            sizes = _check_fits(name, sizes, kernel_size, strides, padding, conv_name,
                                input_shape)
            layers.append(keras.layers.Conv2D(
                filters, kernel_size, strides=strides, padding=padding, use_bias=not batch_norm,
                kernel_initializer="he_normal", name=conv_name))
            if batch_norm:
                layers.append(keras.layers.BatchNormalization(momentum=bn_momentum,
                                                              name=f"{conv_name}_bn"))
            layers.append(keras.layers.Activation(activation, name=f"{conv_name}_{activation}"))
        if pooling is not None:
            sizes = _check_fits(name, sizes, pool_size, pool_size, "valid", f"stack{i}_pool",
                                input_shape)
            pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
            layers.append(pool(pool_size, name=f"stack{i}_pool"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(dense_units, start=1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"dense_{i}"))
    layers += prediction_layers(num_classes, dropout=dropout)
    return keras.Sequential(layers, name=name)


# --- ResNet ------------------------------------------------------------------------------------
BLOCK_TYPES = ("basic", "bottleneck")

RESNET_SEARCH_SPACE = {
    "stackwise_filters": Choice(((16, 32, 64), (32, 64, 128))),
    "stackwise_blocks": Choice(((1, 1, 1), (2, 2, 2), (3, 3, 3))),
    "block_type": Choice(BLOCK_TYPES),
    "dropout": Float(0.0, 0.5, step=0.1),
}

# The ImageNet ResNet-50 of He et al. (v1.5: the stride sits on the 3x3 convolution); not
# registered, since a 224x224 model is too heavy for the per-model CI checks:
# `zoo.build("resnet", **RESNET50)` has torchvision's 25,557,032 trainable parameters; not
# registered, being ImageNet-sized: the every-model tests build each registered preset.
RESNET50 = Preset(
    description="ResNet-50 (He et al., 2016) for 224x224 ImageNet",
    input_shape=(224, 224, 3), num_classes=1000, stackwise_filters=(64, 128, 256, 512),
    stackwise_blocks=(3, 4, 6, 3), stackwise_strides=(1, 2, 2, 2), block_type="bottleneck",
    stem_filters=64, stem_kernel_size=7, stem_strides=2, stem_pool=True,
)


@register(
    family="cnn",
    task="classification",
    dataset="digits",
    search_space=RESNET_SEARCH_SPACE,
    presets={
        "resnet_small": Preset(
            description="ResNet-8: the CIFAR-style residual network with one basic block "
            "per stage; a fast residual baseline for tiny images.",
            stackwise_blocks=(1, 1, 1)),
        "resnet_bottleneck": Preset(
            description="CIFAR-style ResNet of 1x1-3x3-1x1 bottleneck blocks (expansion 4), "
            "two per stage.",
            block_type="bottleneck", stackwise_blocks=(2, 2, 2)),
    },
)
def resnet(
    *,
    input_shape=(8, 8),
    num_classes=10,
    stackwise_filters=(16, 32, 64),
    stackwise_blocks=(3, 3, 3),
    stackwise_strides=(1, 2, 2),
    block_type="basic",
    expansion=4,
    stem_filters=16,
    stem_kernel_size=3,
    stem_strides=1,
    stem_pool=False,
    bn_momentum=BN_MOMENTUM,
    dropout=0.0,
    name="resnet",
):
    """Residual network (He et al., 2016): stem -> stacks of residual blocks -> global average
    pool -> softmax. The default is the CIFAR-style ResNet-20 (3 stages of 3 basic blocks,
    16/32/64 filters).

    Use it when a plain CNN stops improving with depth: the identity shortcuts keep deep
    stacks trainable. Depth and width are data: stack `i` has `stackwise_blocks[i]` blocks of
    `stackwise_filters[i]` filters, the first strided by `stackwise_strides[i]`. `block_type`
    "basic" is two 3x3 convolutions; "bottleneck" is 1x1 -> 3x3 -> 1x1 with `expansion` times
    more output channels. `stem_kernel_size=7, stem_strides=2, stem_pool=True` gives the
    ImageNet stem (see `RESNET50`). Every convolution is followed by batch norm with
    `bn_momentum` (PyTorch's 0.1, not Keras' 0.99, so a short fit evaluates as well as it trains).

    Example:
        >>> import zoo
        >>> zoo.build("resnet_small").output_shape
        (None, 10)
        >>> zoo.build("resnet_bottleneck", num_classes=None).output_shape
        (None, 256)
    """
    from zoo.layers.residual import BN_EPSILON, apply_residual_block

    stackwise_filters = check.int_list(name, "stackwise_filters", stackwise_filters)
    stackwise_blocks = check.int_list(name, "stackwise_blocks", stackwise_blocks)
    stackwise_strides = check.int_list(name, "stackwise_strides", stackwise_strides)
    _check_stackwise(name, stackwise_filters=stackwise_filters,
                     stackwise_blocks=stackwise_blocks, stackwise_strides=stackwise_strides)
    check.choice(name, "block_type", block_type, BLOCK_TYPES)
    check.integer(name, "expansion", expansion, min_value=1)
    check.integer(name, "stem_filters", stem_filters, min_value=1)
    check.integer(name, "stem_kernel_size", stem_kernel_size, min_value=1)
    check.integer(name, "stem_strides", stem_strides, min_value=1)
    check.choice(name, "stem_pool", stem_pool, (False, True))
    check.bn_momentum(name, bn_momentum)
    _common_checks(name, num_classes, dropout)

    inputs, x = _image_inputs(name, input_shape)
    x = keras.layers.Conv2D(stem_filters, stem_kernel_size, strides=stem_strides,
                            padding="same", use_bias=False, kernel_initializer="he_normal",
                            name="stem_conv")(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, epsilon=BN_EPSILON,
                                        name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    if stem_pool:
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for s, (filters, blocks, strides) in enumerate(
            zip(stackwise_filters, stackwise_blocks, stackwise_strides), start=1):
        for b in range(1, blocks + 1):
            x = apply_residual_block(
                x, filters, strides=strides if b == 1 else 1,
                bottleneck=block_type == "bottleneck", expansion=expansion,
                bn_momentum=bn_momentum, name=f"stack{s}_block{b}")
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, _classifier(x, num_classes, dropout), name=name)


# --- Inception ---------------------------------------------------------------------------------
INCEPTION_SEARCH_SPACE = {
    "stem_filters": Choice((16, 32, 64)),
    "batch_norm": Choice((False, True)),
    "stackwise_filters": Choice((
        ((16, 16, 24, 4, 8, 8), (24, 24, 32, 8, 16, 16), (32, 32, 48, 8, 16, 16)),
        # as many stacks as the default stackwise_pool, which is not searched
        ((32, 32, 48, 8, 16, 16), (48, 48, 64, 12, 24, 24), (64, 64, 96, 16, 32, 32)),
    )),
    "dropout": Float(0.0, 0.5, step=0.1),
}


@register(family="cnn", task="classification", dataset="shapes",
          search_space=INCEPTION_SEARCH_SPACE)
def inception(
    *,
    input_shape=(32, 32, 3),
    num_classes=4,
    stem_filters=32,
    stem_pool=True,
    stackwise_filters=((16, 16, 24, 4, 8, 8), (24, 24, 32, 8, 16, 16), (32, 32, 48, 8, 16, 16)),
    stackwise_pool=(False, True, False),
    batch_norm=True,
    bn_momentum=BN_MOMENTUM,
    dropout=0.2,
    name="inception",
):
    """Inception network (GoogLeNet-style): a conv stem, then inception blocks whose 1x1, 3x3,
    5x5 and pool paths run in parallel and are concatenated, then global average pooling.

    Use it when objects appear at several scales: each block sees 1x1, 3x3 and 5x5 contexts at
    once, with 1x1 bottlenecks before the costly 3x3 and 5x5 convolutions. Block `i` has the
    six widths `stackwise_filters[i] = (f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, f_pool)`
    and is followed by a stride-2 max pool when `stackwise_pool[i]`. `stem_pool` halves the
    input after the stem (turn it off for 8x8 digits). `batch_norm=True` follows every
    convolution with batch norm (Inception v2) of momentum `bn_momentum`; False gives
    GoogLeNet v1's biased convs.

    Example:
        >>> import zoo
        >>> zoo.build("inception").output_shape
        (None, 4)
        >>> zoo.build("inception", num_classes=None).output_shape  # 32 + 48 + 16 + 16
        (None, 112)
    """
    from zoo.layers.inception import apply_inception_block

    check.integer(name, "stem_filters", stem_filters, min_value=1)
    check.choice(name, "stem_pool", stem_pool, (False, True))
    if not isinstance(stackwise_filters, (list, tuple)) or not all(
            isinstance(f, (list, tuple)) and len(f) == 6 for f in stackwise_filters):
        raise ValueError(
            f"{name}: stackwise_filters must be a list of 6-int tuples (f1x1, f3x3_reduce, "
            f"f3x3, f5x5_reduce, f5x5, f_pool), got {stackwise_filters!r}")
    for f in stackwise_filters:
        check.int_list(name, "stackwise_filters", f)
    _check_stackwise(name, stackwise_filters=stackwise_filters, stackwise_pool=stackwise_pool)
    check.choice(name, "batch_norm", batch_norm, (False, True))
    check.bn_momentum(name, bn_momentum)
    for p in stackwise_pool:
        check.choice(name, "stackwise_pool", p, (False, True))
    _common_checks(name, num_classes, dropout)

    inputs, x = _image_inputs(name, input_shape)
    x = keras.layers.Conv2D(stem_filters, 3, padding="same", use_bias=not batch_norm,
                            kernel_initializer="he_normal", name="stem_conv")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    if stem_pool:
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for i, (filters, pool) in enumerate(zip(stackwise_filters, stackwise_pool), start=1):
        x = apply_inception_block(x, tuple(filters), batch_norm=batch_norm,
                                  bn_momentum=bn_momentum, name=f"block{i}")
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same",
                                          name=f"block{i}_downsample")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, _classifier(x, num_classes, dropout), name=name)


# --- depthwise-separable (MobileNet-style) ----------------------------------------------------
SEPARABLE_BLOCKS = ("inverted_residual", "separable")

SEPARABLE_SEARCH_SPACE = {
    "width_multiplier": Choice((0.5, 0.75, 1.0, 1.5)),
    "se_ratio": Choice((0.0, 0.25)),
    "block_type": Choice(SEPARABLE_BLOCKS),
    "dropout": Float(0.0, 0.5, step=0.1),
}


def make_divisible(value, divisor=8):
    """Round a width to a multiple of `divisor`, never below 90% of it (MobileNet's rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


@register(
    family="cnn",
    task="classification",
    dataset="shapes",
    search_space=SEPARABLE_SEARCH_SPACE,
    presets={
        "mobilenet_v1_style": Preset(
            description="MobileNetV1/Xception-style network of depthwise-separable "
            "convolutions (depthwise 3x3 then pointwise 1x1), no expansion or shortcut.",
            block_type="separable", se_ratio=0.0, stackwise_expansion=(1, 1, 1, 1)),
    },
)
def separable_cnn(
    *,
    input_shape=(32, 32, 3),
    num_classes=4,
    stackwise_filters=(16, 24, 32, 64),
    stackwise_blocks=(1, 2, 2, 1),
    stackwise_strides=(1, 2, 2, 1),
    stackwise_expansion=(1, 4, 4, 4),
    block_type="inverted_residual",
    kernel_size=3,
    se_ratio=0.25,
    width_multiplier=1.0,
    stem_filters=16,
    stem_strides=1,
    head_filters=128,
    activation="relu6",
    bn_momentum=BN_MOMENTUM,
    dropout=0.2,
    name="separable_cnn",
):
    """Depthwise-separable CNN (MobileNetV2/V3-style): stem -> stacks of inverted residual
    blocks (1x1 expansion, depthwise conv, optional squeeze-and-excitation, linear 1x1
    projection) -> 1x1 conv -> global average pool -> softmax.

    Use it when parameters and FLOPs are scarce (mobile, edge): a depthwise-separable
    convolution costs about `1/C_out + 1/K^2` of a full one. Stack `i` has
    `stackwise_blocks[i]` blocks of `stackwise_filters[i]` filters, expansion
    `stackwise_expansion[i]`, the first strided by `stackwise_strides[i]`. `width_multiplier`
    scales every width (rounded to multiples of 8); `se_ratio` > 0 adds squeeze-and-excitation;
    `block_type="separable"` uses MobileNetV1 depthwise + pointwise blocks instead. Every
    batch norm has momentum `bn_momentum`.

    Example:
        >>> import zoo
        >>> zoo.build("separable_cnn").output_shape
        (None, 4)
        >>> zoo.build("mobilenet_v1_style", num_classes=None, head_filters=256).output_shape
        (None, 256)
    """
    from zoo.layers.inverted_residual import apply_inverted_residual_block, apply_separable_block

    stackwise_filters = check.int_list(name, "stackwise_filters", stackwise_filters)
    stackwise_blocks = check.int_list(name, "stackwise_blocks", stackwise_blocks)
    stackwise_strides = check.int_list(name, "stackwise_strides", stackwise_strides)
    stackwise_expansion = check.int_list(name, "stackwise_expansion", stackwise_expansion)
    _check_stackwise(name, stackwise_filters=stackwise_filters,
                     stackwise_blocks=stackwise_blocks, stackwise_strides=stackwise_strides,
                     stackwise_expansion=stackwise_expansion)
    check.choice(name, "block_type", block_type, SEPARABLE_BLOCKS)
    check.integer(name, "kernel_size", kernel_size, min_value=1)
    check.number(name, "se_ratio", se_ratio, min_value=0.0, max_value=1.0)
    check.number(name, "width_multiplier", width_multiplier, min_value=0, min_exclusive=True)
    check.integer(name, "stem_filters", stem_filters, min_value=1)
    check.integer(name, "stem_strides", stem_strides, min_value=1)
    check.integer(name, "head_filters", head_filters, min_value=0)
    check.choice(name, "activation", activation, ACTIVATIONS)
    check.bn_momentum(name, bn_momentum)
    _common_checks(name, num_classes, dropout)

    def width(filters):
        return make_divisible(filters * width_multiplier)

    inputs, x = _image_inputs(name, input_shape)
    x = keras.layers.Conv2D(width(stem_filters), 3, strides=stem_strides, padding="same",
                            use_bias=False, name="stem_conv")(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name="stem_bn")(x)
    x = keras.layers.Activation(activation, name=f"stem_{activation}")(x)
    for s, (filters, blocks, strides, expansion) in enumerate(zip(
            stackwise_filters, stackwise_blocks, stackwise_strides, stackwise_expansion),
            start=1):
        for b in range(1, blocks + 1):
            block_name, block_strides = f"stack{s}_block{b}", strides if b == 1 else 1
            if block_type == "separable":
                x = apply_separable_block(x, width(filters), strides=block_strides,
                                          kernel_size=kernel_size, se_ratio=se_ratio,
                                          activation=activation, bn_momentum=bn_momentum,
                                          name=block_name)
            else:
                x = apply_inverted_residual_block(
                    x, width(filters), expansion=expansion, strides=block_strides,
                    kernel_size=kernel_size, se_ratio=se_ratio, activation=activation,
                    bn_momentum=bn_momentum, name=block_name)
    if head_filters:
        # MobileNet's last 1x1 conv keeps its width unscaled below a multiplier of 1
        x = keras.layers.Conv2D(make_divisible(head_filters * max(1.0, width_multiplier)), 1,
                                use_bias=False, name="head_conv")(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name="head_bn")(x)
        x = keras.layers.Activation(activation, name=f"head_{activation}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, _classifier(x, num_classes, dropout), name=name)


# --- SqueezeNet --------------------------------------------------------------------------------
BYPASSES = ("none", "simple")

SQUEEZENET_SEARCH_SPACE = {
    "base_expand": Choice((32, 64, 128)),
    "squeeze_ratio": Choice((0.125, 0.25, 0.5, 0.75)),
    "pct_3x3": Float(0.25, 0.75, step=0.25),
    "bypass": Choice(BYPASSES),
    "dropout": Float(0.0, 0.5, step=0.1),
}

# SqueezeNet v1.0 for ImageNet exactly as in the paper's Table 1 (1,248,424 parameters, as
# torchvision's squeezenet1_0); not registered, being ImageNet-sized: the every-model tests
# build each registered preset.
SQUEEZENET_V1_0 = Preset(
    description="SqueezeNet v1.0 (Iandola et al., 2016) for ImageNet",
    input_shape=(224, 224, 3), num_classes=1000, stem_filters=96, stem_kernel_size=7,
    stem_strides=2, num_modules=8, base_expand=128, expand_increment=128, freq=2,
    squeeze_ratio=0.125, pct_3x3=0.5, pool_after=(2, 6), bypass="none", dropout=0.5,
)


def fire_module_filters(i, *, base_expand, expand_increment, freq, squeeze_ratio, pct_3x3):
    """(s1x1, e1x1, e3x3) of fire module `i` (0-based), as in SqueezeNet section 5:

    e_i = base_e + incr_e * floor(i / freq); e3x3 = pct_3x3 * e_i; e1x1 = e_i - e3x3;
    s1x1 = SR * e_i (SR = s1x1 / (e1x1 + e3x3)).
    """
    expand = base_expand + expand_increment * (i // freq)
    expand3x3 = int(round(pct_3x3 * expand))
    squeeze = max(1, int(round(squeeze_ratio * expand)))
    return squeeze, expand - expand3x3, expand3x3


@register(family="cnn", task="classification", dataset="shapes",
          search_space=SQUEEZENET_SEARCH_SPACE)
def squeezenet(
    *,
    input_shape=(32, 32, 3),
    num_classes=4,
    stem_filters=96,
    stem_kernel_size=3,
    stem_strides=1,
    num_modules=8,
    base_expand=64,
    expand_increment=32,
    freq=2,
    squeeze_ratio=0.125,
    pct_3x3=0.5,
    pool_after=(2, 6),
    bypass="simple",
    dropout=0.5,
    name="squeezenet",
):
    """SqueezeNet (Iandola et al., 2016): conv stem -> max pool -> fire modules with max pools
    between -> dropout -> 1x1 conv to the classes -> global average pool -> softmax.

    Use it for AlexNet-level accuracy with ~50x fewer parameters. The fire modules are
    parameterised as in the paper: module `i` has `e_i = base_expand + expand_increment *
    floor(i / freq)` expand filters, of which `pct_3x3` are 3x3, and `squeeze_ratio * e_i`
    squeeze filters (`SR = s1x1 / (e1x1 + e3x3)`). A stride-2 3x3 max pool follows the stem
    and each module index in `pool_after`. `bypass="simple"` adds identity shortcuts around the
    modules whose input and output widths match. `SQUEEZENET_V1_0` is the paper's ImageNet
    model. The classifier conv has no ReLU (the paper's has one; it can zero every logit).

    Example:
        >>> import zoo
        >>> zoo.build("squeezenet").output_shape
        (None, 4)
        >>> zoo.build("squeezenet").get_layer("fire4").squeeze_filters  # SR * e_2 = 0.125 * 96
        12
    """
    from zoo.layers.fire import FireModule

    check.integer(name, "stem_filters", stem_filters, min_value=1)
    check.integer(name, "stem_kernel_size", stem_kernel_size, min_value=1)
    check.integer(name, "stem_strides", stem_strides, min_value=1)
    check.integer(name, "num_modules", num_modules, min_value=1)
    check.integer(name, "base_expand", base_expand, min_value=2)
    check.integer(name, "expand_increment", expand_increment, min_value=0)
    check.integer(name, "freq", freq, min_value=1)
    check.number(name, "squeeze_ratio", squeeze_ratio, min_value=0, max_value=1.0,
                 min_exclusive=True)
    check.number(name, "pct_3x3", pct_3x3, min_value=0.0, max_value=1.0)
    pool_after = check.int_list(name, "pool_after", pool_after, min_value=0, min_len=0)
    if any(i >= num_modules for i in pool_after):
        raise ValueError(f"{name}: pool_after must hold module indices < num_modules="
                         f"{num_modules}, got {pool_after!r}")
    check.choice(name, "bypass", bypass, BYPASSES)
    _common_checks(name, num_classes, dropout)
    filters = [fire_module_filters(i, base_expand=base_expand,
                                   expand_increment=expand_increment, freq=freq,
                                   squeeze_ratio=squeeze_ratio, pct_3x3=pct_3x3)
               for i in range(num_modules)]
    if any(e1 < 1 or e3 < 1 for _, e1, e3 in filters):
        raise ValueError(f"{name}: pct_3x3={pct_3x3!r} leaves a fire module with no 1x1 or no "
                         f"3x3 expand filters; (s1x1, e1x1, e3x3) per module: {filters}")

    inputs, x = _image_inputs(name, input_shape)
    sizes = _check_fits(name, x.shape[1:3], stem_kernel_size, stem_strides, "valid", "conv1",
                        input_shape)
    x = keras.layers.Conv2D(stem_filters, stem_kernel_size, strides=stem_strides,
                            activation="relu", kernel_initializer="he_normal", name="conv1")(x)
    sizes = _check_fits(name, sizes, 3, 2, "valid", "pool1", input_shape)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, (squeeze, expand1x1, expand3x3) in enumerate(filters):
        # the paper numbers fire modules from 2 (conv1 is layer 1)
        x = FireModule(squeeze, expand1x1, expand3x3,
                       bypass=bypass == "simple" and x.shape[-1] == expand1x1 + expand3x3,
                       kernel_initializer="he_normal", name=f"fire{i + 2}")(x)
        if i in pool_after:
            sizes = _check_fits(name, sizes, 3, 2, "valid", f"pool_fire{i + 2}", input_shape)
            x = keras.layers.MaxPooling2D(3, strides=2, name=f"pool_fire{i + 2}")(x)
    if num_classes is None:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return keras.Model(inputs, x, name=name)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="classifier_conv")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Activation("sigmoid" if num_classes == 1 else "softmax",
                                name="predictions")(x)
    return keras.Model(inputs, x, name=name)


# --- 1-D CNN for sequences and text ------------------------------------------------------------
CNN1D_SEARCH_SPACE = {
    "embedding_dim": Choice((16, 32, 64)),
    "stackwise_filters": Choice(((64,), (64, 64), (64, 128))),
    "kernel_size": Choice((3, 5, 7)),
    "dropout": Float(0.0, 0.5, step=0.1),
}


@register(
    family="cnn",
    task="classification",
    dataset="text:modules",
    search_space=CNN1D_SEARCH_SPACE,
)
def cnn1d(
    *,
    input_shape=(64,),
    num_classes=5,
    vocab_size=99,
    embedding_dim=32,
    stackwise_filters=(64, 64),
    kernel_size=5,
    strides=1,
    padding="same",
    pooling="max",
    pool_size=2,
    global_pooling="max",
    activation="relu",
    dropout=0.2,
    name="cnn1d",
):
    """1-D convolutional network for sequences and text: [Embedding] -> Conv1D -> pool stacks ->
    global pooling -> softmax.

    Use it for text classification or fixed-length signals, where local patterns (n-grams,
    motifs) matter wherever they occur: it is far faster than a recurrent net. With
    `vocab_size` set, inputs are (length,) token ids embedded into `embedding_dim`; with
    `vocab_size=None` inputs are (length, channels) floats, or (length,) with one channel
    added. `global_pooling` is "max" (did the pattern occur anywhere) or "avg".

    Example:
        >>> import zoo
        >>> zoo.build("cnn1d").output_shape
        (None, 5)
        >>> zoo.build("cnn1d", input_shape=(20, 1), vocab_size=None, num_classes=2).output_shape
        (None, 2)
    """
    input_shape = check.shape(name, "input_shape", input_shape, min_rank=1, max_rank=2)
    if vocab_size is not None:
        check.integer(name, "vocab_size", vocab_size, min_value=2)
        if len(input_shape) != 1:
            raise ValueError(f"{name}: with vocab_size set, input_shape must be (length,) token "
                             f"ids, got {input_shape!r}")
    check.integer(name, "embedding_dim", embedding_dim, min_value=1)
    stackwise_filters = check.int_list(name, "stackwise_filters", stackwise_filters)
    check.integer(name, "kernel_size", kernel_size, min_value=1)
    check.integer(name, "strides", strides, min_value=1)
    check.choice(name, "padding", padding, PADDINGS + ("causal",))
    check.choice(name, "pooling", pooling, POOLINGS)
    check.integer(name, "pool_size", pool_size, min_value=1)
    check.choice(name, "global_pooling", global_pooling, ("max", "avg"))
    check.choice(name, "activation", activation, ACTIVATIONS)
    _common_checks(name, num_classes, dropout)

    if vocab_size is not None:
        inputs = keras.Input(shape=input_shape, dtype="int32", name="inputs")
        x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    else:
        inputs = keras.Input(shape=input_shape, name="inputs")
        x = inputs
        if len(input_shape) == 1:
            x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    for i, filters in enumerate(stackwise_filters, start=1):
        conv_name = f"stack{i}_conv"
        if x.shape[1] is not None:
            _check_fits(name, x.shape[1:2], kernel_size, strides,
                        "same" if padding == "causal" else padding, conv_name, input_shape)
        x = keras.layers.Conv1D(filters, kernel_size, strides=strides, padding=padding,
                                activation=activation, kernel_initializer="he_normal",
                                name=conv_name)(x)
        # no pool after the last stack: the global pool follows
        if pooling is not None and i < len(stackwise_filters):
            if x.shape[1] is not None:
                _check_fits(name, x.shape[1:2], pool_size, pool_size, "valid",
                            f"stack{i}_pool", input_shape)
            pool = keras.layers.MaxPooling1D if pooling == "max" else keras.layers.AveragePooling1D
            x = pool(pool_size, name=f"stack{i}_pool")(x)
    pool = (keras.layers.GlobalMaxPooling1D if global_pooling == "max"
            else keras.layers.GlobalAveragePooling1D)
    x = pool(name=f"global_{global_pooling}_pool")(x)
    return keras.Model(inputs, _classifier(x, num_classes, dropout), name=name)
