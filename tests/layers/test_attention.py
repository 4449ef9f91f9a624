"""zoo.layers attention, positions and blocks: the formulas, Keras equivalence, masks, caches,
and that every layer reloads from its config."""

import keras
import numpy as np
import pytest

from zoo.layers import (
    ClassToken, FirstStep, MultiHeadAttention, PositionEmbedding, TransformerBlock,
    TransformerDecoderBlock, causal_mask, scaled_dot_product_attention,
    sinusoidal_position_encoding,
)

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


def test_scaled_dot_product_attention_is_softmax_of_qk_over_sqrt_dk_times_v():
    q, k, v = _x(2, 3, 4), _x(2, 5, 4), _x(2, 5, 6)
    out, weights = scaled_dot_product_attention(q, k, v)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(4)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(weights), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out), expected @ v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("masking", ["none", "causal", "padding"])
def test_our_attention_matches_keras_multi_head_attention_with_the_same_weights(masking):
    query, value = _x(3, 6, 16), _x(3, 6, 16)
    ours = MultiHeadAttention(num_heads=4, key_dim=8)
    reference = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8)
    reference(query, value)
    ours(query, value)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    ours.set_weights([RNG.normal(scale=0.3, size=w.shape).astype("float32")
                      for w in ours.get_weights()])  # biases non-zero too
    reference.set_weights(ours.get_weights())
    if masking == "none":
        expected, got = reference(query, value), ours(query, value)
    elif masking == "causal":
        expected = reference(query, value, use_causal_mask=True)
        got = ours(query, value, causal=True)
    else:
        keep = np.ones((3, 6), bool)
        keep[0, 4:], keep[2, 1:] = False, False
        expected = reference(query, value, attention_mask=np.repeat(keep[:, None], 6, axis=1))
        got = ours(query, value, key_padding_mask=keep)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_causal_mask_lets_new_queries_see_every_cached_key():
    assert np.asarray(causal_mask(2, 4)).tolist() == [[True, True, True, False],
                                                      [True, True, True, True]]


def test_sinusoidal_encoding_formula():
    pe = np.asarray(sinusoidal_position_encoding(np.arange(50), 8))
    pos, i = 17, 2
    assert pe[pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / 8)), abs=1e-5)
    assert pe[pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 8)), abs=1e-5)


@pytest.mark.parametrize("position", ["learned", "sinusoidal"])
def test_position_embedding_start_offsets_positions(position):
    layer = PositionEmbedding(16, position)
    x = _x(2, 10, 8)
    full = np.asarray(layer(x))
    np.testing.assert_allclose(np.asarray(layer(x[:, 6:], start=6)), full[:, 6:], atol=1e-6)


@pytest.mark.parametrize("norm_first", [True, False])
def test_block_with_cache_equals_the_block_on_the_whole_sequence(norm_first):
    block = TransformerBlock(num_heads=2, mlp_dim=32, norm_first=norm_first, causal=True)
    x = _x(2, 7, 16)
    full = np.asarray(block(x))
    y, cache = block.call_with_cache(x[:, :4])
    steps = [np.asarray(y)]
    for t in range(4, 7):
        y, cache = block.call_with_cache(x[:, t:t + 1], cache)
        steps.append(np.asarray(y))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-4, atol=1e-5)
    assert cache[0].shape == (2, 2, 7, 8)  # (B, nh, T, hs)


def test_decoder_block_with_cache_equals_the_block_on_the_whole_sequence():
    block = TransformerDecoderBlock(num_heads=2, mlp_dim=32)
    x, context = _x(2, 5, 16), _x(2, 3, 16)
    context_mask = np.array([[True, True, False], [True, True, True]])
    full = np.asarray(block(x, context, context_mask=context_mask))
    kv = block.cross_attention.project_key_value(context)
    cache, steps = None, []
    for t in range(5):
        y, cache = block.call_with_cache(x[:, t:t + 1], kv, context_mask, cache)
        steps.append(np.asarray(y))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-4, atol=1e-5)


def test_class_token_prepends_and_extends_the_mask():
    layer = ClassToken()
    x = _x(2, 3, 4)
    assert layer(x).shape == (2, 4, 4)
    mask = np.asarray(layer.compute_mask(x, np.array([[True, False, False]] * 2)))
    assert mask.tolist() == [[True, True, False, False]] * 2
    assert FirstStep()(x).shape == (2, 4)


@pytest.mark.parametrize("layer", [
    MultiHeadAttention(2, 4, dropout=0.1, use_bias=False),
    PositionEmbedding(9, "sinusoidal"),
    TransformerBlock(2, 8, dropout=0.1, norm_first=False, causal=True, activation="relu"),
    TransformerDecoderBlock(2, 8, norm_first=False),
    ClassToken(), FirstStep(),
], ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize("make, message", [
    (lambda: MultiHeadAttention(0, 4), "num_heads"),
    (lambda: PositionEmbedding(8, "rotary"), "position"),
    (lambda: TransformerBlock(3, 8)(np.zeros((1, 2, 8), "float32")), "divisible"),
    (lambda: TransformerBlock(2, 8, dropout=1.0), "dropout"),
])
def test_bad_layer_arguments_raise_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()
