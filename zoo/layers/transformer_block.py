"""Transformer blocks: self-attention + MLP (encoder, or GPT decoder with `causal=True`), and
the encoder-decoder's decoder block with cross-attention. Pre-norm (GPT-2, ViT: x + f(LN(x)))
or post-norm (Vaswani et al., 2017: LN(x + f(x))). Shapes: B batch, T steps, D width."""

from zoo import validation as check
from zoo._lazy import keras
from zoo.layers.attention import MultiHeadAttention


def _check(owner, num_heads, mlp_dim, dropout, norm_first):
    check.at_least(owner, "num_heads", num_heads, 1)
    check.at_least(owner, "mlp_dim", mlp_dim, 1)
    check.number(owner, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.choice(owner, "norm_first", norm_first, (False, True))


def _heads(owner, width, num_heads):
    if width % num_heads:
        raise ValueError(f"{owner}: the model width {width} must be divisible by num_heads="
                         f"{num_heads}")
    return width // num_heads


@keras.saving.register_keras_serializable(package="zoo")
class TransformerBlock(keras.layers.Layer):
    """Self-attention then a two-layer MLP, each in a residual branch with layer norm and
    dropout. `causal=True` makes it a GPT block (step t sees steps <= t). A Keras mask on the
    input (B, T) marks real tokens: padding is never attended to, and the mask passes on.

    Example:
        >>> import numpy as np
        >>> block = TransformerBlock(num_heads=2, mlp_dim=16, causal=True)
        >>> block(np.zeros((1, 4, 8), "float32")).shape
        (1, 4, 8)
    """

    def __init__(self, num_heads, mlp_dim, dropout=0.0, norm_first=True, causal=False,
                 activation="gelu", epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check("TransformerBlock", num_heads, mlp_dim, dropout, norm_first)
        self.num_heads, self.mlp_dim, self.dropout = num_heads, mlp_dim, dropout
        self.norm_first, self.causal = norm_first, causal
        self.activation, self.epsilon = activation, epsilon
        self.supports_masking = True

    def build(self, input_shape):
        width = input_shape[-1]
        key_dim = _heads("TransformerBlock", width, self.num_heads)
        self.attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout,
                                            name="attention")
        self.attention_norm = keras.layers.LayerNormalization(epsilon=self.epsilon,
                                                              name="attention_norm")
        self.mlp_hidden = keras.layers.Dense(self.mlp_dim, activation=self.activation,
                                             name="mlp_hidden")
        self.mlp_output = keras.layers.Dense(width, name="mlp_output")
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=self.epsilon, name="mlp_norm")
        self.residual_dropout = keras.layers.Dropout(self.dropout)
        self.attention.build(input_shape)
        self.attention_norm.build(input_shape)
        self.mlp_hidden.build(input_shape)
        self.mlp_output.build(tuple(input_shape[:-1]) + (self.mlp_dim,))
        self.mlp_norm.build(input_shape)

    def _mlp(self, x, training=None):
        return self.residual_dropout(self.mlp_output(self.mlp_hidden(x)), training=training)

    def call(self, inputs, mask=None, training=None):
        def attention(x):
            y = self.attention(x, key_padding_mask=mask, causal=self.causal, training=training)
            return self.residual_dropout(y, training=training)

        x = inputs  # (B, T, D)
        if self.norm_first:
            x = x + attention(self.attention_norm(x))
            return x + self._mlp(self.mlp_norm(x), training)
        x = self.attention_norm(x + attention(x))
        return self.mlp_norm(x + self._mlp(x, training))

    def call_with_cache(self, inputs, cache=None):
        """The block on T new steps (B, T, D) given the cached keys/values of the steps before
        (None at the start); returns (outputs, cache). Inference only."""
        x = inputs
        if self.norm_first:
            y, cache = self.attention.call_with_cache(self.attention_norm(x), cache, self.causal)
            x = x + y
            return x + self._mlp(self.mlp_norm(x)), cache
        y, cache = self.attention.call_with_cache(x, cache, self.causal)
        x = self.attention_norm(x + y)
        return self.mlp_norm(x + self._mlp(x)), cache

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "mlp_dim": self.mlp_dim,
                "dropout": self.dropout, "norm_first": self.norm_first, "causal": self.causal,
                "activation": self.activation, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class TransformerDecoderBlock(keras.layers.Layer):
    """The encoder-decoder's decoder block: causal self-attention, cross-attention to the
    encoder's outputs (`context`), then an MLP, each residual with layer norm and dropout.
    Keras masks on `inputs` (B, T) and `context` (B, S) mark real tokens.

    Example:
        >>> import numpy as np
        >>> block = TransformerDecoderBlock(num_heads=2, mlp_dim=16)
        >>> block(np.zeros((1, 4, 8), "float32"), np.zeros((1, 6, 8), "float32")).shape
        (1, 4, 8)
    """

    def __init__(self, num_heads, mlp_dim, dropout=0.0, norm_first=True, activation="gelu",
                 epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check("TransformerDecoderBlock", num_heads, mlp_dim, dropout, norm_first)
        self.num_heads, self.mlp_dim, self.dropout = num_heads, mlp_dim, dropout
        self.norm_first, self.activation, self.epsilon = norm_first, activation, epsilon
        self.supports_masking = True

    def build(self, inputs_shape, context_shape=None):
        width = inputs_shape[-1]
        context_shape = inputs_shape if context_shape is None else context_shape
        key_dim = _heads("TransformerDecoderBlock", width, self.num_heads)
        norm = lambda name: keras.layers.LayerNormalization(epsilon=self.epsilon, name=name)  # noqa
        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout,
                                                 name="self_attention")
        self.self_attention_norm = norm("self_attention_norm")
        self.cross_attention = MultiHeadAttention(self.num_heads, key_dim,
                                                  dropout=self.dropout, name="cross_attention")
        self.cross_attention_norm = norm("cross_attention_norm")
        self.mlp_hidden = keras.layers.Dense(self.mlp_dim, activation=self.activation,
                                             name="mlp_hidden")
        self.mlp_output = keras.layers.Dense(width, name="mlp_output")
        self.mlp_norm = norm("mlp_norm")
        self.residual_dropout = keras.layers.Dropout(self.dropout)
        self.self_attention.build(inputs_shape)
        self.cross_attention.build(inputs_shape, context_shape)
        for layer in (self.self_attention_norm, self.cross_attention_norm, self.mlp_norm,
                      self.mlp_hidden):
            layer.build(inputs_shape)
        self.mlp_output.build(tuple(inputs_shape[:-1]) + (self.mlp_dim,))

    def _residual(self, x, branch, norm):
        if self.norm_first:
            return x + branch(norm(x))
        return norm(x + branch(x))

    def call(self, inputs, context, inputs_mask=None, context_mask=None, training=None):
        drop = lambda y: self.residual_dropout(y, training=training)  # noqa: E731
        x = self._residual(inputs, lambda h: drop(self.self_attention(
            h, key_padding_mask=inputs_mask, causal=True, training=training)),
            self.self_attention_norm)
        x = self._residual(x, lambda h: drop(self.cross_attention(
            h, context, key_padding_mask=context_mask, training=training)),
            self.cross_attention_norm)
        return self._residual(x, lambda h: drop(self.mlp_output(self.mlp_hidden(h))),
                              self.mlp_norm)

    def call_with_cache(self, inputs, context_key_value, context_mask=None, cache=None):
        """T new decoder steps (B, T, D) given the cross-attention keys/values of the encoder
        outputs (`self.cross_attention.project_key_value(context)`, computed once) and the
        self-attention cache; returns (outputs, cache). Inference only."""
        attention = self.cross_attention
        cross_mask = None
        if context_mask is not None:
            cross_mask = keras.ops.cast(context_mask, "bool")[:, None, None, :]
        caches = {}

        def self_branch(h):
            y, caches["self"] = self.self_attention.call_with_cache(h, cache, causal=True)
            return y

        x = self._residual(inputs, self_branch, self.self_attention_norm)
        x = self._residual(x, lambda h: attention.attend(attention.project_query(h),
                                                          *context_key_value, cross_mask),
                           self.cross_attention_norm)
        x = self._residual(x, lambda h: self.mlp_output(self.mlp_hidden(h)), self.mlp_norm)
        return x, caches["self"]

    def compute_output_shape(self, inputs_shape, context_shape=None):
        return inputs_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "mlp_dim": self.mlp_dim,
                "dropout": self.dropout, "norm_first": self.norm_first,
                "activation": self.activation, "epsilon": self.epsilon}
