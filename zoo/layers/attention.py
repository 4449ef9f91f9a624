"""Scaled dot-product attention and multi-head attention, written out in `keras.ops`.

Shapes in comments: B batch, T query steps, S key/value steps, D model width, nh heads,
hs = D // nh per-head width. Masks are booleans, True where attention is allowed.
"""

import math

from zoo import validation as check
from zoo._lazy import keras


def causal_mask(query_length, key_length=None):
    """(T, S) booleans: query t may attend to keys 0..t + (S - T). With a key/value cache the
    T new queries are the last T of the S positions, so each still sees only its past.

    Example:
        >>> import numpy as np
        >>> np.asarray(causal_mask(3)).astype(int).tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    ops = keras.ops
    key_length = query_length if key_length is None else key_length
    rows = ops.arange(query_length)[:, None] + (key_length - query_length)
    return ops.greater_equal(rows, ops.arange(key_length)[None, :])


def scaled_dot_product_attention(query, key, value, mask=None):
    """`softmax(Q K^T / sqrt(d_k)) V` and the attention weights.

    query (..., T, hs), key and value (..., S, hs); `mask` broadcasts to (..., T, S).
    Returns (output (..., T, hs), weights (..., T, S)).
    """
    ops = keras.ops
    scale = 1.0 / math.sqrt(query.shape[-1])
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) * scale  # (..., T, S)
    if mask is not None:
        # a large finite negative, not -inf: a row with every key masked stays finite
        scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
    weights = _softmax(scores)
    return ops.matmul(weights, value), weights  # (..., T, hs)


def _softmax(scores):
    # written out: ops.softmax warns on the single-key rows of a first decoding step
    ops = keras.ops
    weights = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))
    return weights / ops.sum(weights, axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="zoo")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al., 2017): `num_heads` scaled dot-product attentions
    over learned projections of the inputs, concatenated and projected back.

    Self-attention: `layer(x)`; cross-attention: `layer(x, context)`. `key_padding_mask`
    (B, S) marks real keys (padding gets no weight); `causal=True` hides future keys. The
    weights have the shapes of `keras.layers.MultiHeadAttention` (query/key/value kernels
    (D, nh, hs) and biases (nh, hs), output kernel (nh, hs, D)), in the same order, so
    `set_weights` moves weights between the two.

    Example:
        >>> import numpy as np
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> layer(np.zeros((1, 5, 8), "float32"), causal=True).shape
        (1, 5, 8)
    """

    def __init__(self, num_heads, key_dim, dropout=0.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        check.at_least("MultiHeadAttention", "num_heads", num_heads, 1)
        check.at_least("MultiHeadAttention", "key_dim", key_dim, 1)
        check.number("MultiHeadAttention", "dropout", dropout, min_value=0.0, max_value=1.0,
                     max_exclusive=True)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.dropout = dropout
        self.use_bias = use_bias
        self.supports_masking = True  # the query's mask passes on; padding comes as an argument
        self.attention_dropout = keras.layers.Dropout(dropout)

    def build(self, query_shape, value_shape=None):
        query_dim = query_shape[-1]
        value_dim = query_dim if value_shape is None else value_shape[-1]
        heads = (self.num_heads, self.key_dim)
        self.query_kernel = self.add_weight(shape=(query_dim, *heads), name="query_kernel")
        self.query_bias = self._bias(heads, "query_bias")
        self.key_kernel = self.add_weight(shape=(value_dim, *heads), name="key_kernel")
        self.key_bias = self._bias(heads, "key_bias")
        self.value_kernel = self.add_weight(shape=(value_dim, *heads), name="value_kernel")
        self.value_bias = self._bias(heads, "value_bias")
        self.output_kernel = self.add_weight(shape=(*heads, query_dim), name="output_kernel")
        self.output_bias = self._bias((query_dim,), "output_bias")

    def _bias(self, shape, name):
        if not self.use_bias:
            return None
        return self.add_weight(shape=shape, initializer="zeros", name=name)

    def _project(self, x, kernel, bias):
        y = keras.ops.einsum("btd,dhs->bhts", x, kernel)  # (B, nh, T, hs)
        return y if bias is None else y + bias[None, :, None, :]

    def project_query(self, query):
        """(B, T, D) -> (B, nh, T, hs)."""
        return self._project(query, self.query_kernel, self.query_bias)

    def project_key_value(self, value):
        """(B, S, D) -> keys and values, each (B, nh, S, hs): what a key/value cache stores."""
        return (self._project(value, self.key_kernel, self.key_bias),
                self._project(value, self.value_kernel, self.value_bias))

    def attend(self, query, key, value, mask=None, training=None):
        """Projected query (B, nh, T, hs) over keys/values (B, nh, S, hs) -> (B, T, D)."""
        ops = keras.ops
        if self.dropout > 0 and training:
            # the dropout of attention weights needs the weights, so no shortcut here
            scale = 1.0 / math.sqrt(self.key_dim)
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) * scale
            if mask is not None:
                scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
            weights = self.attention_dropout(_softmax(scores), training=training)
            heads = ops.matmul(weights, value)
        else:
            heads, _ = scaled_dot_product_attention(query, key, value, mask)
        y = ops.einsum("bhts,hsd->btd", heads, self.output_kernel)  # heads concatenated, projected
        return y if self.output_bias is None else y + self.output_bias

    def attention_mask(self, query_length, key_length, key_padding_mask=None, causal=False):
        """(B or 1, 1, T, S) booleans from a (B, S) padding mask and/or causality, or None."""
        ops = keras.ops
        mask = None
        # expand_dims, not [None, None]: TFLite has no builtin StridedSlice for new axes on
        # booleans, so indexing kept gpt and transformer_seq2seq from exporting (export_matrix.md)
        if causal:
            mask = ops.expand_dims(ops.expand_dims(causal_mask(query_length, key_length), 0), 0)
        if key_padding_mask is not None:
            padding = ops.expand_dims(ops.expand_dims(ops.cast(key_padding_mask, "bool"), 1), 1)
            mask = padding if mask is None else ops.logical_and(mask, padding)
        return mask

    def call(self, query, value=None, key_padding_mask=None, causal=False, training=None):
        value = query if value is None else value
        q = self.project_query(query)
        k, v = self.project_key_value(value)
        mask = self.attention_mask(ops_length(query), ops_length(value), key_padding_mask, causal)
        return self.attend(q, k, v, mask, training=training)

    def call_with_cache(self, query, cache=None, causal=True):
        """Self-attention of T new steps given the keys/values of the steps before them.

        `cache` is (keys, values), each (B, nh, S_past, hs), or None at the start. Returns
        (output (B, T, D), cache of S_past + T steps). Inference only: no dropout.
        """
        ops = keras.ops
        q = self.project_query(query)
        k, v = self.project_key_value(query)
        if cache is not None:
            k = ops.concatenate([cache[0], k], axis=2)  # (B, nh, S_past + T, hs)
            v = ops.concatenate([cache[1], v], axis=2)
        mask = causal_mask(q.shape[2], k.shape[2])[None, None] if causal else None
        return self.attend(q, k, v, mask), (k, v)

    def compute_output_shape(self, query_shape, value_shape=None):
        return query_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "dropout": self.dropout, "use_bias": self.use_bias}


def ops_length(x):
    """The step count of (B, T, ...) `x`: a Python int when known, else a tensor."""
    return x.shape[1] if x.shape[1] is not None else keras.ops.shape(x)[1]
