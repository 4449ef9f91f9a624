"""count_flops against counts done by hand: 2 FLOPs per multiply-add of weighted layers."""

import keras
import pytest

import zoo
from zoo.layers import FireModule, SqueezeExcite
from zoo.models.flops import count_flops, flops_report


def _single(layer, shape):
    return keras.Sequential([keras.Input(shape), layer])


@pytest.mark.parametrize("padding, strides, out", [("valid", 1, 6), ("same", 1, 8),
                                                   ("same", 2, 4), ("valid", 2, 3)])
def test_conv2d(padding, strides, out):
    model = _single(keras.layers.Conv2D(4, 3, strides=strides, padding=padding), (8, 8, 3))
    # per output position and filter: 3*3*3 multiply-adds
    assert count_flops(model) == 2 * out * out * 4 * (3 * 3 * 3)


def test_dense():
    assert count_flops(_single(keras.layers.Dense(10), (64,))) == 2 * 64 * 10
    # applied at each of 5 positions
    assert count_flops(_single(keras.layers.Dense(8), (5, 16))) == 2 * 5 * 16 * 8


def test_grouped_depthwise_separable_and_transposed_convolutions():
    assert count_flops(_single(keras.layers.Conv2D(8, 3, padding="same", groups=2),
                               (4, 4, 6))) == 2 * 16 * 8 * (9 * 6 // 2)
    assert count_flops(_single(keras.layers.DepthwiseConv2D(3, padding="same"),
                               (4, 4, 6))) == 2 * 16 * 6 * 9
    assert count_flops(_single(keras.layers.SeparableConv2D(8, 3, padding="same"),
                               (4, 4, 6))) == 2 * 16 * 6 * 9 + 2 * 16 * 6 * 8
    assert count_flops(_single(keras.layers.Conv2DTranspose(5, 3, strides=2),
                               (4, 4, 6))) == 2 * 16 * 6 * 9 * 5
    assert count_flops(_single(keras.layers.Conv1D(8, 5), (20, 3))) == 2 * 16 * 8 * 5 * 3


def test_zoo_layers_count_themselves():
    assert count_flops(_single(FireModule(4, 8, 8), (6, 6, 16))) == \
        2 * 36 * (16 * 4 + 4 * 8 + 9 * 4 * 8)
    assert count_flops(_single(SqueezeExcite(ratio=0.25), (6, 6, 16))) == 2 * (16 * 4 + 4 * 16)


def test_recurrent_layers():
    # per step: gates * units * (input_dim + units) multiply-adds, 7 steps, input_dim 3, units 5
    assert count_flops(_single(keras.layers.LSTM(5), (7, 3))) == 2 * 7 * 4 * 5 * (3 + 5)
    assert count_flops(_single(keras.layers.GRU(5), (7, 3))) == 2 * 7 * 3 * 5 * (3 + 5)
    assert count_flops(_single(keras.layers.Bidirectional(keras.layers.SimpleRNN(5)),
                               (7, 3))) == 2 * 2 * 7 * 5 * (3 + 5)
    assert count_flops(_single(keras.layers.TimeDistributed(keras.layers.Dense(4)),
                               (6, 3))) == 6 * 2 * 3 * 4


def test_free_layers_nested_models_and_unknown_layers():
    inner = _single(keras.layers.Dense(4), (16,))
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dropout(0.5)(x)
    x = inner(x)
    x = keras.layers.Reshape((2, 2))(x)
    x = keras.ops.tanh(x)  # a weightless operation: free
    outputs = keras.layers.MultiHeadAttention(1, 2, name="attention")(x, x)
    report = flops_report(keras.Model(inputs, outputs))
    assert report.total == 2 * 16 * 4
    assert report.uncounted == ["attention (MultiHeadAttention)"]


def test_free_length_sequences_are_listed_not_guessed():
    report = flops_report(_single(keras.layers.LSTM(5, name="lstm"), (None, 3)))
    assert report.total == 0 and report.uncounted == ["lstm (LSTM)"]


def test_every_registered_model_is_counted_completely():
    for name in zoo.list_models(family="cnn") + ["mlp"]:
        report = flops_report(zoo.build(name))
        assert report.total > 0 and report.uncounted == [], name
