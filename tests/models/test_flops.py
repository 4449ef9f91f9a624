"""count_flops against counts done by hand: 2 FLOPs per multiply-add of weighted layers, plus
attention's QK^T and AV matmuls."""

import math

import keras
import pytest

import zoo
from zoo import cli, registry
from zoo.layers import FireModule, SqueezeExcite
from zoo.layers.attention import MultiHeadAttention
from zoo.layers.transformer_block import TransformerBlock, TransformerDecoderBlock
from zoo.models.flops import attention_flops, count_flops, flops_report


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


def _attention_by_hand(t, s, d):
    # Q and output projections at T queries, K and V at S keys (each d x d), then per head
    # Q K^T and A V: T * S * hs multiply-adds each, nh * hs = d
    return 2 * (2 * t * d * d + 2 * s * d * d) + 2 * (2 * t * s * d)


def test_attention_counts_its_projections_and_both_matmuls():
    assert attention_flops(5, 5, num_heads=2, key_dim=4, query_dim=8) == \
        _attention_by_hand(5, 5, 8) == 2 * (4 * 5 * 8 * 8) + 2 * (2 * 5 * 5 * 8)
    query, context = keras.Input((5, 8)), keras.Input((7, 8))
    attention = MultiHeadAttention(num_heads=2, key_dim=4, name="attention")
    model = keras.Model([query, context], [attention(query, causal=True),
                                            attention(query, context)])
    # the causal call computes the whole 5 x 5 score matrix, then masks it
    assert count_flops(model) == _attention_by_hand(5, 5, 8) + _attention_by_hand(5, 7, 8)


def test_transformer_block_matches_a_hand_count():
    # d_model 8, 2 heads, mlp 16, 5 steps
    block = _single(TransformerBlock(num_heads=2, mlp_dim=16, causal=True), (5, 8))
    assert count_flops(block) == 2 * 4 * 5 * 8 * 8 + 2 * 2 * 5 * 5 * 8 + 2 * 2 * 5 * 8 * 16


def test_decoder_block_attends_over_the_encoder_length():
    inputs, context = keras.Input((4, 8)), keras.Input((6, 8))
    block = TransformerDecoderBlock(num_heads=2, mlp_dim=16, name="decoder")
    model = keras.Model([inputs, context], block(inputs, context))
    mlp = 2 * 2 * 4 * 8 * 16
    assert count_flops(model) == _attention_by_hand(4, 4, 8) + _attention_by_hand(4, 6, 8) + mlp
    free = keras.Input((None, 8))  # the encoder's length unknown: listed, not guessed
    report = flops_report(keras.Model([inputs, free], block(inputs, free)))
    assert report.total == 0 and report.uncounted == ["decoder (TransformerDecoderBlock)"]


def _block_by_hand(t, d, mlp_dim):
    return _attention_by_hand(t, t, d) + 2 * 2 * t * d * mlp_dim


def test_transformer_models_match_hand_counts():
    model = zoo.build("transformer_classifier", input_shape=(16,), d_model=8, num_heads=2,
                      num_layers=1, mlp_dim=16, num_classes=3)
    assert count_flops(model) == _block_by_hand(16, 8, 16) + 2 * 8 * 3
    # vit at its defaults: 8 x 8 patches of 4 x 4 x 3 embedded to 64, 65 steps with the class
    # token, 2 blocks (mlp 128), 4 classes
    assert count_flops(zoo.build("vit")) == 2 * 64 * (4 * 4 * 3) * 64 + \
        2 * _block_by_hand(65, 64, 128) + 2 * 64 * 4 == 11_076_608
    # gpt at its defaults has a free length; at max_length 128: 2 blocks (mlp 256), 97 tokens
    assert count_flops(zoo.build("gpt", input_shape=(128,))) == \
        2 * _block_by_hand(128, 64, 256) + 2 * 128 * 64 * 97 == 35_143_680
    seq2seq = zoo.build("transformer_seq2seq", input_shape=(10,), target_shape=(6,))
    decoder_block = _block_by_hand(6, 64, 128) + _attention_by_hand(6, 10, 64)
    assert count_flops(seq2seq) == 2 * _block_by_hand(10, 64, 128) + 2 * decoder_block + \
        2 * 6 * 64 * 13


def test_model_info_lists_what_it_could_not_count(capsys):
    info = zoo.model_info("vit")
    assert info["flops"] == count_flops(zoo.build("vit")) and info["flops_uncounted"] == []
    info = zoo.model_info("gpt")  # a free sequence length: counted at max_length, and said so
    assert info["flops_at"] == {"input_shape": (128,)} and info["flops_uncounted"] == []
    assert info["flops"] == count_flops(zoo.build("gpt", input_shape=(128,)))
    info = zoo.model_info("rnn_lm")  # a free length and no max_length: listed, not guessed
    assert info["flops"] == 0 and info["flops_uncounted"] == [
        "rnn_1_lstm (LSTM)", "predictions (Dense)"]
    assert cli.main(["info", "rnn_lm"]) == 0
    assert "uncounted    rnn_1_lstm (LSTM), predictions (Dense)" in capsys.readouterr().out
    assert cli.main(["info", "vit"]) == 0
    assert "uncounted" not in capsys.readouterr().out


# layers whose kernels are all applied at every position of their inputs/outputs (the fewest)
_PER_POSITION = {"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose",
                 "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
                 "SeparableConv1D", "SeparableConv2D", "SimpleRNN", "GRU", "LSTM",
                 "Bidirectional", "TimeDistributed", "MultiHeadAttention", "TransformerBlock",
                 "TransformerDecoderBlock"}


def _positions(layer):
    """The fewest positions `layer` applies its kernels at: over its outputs and its inputs of
    the first input's rank (not masks), the least product of non-batch, non-channel dims."""
    if type(layer).__name__ not in _PER_POSITION:
        return 1
    try:
        inputs, outputs = layer.input, layer.output  # raises for a layer called twice
    except (AttributeError, ValueError):
        return 1
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    shapes = [t.shape for t in inputs if len(t.shape) == len(inputs[0].shape)]
    return min(math.prod(shape[1:-1]) for shape in shapes + [t.shape for t in outputs])


def _kernel_multiply_adds(model):
    """A lower bound on a model's multiply-adds from its weights alone: each kernel (Dense,
    convolution, recurrent, attention projection, in nested models and zoo blocks) is
    applied at least at every position of its layer's input or output."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += _kernel_multiply_adds(layer)
            continue
        kernels = sum(math.prod(w.shape) for w in layer.weights if w.name.endswith("kernel"))
        total += _positions(layer) * kernels
    return total


def _stated_lengths(name):
    """Overrides giving each free (None) length of `name`'s inputs a length of 16."""
    return {key: tuple(16 if d is None else d for d in value)
            for key, value in registry.get(name).defaults.items()
            if key.endswith("_shape") and isinstance(value, tuple) and None in value}


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_model_is_counted_completely(name):
    """At least 2 FLOPs per multiply-add its kernels imply, so a zero or a head-only count
    (transformers before their blocks had a rule) fails; a free length is listed, not 0."""
    model = zoo.build(name)
    report = flops_report(model)
    assert isinstance(report.uncounted, list)
    stated = _stated_lengths(name)
    if stated:
        assert report.uncounted, f"{name}: free length, yet nothing listed as uncounted"
        model = zoo.build(name, **stated)
        report = flops_report(model)
    assert report.uncounted == [], name
    assert report.total >= 2 * _kernel_multiply_adds(model) > 0, name
