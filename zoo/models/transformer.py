"""Transformer family: an encoder classifier, a GPT-style decoder language model, an
encoder-decoder (seq2seq) and a Vision Transformer, all from the attention written out in
`zoo.layers.attention` and the blocks of `zoo.layers.transformer_block`.

Shapes in comments: B batch, T steps, S source steps, D = d_model, V vocabulary.
The builders return plain functional `keras.Model`s. Step-by-step decoding with a key/value
cache (`KVCacheDecoder`, `Seq2SeqDecoder`) reuses the trained layers' weights outside the graph,
so what is saved stays a plain model; `zoo.models.generation` drives them.
"""

import numpy as np

from zoo import validation as check
from zoo._lazy import keras
from zoo.registry import Choice, register

# vocabulary sizes of the default datasets (info["vocab_size"]); `zoo train` passes the real one
TEXT_LM_VOCAB = 97  # text:lm, level="char"
TEXT_MODULES_VOCAB = 99  # text:modules, level="char" (0 is "<pad>")
SEQ2SEQ_VOCAB = 13  # seq2seq:reverse (0 "<pad>", 1 "<s>", 2 "</s>", digits)
POSITIONS = ("learned", "sinusoidal")
POOLINGS = ("mean", "cls")

# every draw keeps d_model divisible by num_heads (all widths are multiples of 4)
TRANSFORMER_SEARCH_SPACE = {
    "d_model": Choice((32, 64, 128)),
    "num_heads": Choice((2, 4)),
    "num_layers": Choice((1, 2, 3)),
    "mlp_dim": Choice((64, 128, 256)),
    "position": Choice(POSITIONS),
}


# --- shared pieces -----------------------------------------------------------------------------
def _transformer_checks(name, d_model, num_heads, num_layers, mlp_dim, dropout, position,
                        max_length):
    check.integer(name, "d_model", d_model, min_value=1)
    check.integer(name, "num_heads", num_heads, min_value=1)
    if d_model % num_heads:
        raise ValueError(f"{name}: d_model must be divisible by num_heads, got d_model="
                         f"{d_model}, num_heads={num_heads}")
    check.integer(name, "num_layers", num_layers, min_value=1)
    check.integer(name, "mlp_dim", mlp_dim, min_value=1)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.choice(name, "position", position, POSITIONS)
    check.integer(name, "max_length", max_length, min_value=1)


def _token_inputs(name, input_shape, max_length, input_name="inputs"):
    input_shape = check.shape(name, "input_shape", input_shape, min_rank=1, max_rank=1)
    if input_shape[0] is not None and input_shape[0] > max_length:
        raise ValueError(f"{name}: input_shape {input_shape} is longer than max_length="
                         f"{max_length}")
    return keras.Input(shape=input_shape, dtype="int32", name=input_name)


def apply_token_embedding(ids, *, vocab_size, d_model, max_length, position, dropout,
                          mask_zero, name):
    """Token ids (B, T) -> (B, T, D) token + position embeddings; id 0 masked if `mask_zero`."""
    from zoo.layers.position import PositionEmbedding

    x = keras.layers.Embedding(vocab_size, d_model, mask_zero=mask_zero,
                               embeddings_initializer=keras.initializers.RandomNormal(
                                   stddev=0.02), name=f"{name}token_embedding")(ids)
    x = PositionEmbedding(max_length, position, name=f"{name}position_embedding")(x)
    return keras.layers.Dropout(dropout, name=f"{name}embedding_dropout")(x)


def apply_encoder(x, *, num_layers, num_heads, mlp_dim, dropout, norm_first, causal=False,
                  name="block"):
    """`num_layers` TransformerBlocks named f"{name}{i}", plus a final layer norm when the
    blocks are pre-norm (their residual stream is otherwise never normalised)."""
    from zoo.layers.transformer_block import TransformerBlock

    for i in range(1, num_layers + 1):
        x = TransformerBlock(num_heads, mlp_dim, dropout=dropout, norm_first=norm_first,
                             causal=causal, name=f"{name}{i}")(x)
    if norm_first:
        x = keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_final_norm")(x)
    return x


def _classifier_head(x, pooling, num_classes, dropout):
    from zoo.layers.class_token import FirstStep
    from zoo.layers.heads import apply_prediction_head

    if pooling == "cls":
        x = FirstStep(name="class_token_output")(x)
    else:
        x = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)  # skips masked steps
    return apply_prediction_head(x, num_classes, dropout=dropout)


# --- encoder classifier ------------------------------------------------------------------------
@register(family="transformer", task="classification", dataset="text:modules",
          search_space={**TRANSFORMER_SEARCH_SPACE, "pooling": Choice(POOLINGS)})
def transformer_classifier(
    *,
    input_shape=(64,),
    num_classes=5,
    vocab_size=TEXT_MODULES_VOCAB,
    max_length=128,
    d_model=64,
    num_heads=4,
    num_layers=2,
    mlp_dim=128,
    dropout=0.1,
    position="learned",
    norm_first=True,
    pooling="mean",
    mask_zero=True,
    name="transformer_classifier",
):
    """Transformer encoder classifier (BERT-style): token + position embeddings, `num_layers`
    self-attention blocks, then the mean of the outputs (or a class token) into a softmax.

    Use it for sequence classification where any token may bear on any other, whatever their
    distance, and the sequence fits in `max_length` (attention costs T^2). Token id 0 is
    padding when `mask_zero=True`: never attended to and left out of the mean, so padding
    does not change the prediction. `position` is "learned" or "sinusoidal"; `norm_first`
    picks pre-norm blocks (stable without warm-up) or the original post-norm; `pooling` is
    "mean" or "cls" (a learned class token read at step 0). `num_classes=None` returns the
    pooled features.

    Example:
        >>> import zoo
        >>> zoo.build("transformer_classifier").output_shape
        (None, 5)
        >>> zoo.build("transformer_classifier", pooling="cls", num_classes=None).output_shape
        (None, 64)
    """
    from zoo.layers.class_token import ClassToken

    _transformer_checks(name, d_model, num_heads, num_layers, mlp_dim, dropout, position,
                        max_length)
    check.num_classes(name, num_classes)
    check.integer(name, "vocab_size", vocab_size, min_value=2)
    check.choice(name, "pooling", pooling, POOLINGS)
    check.choice(name, "norm_first", norm_first, (False, True))
    check.choice(name, "mask_zero", mask_zero, (False, True))
    inputs = _token_inputs(name, input_shape, max_length)
    x = apply_token_embedding(inputs, vocab_size=vocab_size, d_model=d_model,
                              max_length=max_length, position=position, dropout=dropout,
                              mask_zero=mask_zero, name="")  # (B, T, D)
    if pooling == "cls":
        x = ClassToken(name="class_token")(x)  # (B, 1 + T, D)
    x = apply_encoder(x, num_layers=num_layers, num_heads=num_heads, mlp_dim=mlp_dim,
                      dropout=dropout, norm_first=norm_first)
    return keras.Model(inputs, _classifier_head(x, pooling, num_classes, dropout), name=name)


# --- GPT-style decoder language model ----------------------------------------------------------
@register(family="transformer", task="language_model", dataset="text:lm",
          search_space=TRANSFORMER_SEARCH_SPACE)
def gpt(
    *,
    input_shape=(None,),
    vocab_size=TEXT_LM_VOCAB,
    max_length=128,
    d_model=64,
    num_heads=4,
    num_layers=2,
    mlp_dim=256,
    dropout=0.1,
    position="learned",
    norm_first=True,
    name="gpt",
):
    """GPT-style decoder language model (Radford et al., 2018): token + position embeddings,
    `num_layers` causal self-attention blocks, a softmax over the vocabulary at every step.

    Use it to model and generate text token by token when context up to `max_length` tokens
    matters and training should run over all steps in parallel (an RNN LM cannot). Step t
    sees tokens <= t only. Train with task "language_model" (perplexity, clipnorm 1.0);
    generate with `zoo.models.generation.generate(model, prompt, vocab, temperature=...,
    top_k=...)`, which decodes with a key/value cache, or `beam_search`.

    Example:
        >>> import zoo
        >>> zoo.build("gpt").output_shape
        (None, None, 97)
        >>> zoo.build("gpt", input_shape=(32,), vocab_size=50, position="sinusoidal").output_shape
        (None, 32, 50)
    """
    from zoo.layers.heads import ZERO_START, apply_prediction_head

    _transformer_checks(name, d_model, num_heads, num_layers, mlp_dim, dropout, position,
                        max_length)
    check.integer(name, "vocab_size", vocab_size, min_value=2)
    check.choice(name, "norm_first", norm_first, (False, True))
    inputs = _token_inputs(name, input_shape, max_length)
    x = apply_token_embedding(inputs, vocab_size=vocab_size, d_model=d_model,
                              max_length=max_length, position=position, dropout=dropout,
                              mask_zero=False, name="")  # (B, T, D)
    x = apply_encoder(x, num_layers=num_layers, num_heads=num_heads, mlp_dim=mlp_dim,
                      dropout=dropout, norm_first=norm_first, causal=True)
    outputs = apply_prediction_head(x, vocab_size, initializer=ZERO_START)  # (B, T, V)
    return keras.Model(inputs, outputs, name=name)


# --- encoder-decoder ---------------------------------------------------------------------------
@register(family="transformer", task="language_model", dataset="seq2seq:reverse",
          search_space=TRANSFORMER_SEARCH_SPACE)
def transformer_seq2seq(
    *,
    input_shape=(None,),
    target_shape=(None,),
    vocab_size=SEQ2SEQ_VOCAB,
    max_length=64,
    d_model=64,
    num_heads=4,
    num_layers=2,
    mlp_dim=128,
    dropout=0.1,
    position="learned",
    norm_first=True,
    name="transformer_seq2seq",
):
    """Encoder-decoder transformer (Vaswani et al., 2017): the encoder reads the source ids,
    the decoder predicts the target one step ahead, attending causally to itself and to the
    encoder's outputs (cross-attention).

    Use it to map one sequence to another of a different length (translation, reversing,
    sorting, summarising). Inputs: `[source ids (B, S), decoder ids (B, T)]`; the decoder ids
    are the target shifted right behind a start token (teacher forcing, as `seq2seq:reverse`
    provides); id 0 is padding on both sides, masked everywhere (and in the loss). Outputs
    the next-token softmax (B, T, V). Decode with `zoo.models.generation.decode_sequence`
    (greedy or beam search, with a key/value cache). Encoder and decoder have `num_layers`
    blocks each and separate embeddings.

    Example:
        >>> import zoo
        >>> model = zoo.build("transformer_seq2seq")
        >>> [tuple(t.shape) for t in model.inputs], model.output_shape
        ([(None, None), (None, None)], (None, None, 13))
    """
    from zoo.layers.heads import ZERO_START, apply_prediction_head
    from zoo.layers.transformer_block import TransformerDecoderBlock

    _transformer_checks(name, d_model, num_heads, num_layers, mlp_dim, dropout, position,
                        max_length)
    check.integer(name, "vocab_size", vocab_size, min_value=2)
    check.choice(name, "norm_first", norm_first, (False, True))
    source = _token_inputs(name, input_shape, max_length, "encoder_inputs")
    target = _token_inputs(name, target_shape, max_length, "decoder_inputs")
    embed = dict(vocab_size=vocab_size, d_model=d_model, max_length=max_length,
                 position=position, dropout=dropout, mask_zero=True)
    context = apply_token_embedding(source, name="encoder_", **embed)  # (B, S, D)
    context = apply_encoder(context, num_layers=num_layers, num_heads=num_heads,
                            mlp_dim=mlp_dim, dropout=dropout, norm_first=norm_first,
                            name="encoder_block")
    x = apply_token_embedding(target, name="decoder_", **embed)  # (B, T, D)
    for i in range(1, num_layers + 1):
        x = TransformerDecoderBlock(num_heads, mlp_dim, dropout=dropout, norm_first=norm_first,
                                    name=f"decoder_block{i}")(x, context)
    if norm_first:
        x = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_block_final_norm")(x)
    outputs = apply_prediction_head(x, vocab_size, initializer=ZERO_START)  # (B, T, V)
    return keras.Model([source, target], outputs, name=name)


# --- Vision Transformer ------------------------------------------------------------------------
@register(family="transformer", task="classification", dataset="shapes",
          search_space={**TRANSFORMER_SEARCH_SPACE, "patch_size": Choice((4, 8)),
                        "pooling": Choice(POOLINGS)})
def vit(
    *,
    input_shape=(32, 32, 3),
    num_classes=4,
    patch_size=4,
    d_model=64,
    num_heads=4,
    num_layers=2,
    mlp_dim=128,
    dropout=0.0,
    position="learned",
    norm_first=True,
    pooling="cls",
    name="vit",
):
    """Vision Transformer (Dosovitskiy et al., 2021): the image cut into `patch_size` squares,
    each linearly embedded, plus a class token and position embeddings, through transformer
    encoder blocks; the class token's output (or the mean of all) goes to a softmax.

    Use it for image classification when you want one architecture for images and sequences
    or global context from the first layer; on small data a CNN, with its built-in locality,
    usually learns faster. Height and width must be multiples of `patch_size`.

    Example:
        >>> import zoo
        >>> zoo.build("vit").output_shape
        (None, 4)
        >>> zoo.build("vit", patch_size=8, pooling="mean", num_classes=None).output_shape
        (None, 64)
    """
    from zoo.layers.class_token import ClassToken

    input_shape = check.shape(name, "input_shape", input_shape, min_rank=3, max_rank=3)
    check.integer(name, "patch_size", patch_size, min_value=1)
    height, width = input_shape[:2]
    if height is None or width is None or height % patch_size or width % patch_size:
        raise ValueError(f"{name}: image height and width must be multiples of patch_size="
                         f"{patch_size}, got input_shape={input_shape}")
    num_patches = (height // patch_size) * (width // patch_size)
    _transformer_checks(name, d_model, num_heads, num_layers, mlp_dim, dropout, position,
                        num_patches + 1)
    check.num_classes(name, num_classes)
    check.choice(name, "pooling", pooling, POOLINGS)
    check.choice(name, "norm_first", norm_first, (False, True))
    from zoo.layers.position import PositionEmbedding

    inputs = keras.Input(shape=input_shape, name="inputs")
    # a patch_size-strided convolution = one shared linear map of every flattened patch
    x = keras.layers.Conv2D(d_model, patch_size, strides=patch_size,
                            name="patch_embedding")(inputs)  # (B, H/p, W/p, D)
    x = keras.layers.Reshape((num_patches, d_model), name="patches")(x)  # (B, N, D)
    if pooling == "cls":
        x = ClassToken(name="class_token")(x)  # (B, 1 + N, D)
    x = PositionEmbedding(x.shape[1], position, name="position_embedding")(x)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    x = apply_encoder(x, num_layers=num_layers, num_heads=num_heads, mlp_dim=mlp_dim,
                      dropout=dropout, norm_first=norm_first)
    return keras.Model(inputs, _classifier_head(x, pooling, num_classes, dropout), name=name)


# --- decoding with a key/value cache -----------------------------------------------------------
def _blocks(model, prefix):
    blocks, i = [], 1
    while any(layer.name == f"{prefix}{i}" for layer in model.layers):
        blocks.append(model.get_layer(f"{prefix}{i}"))
        i += 1
    return blocks


def _optional_layer(model, name):
    return next((layer for layer in model.layers if layer.name == name), None)


def _last_step_probabilities(model, x):
    """The final norm and softmax head on the last step of (B, T, D) -> (B, V)."""
    norm = (_optional_layer(model, "block_final_norm")
            or _optional_layer(model, "decoder_block_final_norm"))
    x = x[:, -1:, :]
    if norm is not None:
        x = norm(x)
    return model.get_layer("predictions")(x)[:, -1]


def _probabilities(model, x):
    return np.asarray(keras.ops.convert_to_numpy(_last_step_probabilities(model, x)))


def _compiled(function):
    """`function` traced once into a graph on TensorFlow (one trace serves every cache length);
    as it is on other backends, where each step runs op by op."""
    if keras.backend.backend() != "tensorflow":
        return function
    compiled = getattr(function.__self__, "_compiled_step", None)
    if compiled is None:
        import tensorflow as tf

        compiled = tf.function(function, reduce_retracing=True)
        function.__self__._compiled_step = compiled
    return compiled


class KVCacheDecoder:
    """Step-by-step decoding of a `gpt` model with a key/value cache: each new token runs
    through the blocks alone, attending to the cached keys/values of the tokens before it,
    so a step costs O(T) instead of re-running all T tokens (O(T^2) attention). Uses the
    model's own layers (and weights); the model itself stays a plain functional model.

    `start(ids (B, T))` and `step(tokens (B,))` return next-token probabilities (B, V);
    `reorder(index)` keeps the rows `index` (beam search). Positions stop at `max_length`.
    """

    def __init__(self, model):
        self.model = model
        self.token_embedding = model.get_layer("token_embedding")
        self.position_embedding = model.get_layer("position_embedding")
        self.blocks = _blocks(model, "block")
        self.max_length = self.position_embedding.max_length
        self.cache, self.length = None, 0

    def _forward(self, ids, start, cache):
        x = self.token_embedding(ids)
        x = self.position_embedding(x, start=start)  # (B, T_new, D)
        cache = list(cache)
        for i, block in enumerate(self.blocks):
            x, cache[i] = block.call_with_cache(x, cache[i])  # cache[i]: 2 x (B, nh, T, hs)
        return _last_step_probabilities(self.model, x), cache

    def _run(self, ids):
        if self.length + ids.shape[1] > self.max_length and \
                self.position_embedding.position == "learned":
            raise ValueError(f"KVCacheDecoder: {self.length + ids.shape[1]} tokens exceed the "
                             f"model's max_length={self.max_length}; decode without the cache "
                             "(use_cache=False) to slide a window")
        ids = keras.ops.convert_to_tensor(ids, "int32")
        if self.cache is None:  # the prompt: run eagerly once
            probs, self.cache = self._forward(ids, 0, [None] * len(self.blocks))
        else:
            start = keras.ops.convert_to_tensor(self.length, "int32")
            probs, self.cache = _compiled(self._forward)(ids, start, self.cache)
        self.length += ids.shape[1]
        return np.asarray(keras.ops.convert_to_numpy(probs))

    def start(self, ids):
        self.cache, self.length = None, 0
        return self._run(np.asarray(ids, dtype="int32"))

    def step(self, tokens):
        return self._run(np.asarray(tokens, dtype="int32")[:, None])

    def reorder(self, index):
        take = lambda t: keras.ops.take(t, np.asarray(index), axis=0)  # noqa: E731
        self.cache = [(take(k), take(v)) for k, v in self.cache]


class Seq2SeqDecoder:
    """Step-by-step decoding of a `transformer_seq2seq` model for fixed `source` ids (B, S):
    the encoder runs once; the decoder keeps a self-attention key/value cache per block and
    the cross-attention keys/values of the encoder outputs. With `use_cache=False` every step
    re-runs the whole model on the decoded prefix (the reference the cache must match).
    Same `start`/`step`/`reorder` interface as `KVCacheDecoder`.
    """

    def __init__(self, model, source, use_cache=True):
        self.model, self.use_cache = model, use_cache
        self.source = np.asarray(source, dtype="int32")
        self.ids = None
        if not use_cache:
            return
        encoder = keras.Model(model.get_layer("encoder_inputs").output,
                              _encoder_output(model), name="encoder")
        context = encoder(self.source)  # (B, S, D)
        self.context_mask = keras.ops.convert_to_tensor(self.source != 0)
        self.embedding = model.get_layer("decoder_token_embedding")
        self.position_embedding = model.get_layer("decoder_position_embedding")
        self.blocks = _blocks(model, "decoder_block")
        self.context_key_value = [block.cross_attention.project_key_value(context)
                                  for block in self.blocks]
        self.cache, self.length = None, 0

    def _run(self, ids):
        if not self.use_cache:
            return np.asarray(self.model.predict_on_batch([self.source, self.ids]))[:, -1]
        x = self.position_embedding(self.embedding(keras.ops.convert_to_tensor(ids, "int32")),
                                    start=self.length)
        cache = self.cache or [None] * len(self.blocks)
        for i, block in enumerate(self.blocks):
            x, cache[i] = block.call_with_cache(x, self.context_key_value[i],
                                                self.context_mask, cache[i])
        self.cache, self.length = cache, self.length + ids.shape[1]
        return _probabilities(self.model, x)

    def start(self, ids):
        self.ids, self.cache, self.length = np.asarray(ids, dtype="int32"), None, 0
        return self._run(self.ids)

    def step(self, tokens):
        tokens = np.asarray(tokens, dtype="int32")[:, None]
        self.ids = np.concatenate([self.ids, tokens], axis=1)
        return self._run(tokens)

    def reorder(self, index):
        index = np.asarray(index)
        self.ids, self.source = self.ids[index], self.source[index]
        if self.use_cache:
            take = lambda t: keras.ops.take(t, index, axis=0)  # noqa: E731
            self.cache = [(take(k), take(v)) for k, v in self.cache]
            self.context_key_value = [(take(k), take(v)) for k, v in self.context_key_value]
            self.context_mask = take(self.context_mask)


def _encoder_output(model):
    norm = _optional_layer(model, "encoder_block_final_norm")
    if norm is not None:
        return norm.output
    return _blocks(model, "encoder_block")[-1].output


def cached_decoder(model):
    """The `KVCacheDecoder` of a zoo `gpt` model, or None for a model without one.

    One decoder per model, kept on it: its compiled step (one trace on TensorFlow) then serves
    every later `generate` call instead of being traced again for each (a trace costs ~2 s for
    a 4-layer d256 model). `start()` resets its cache, so reuse is safe."""
    decoder = model.__dict__.get("_zoo_kv_decoder")
    if decoder is not None:
        return decoder
    names = {layer.name for layer in model.layers}
    if {"token_embedding", "position_embedding", "block1", "predictions"} <= names:
        from zoo.layers.transformer_block import TransformerBlock

        if isinstance(model.get_layer("block1"), TransformerBlock) and \
                model.get_layer("block1").causal:
            decoder = KVCacheDecoder(model)
            object.__setattr__(model, "_zoo_kv_decoder", decoder)  # not a tracked attribute
            return decoder
    return None
