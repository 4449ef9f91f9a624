"""Dense family: the multilayer perceptron, for tabular data and small images flattened."""

from zoo import validation as check
from zoo._lazy import keras
from zoo._normalization import BN_MOMENTUM
from zoo.registry import Choice, Float, Preset, register

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "selu", "swish", "tanh", "sigmoid")
INITIALIZERS = (
    "auto", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal",
)
HEADS = ("classification", "regression")

# He init keeps the variance of rectifier-like units; Glorot suits saturating ones; LeCun suits SELU
_AUTO_INITIALIZER = {
    "relu": "he_normal", "leaky_relu": "he_normal", "elu": "he_normal", "gelu": "he_normal",
    "swish": "he_normal", "selu": "lecun_normal", "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
}

MLP_SEARCH_SPACE = {
    "hidden_units": Choice(((128,), (256, 128), (512, 256), (256, 256, 256))),
    "activation": Choice(("relu", "gelu", "elu", "tanh")),
    "dropout": Float(0.0, 0.5, step=0.1),
    "batch_norm": Choice((False, True)),
    "l2": Float(1e-6, 1e-2, sampling="log"),
}


@register(
    family="dense",
    task="classification",
    dataset="digits",
    search_space=MLP_SEARCH_SPACE,
    presets={
        "mlp_regressor": Preset(
            task="regression",
            dataset="sequences:sine",
            description="MLP regressor: a linear head of `num_classes` targets over flattened "
            "inputs; a no-memory baseline for time series.",
            input_shape=(20, 1), num_classes=1, hidden_units=(128, 64), dropout=0.0,
            head="regression",
        ),
    },
)
def mlp(
    *,
    input_shape=(8, 8),
    num_classes=10,
    hidden_units=(256, 128),
    activation="relu",
    kernel_initializer="auto",
    dropout=0.2,
    batch_norm=False,
    bn_momentum=BN_MOMENTUM,
    l2=0.0,
    head="classification",
    name="mlp",
):
    """Multilayer perceptron: Dense -> [BatchNorm] -> activation -> [Dropout] per hidden layer.

    Use it for tabular features or small images (inputs of any rank are flattened). With
    `num_classes=1` the head is a single sigmoid unit (binary), with more a softmax; with
    `head="regression"` it is linear with `num_classes` outputs; `num_classes=None` returns the
    hidden features. `kernel_initializer="auto"` picks He for rectifiers, Glorot for tanh/sigmoid
    and LeCun for SELU. `batch_norm` layers have momentum `bn_momentum`.

    Example:
        >>> import zoo
        >>> model = zoo.build("mlp", input_shape=(8, 8), num_classes=10)
        >>> model.output_shape
        (None, 10)
        >>> zoo.build("mlp_regressor", input_shape=(20, 1)).output_shape
        (None, 1)
    """
    from zoo.layers.heads import prediction_layers

    input_shape = check.shape(name, "input_shape", input_shape)
    check.num_classes(name, num_classes)
    hidden_units = check.int_list(name, "hidden_units", hidden_units, min_len=0)
    check.choice(name, "activation", activation, ACTIVATIONS)
    check.choice(name, "kernel_initializer", kernel_initializer, INITIALIZERS)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.choice(name, "batch_norm", batch_norm, (False, True))
    check.bn_momentum(name, bn_momentum)
    check.number(name, "l2", l2, min_value=0.0)
    check.choice(name, "head", head, HEADS)
    if kernel_initializer == "auto":
        kernel_initializer = _AUTO_INITIALIZER[activation]
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None

    layers = [keras.Input(shape=input_shape, name="inputs")]
    if len(input_shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(hidden_units, start=1):
        # the bias is redundant when batch norm re-centres the output
        layers.append(keras.layers.Dense(
            units, use_bias=not batch_norm, kernel_initializer=kernel_initializer,
            kernel_regularizer=regularizer, name=f"dense_{i}",
        ))
        if batch_norm:
            layers.append(keras.layers.BatchNormalization(momentum=bn_momentum,
                                                          name=f"dense_{i}_bn"))
        layers.append(keras.layers.Activation(activation, name=f"dense_{i}_{activation}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"dense_{i}_dropout"))
    layers += prediction_layers(num_classes, task=head, kernel_regularizer=regularizer)
    return keras.Sequential(layers, name=name)
