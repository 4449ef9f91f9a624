"""The output head every zoo builder ends with: [Dropout ->] Dense, named "predictions".

One rule for its initialisation, measured:
- `HEAD_INITIALIZER`, Glorot uniform (Keras' default), for a head trained from scratch with the
  network below it. Against a zero kernel (benchmarks/results/head_init.md, plain Keras fit, 3
  seeds, two datasets per model) it wins on cnn/digits (+2.3 points), resnet_small/shapes
  (+14), mlp (+2.7, +2.0) and gru/text (+1.8), loses on cnn/shapes (-3.1), the transformer
  classifiers tie; it is what takes the plain 8-epoch ResNet on digits from 0.81 to 0.975
  (benchmarks/results/batchnorm_momentum.md); and a zero head passes no gradient to the layers
  below at the first step (d loss / d features = W^T (p - y) = 0), which left ViT at chance.
- `ZERO_START`, a zero kernel (every first prediction uniform), where the layers below already
  carry signal that early random gradients would disturb: a new head on a pretrained backbone
  (fine-tuning zoo_mobilenet_shapes on 10 digits per class: 0.784 with it, 0.729 with Glorot)
  and the transformer language models' vocabulary heads, whose embeddings feed the same
  softmax (transformer_seq2seq reverses digit strings at 0.907 exact match with it, 0.747
  with Glorot; tests/models/test_transformer.py).
"""

from zoo._lazy import keras

HEAD_INITIALIZER = "glorot_uniform"
ZERO_START = "zeros"


def output_activation(num_classes: int, task: str = "classification"):
    """softmax over classes, one sigmoid unit for num_classes=1, linear for regression."""
    if task == "regression":
        return None
    return "sigmoid" if num_classes == 1 else "softmax"


def prediction_layers(num_classes, *, task="classification", dropout=0.0,
                      kernel_regularizer=None, initializer=HEAD_INITIALIZER,
                      name="predictions") -> list:
    """The head's layers, for a `keras.Sequential`; [] when `num_classes` is None (features)."""
    if num_classes is None:
        return []
    layers = [keras.layers.Dropout(dropout, name="head_dropout")] if dropout > 0 else []
    layers.append(keras.layers.Dense(
        num_classes, activation=output_activation(num_classes, task),
        kernel_initializer=initializer, kernel_regularizer=kernel_regularizer, name=name))
    return layers


def apply_prediction_head(x, num_classes, *, task="classification", dropout=0.0,
                          kernel_regularizer=None, initializer=HEAD_INITIALIZER,
                          name="predictions"):
    """The head applied to `x` (per step on a sequence); `x` itself when num_classes is None."""
    for layer in prediction_layers(num_classes, task=task, dropout=dropout,
                                   kernel_regularizer=kernel_regularizer,
                                   initializer=initializer, name=name):
        x = layer(x)
    return x
