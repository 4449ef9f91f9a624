"""The residual block of a temporal convolutional network (Bai, Kolter & Koltun, 2018): dilated
causal 1-D convolutions whose output at step t sees only inputs at steps <= t. Channels-last."""

from zoo._lazy import keras

ACTIVATIONS = ("relu", "gelu", "elu", "swish", "tanh")
NORMALIZATIONS = (None, "layer")


def receptive_field(kernel_size: int, dilations, convs_per_block: int = 2) -> int:
    """Steps of input that one output step sees: `1 + convs_per_block * (K - 1) * sum(d)`.

    Example:
        >>> receptive_field(3, (1, 2, 4, 8))
        61
    """
    return 1 + convs_per_block * (kernel_size - 1) * sum(dilations)


def apply_temporal_block(x, filters, *, kernel_size=3, dilation_rate=1, convs_per_block=2,
                         activation="relu", dropout=0.0, normalization=None, name="temporal_block"):
    """`act(x + F(x))` where F is `convs_per_block` x [causal Conv1D -> (LayerNorm) -> act ->
    (Dropout)], all dilated by `dilation_rate`; the shortcut is a 1x1 conv when the channel count
    changes. Causal padding left-pads by `(K - 1) * d`, so the length is kept.

    Example:
        >>> import keras
        >>> from zoo.layers import apply_temporal_block
        >>> inputs = keras.Input((20, 3))
        >>> apply_temporal_block(inputs, 8, dilation_rate=2, name="block1").shape
        (None, 20, 8)
    """
    if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
        raise ValueError(f"{name}: filters must be an int >= 1, got {filters!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"{name}: activation must be one of {ACTIVATIONS}, got {activation!r}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"{name}: normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    shortcut = x
    for i in range(1, convs_per_block + 1):
        x = keras.layers.Conv1D(filters, kernel_size, padding="causal",
                                dilation_rate=dilation_rate, kernel_initializer="he_normal",
                                name=f"{name}_conv{i}")(x)
        if normalization == "layer":
            x = keras.layers.LayerNormalization(name=f"{name}_conv{i}_ln")(x)
        x = keras.layers.Activation(activation, name=f"{name}_conv{i}_{activation}")(x)
        if dropout > 0:
            # one mask per channel for all steps (SpatialDropout1D), as in the paper
            x = keras.layers.SpatialDropout1D(dropout, name=f"{name}_conv{i}_dropout")(x)
    if shortcut.shape[-1] != filters:
        shortcut = keras.layers.Conv1D(filters, 1, name=f"{name}_shortcut")(shortcut)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.Activation(activation, name=f"{name}_out")(x)
