"""Sequence family: stacked LSTM/GRU classifiers, regressors and taggers, a temporal
convolutional network (TCN), and a character-level recurrent language model.

Every builder takes either token ids (`vocab_size` set: inputs `(length,)` int32, embedded) or
float time series (`vocab_size=None`: inputs `(length, features)`, or `(length,)` with a feature
axis added). A length of None accepts sequences of any length. Text generation and perplexity
live in `zoo.models.generation` and `zoo.train.metrics`, so models stay plain `keras.Model`s.
"""

from zoo import validation as check
from zoo._lazy import keras
from zoo.registry import Choice, Float, Preset, register

CELLS = ("lstm", "gru")
HEADS = ("classification", "regression")

# vocabulary sizes of the default datasets (info["vocab_size"]); `zoo train` passes the real one
TEXT_LM_VOCAB = 97  # text:lm, level="char"
TEXT_MODULES_VOCAB = 99  # text:modules, level="char" (0 is "<pad>")


# --- shared pieces -----------------------------------------------------------------------------
def sequence_inputs(name, input_shape, vocab_size, embedding_dim, mask_zero=False):
    """(inputs, x): token ids embedded (id 0 masked if `mask_zero`), or floats with a feature
    axis; float steps that are all zero are masked if `mask_zero`."""
    input_shape = check.shape(name, "input_shape", input_shape, min_rank=1, max_rank=2)
    check.choice(name, "mask_zero", mask_zero, (False, True))
    if vocab_size is not None:
        check.integer(name, "vocab_size", vocab_size, min_value=2)
        check.integer(name, "embedding_dim", embedding_dim, min_value=1)
        if len(input_shape) != 1:
            raise ValueError(f"{name}: with vocab_size set, input_shape must be (length,) token "
                             f"ids, got {input_shape!r}")
        inputs = keras.Input(shape=input_shape, dtype="int32", name="inputs")
        x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero,
                                   name="embedding")(inputs)
        return inputs, x
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if len(input_shape) == 1:
        x = keras.layers.Reshape((input_shape[0] or -1, 1), name="add_feature")(x)
    if mask_zero:
        x = keras.layers.Masking(0.0, name="masking")(x)
    return inputs, x


def apply_recurrent_stack(x, *, cell="lstm", stackwise_units=(64,), bidirectional=False,
                          dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                          name="rnn"):
    """Stacked LSTM/GRU layers named `f"{name}_{i}"`; all but the last return sequences.

    `dropout` drops inputs of each layer, `recurrent_dropout` the recurrent state (the same
    mask at every step, Gal & Ghahramani, 2016). Masks from the embedding are respected.
    """
    layer_class = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
    for i, units in enumerate(stackwise_units, start=1):
        last = i == len(stackwise_units)
        layer = layer_class(units, dropout=dropout, recurrent_dropout=recurrent_dropout,
                            return_sequences=return_sequences or not last,
                            name=f"{name}_{i}_{cell}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{name}_{i}_bi{cell}")
        x = layer(x)
    return x


def _recurrent_checks(name, cell, stackwise_units, bidirectional, dropout, recurrent_dropout):
    check.choice(name, "cell", cell, CELLS)
    stackwise_units = check.int_list(name, "stackwise_units", stackwise_units)
    check.choice(name, "bidirectional", bidirectional, (False, True))
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.number(name, "recurrent_dropout", recurrent_dropout, min_value=0.0, max_value=1.0,
                   max_exclusive=True)
    return stackwise_units


# --- recurrent classifiers, regressors and taggers ---------------------------------------------
RNN_SEARCH_SPACE = {
    "cell": Choice(CELLS),
    "stackwise_units": Choice(((32,), (64,), (128,), (64, 64))),
    "bidirectional": Choice((False, True)),
    "dropout": Float(0.0, 0.5, step=0.1),
    "recurrent_dropout": Float(0.0, 0.3, step=0.1),
}


@register(
    family="rnn",
    task="classification",
    dataset="text:modules",
    search_space=RNN_SEARCH_SPACE,
    presets={
        "gru_classifier": Preset(
            description="GRU text classifier: embedded tokens (padding masked) through a "
            "stacked GRU read to the last step, then softmax; fewer parameters than an LSTM.",
            cell="gru"),
        "bilstm_classifier": Preset(
            description="Bidirectional LSTM text classifier: embedded tokens (padding id 0 "
            "masked) read both ways, then softmax.",
            bidirectional=True, dropout=0.2),
        "lstm_regressor": Preset(
            task="regression", dataset="sequences:adding",
            description="LSTM regressor: float time series through a stacked LSTM read to the "
            "last step, then a linear head; for forecasting and sequence-level targets.",
            input_shape=(20, 2), num_classes=1, vocab_size=None, mask_zero=False,
            head="regression"),
        "lstm_tagger": Preset(
            dataset="text:lm",
            description="LSTM sequence tagger: one softmax per step over a stacked LSTM "
            "(on text:lm it tags each character with the next one).",
            num_classes=TEXT_LM_VOCAB, vocab_size=TEXT_LM_VOCAB, mask_zero=False,
            return_sequences=True, stackwise_units=(128,)),
    },
)
def rnn(
    *,
    input_shape=(64,),
    num_classes=5,
    vocab_size=TEXT_MODULES_VOCAB,
    embedding_dim=32,
    cell="lstm",
    stackwise_units=(64,),
    bidirectional=False,
    dropout=0.0,
    recurrent_dropout=0.0,
    mask_zero=True,
    return_sequences=False,
    head="classification",
    name="rnn",
):
    """Recurrent network: [Embedding | Masking] -> stacked LSTM/GRU (optionally bidirectional)
    -> Dense head, either on the last step (many-to-one) or on every step (a tagger).

    Use it when the answer depends on order and on things far apart in the sequence (counts,
    parities, long-range context), where a bag of steps or a fixed window fails. `cell` is
    "lstm" or "gru"; layer `i` has `stackwise_units[i]` units. With `vocab_size` set, inputs are
    token ids (the default: lines of text:modules); with `mask_zero=True` id 0 (or, for float inputs, an all-zero step) is padding
    and is skipped, so padded and unpadded sequences give the same outputs.
    `return_sequences=True` gives one prediction per step. `head="regression"` makes the
    head linear with `num_classes` targets.

    Example:
        >>> import zoo
        >>> zoo.build("rnn").output_shape
        (None, 5)
        >>> zoo.build("lstm_regressor").output_shape
        (None, 1)
        >>> zoo.build("lstm_tagger").output_shape
        (None, 64, 97)
        >>> zoo.build("bilstm_classifier", num_classes=None).output_shape
        (None, 128)
    """
    from zoo.layers.heads import apply_prediction_head

    check.num_classes(name, num_classes)
    stackwise_units = _recurrent_checks(name, cell, stackwise_units, bidirectional, dropout,
                                        recurrent_dropout)
    check.choice(name, "return_sequences", return_sequences, (False, True))
    check.choice(name, "head", head, HEADS)

    inputs, x = sequence_inputs(name, input_shape, vocab_size, embedding_dim, mask_zero)
    x = apply_recurrent_stack(x, cell=cell, stackwise_units=stackwise_units,
                              bidirectional=bidirectional, dropout=dropout,
                              recurrent_dropout=recurrent_dropout,
                              return_sequences=return_sequences, name="rnn")
    return keras.Model(inputs, apply_prediction_head(x, num_classes, task=head), name=name)


# --- temporal convolutional network ------------------------------------------------------------
TCN_SEARCH_SPACE = {
    "filters": Choice((16, 32, 64)),
    "kernel_size": Choice((2, 3, 5)),
    "dilations": Choice(((1, 2, 4), (1, 2, 4, 8), (1, 2, 4, 8, 16))),
    "dropout": Float(0.0, 0.3, step=0.1),
    "normalization": Choice((None, "layer")),
}


def _tcn_info(defaults):
    from zoo.layers.temporal_block import receptive_field

    return {"receptive_field": receptive_field(defaults["kernel_size"], defaults["dilations"],
                                               defaults["convs_per_block"])}


@register(family="rnn", task="regression", dataset="sequences:adding",
          search_space=TCN_SEARCH_SPACE, info=_tcn_info)
def tcn(
    *,
    input_shape=(20, 2),
    num_classes=1,
    vocab_size=None,
    embedding_dim=32,
    filters=32,
    kernel_size=3,
    dilations=(1, 2, 4, 8),
    convs_per_block=2,
    activation="relu",
    dropout=0.0,
    normalization=None,
    return_sequences=False,
    head="regression",
    name="tcn",
):
    """Temporal convolutional network (Bai et al., 2018): residual blocks of dilated causal
    Conv1D, then a Dense head on the last step (or on every step).

    Use it instead of an RNN for long sequences: it trains in parallel over steps, and its
    memory is exactly its receptive field, `1 + convs_per_block * (kernel_size - 1) *
    sum(dilations)` steps (61 for the defaults; `zoo info tcn` prints it), which should cover
    the sequence. Causal padding means the output at step t never sees steps after t. One
    block per entry of `dilations`, each of `filters` channels.

    Example:
        >>> import zoo
        >>> zoo.build("tcn").output_shape
        (None, 1)
        >>> zoo.build("tcn", input_shape=(None, 3), return_sequences=True).output_shape
        (None, None, 1)
        >>> zoo.model_info("tcn")["receptive_field"]
        61
    """
    from zoo.layers.heads import apply_prediction_head
    from zoo.layers.last_step import LastStep
    from zoo.layers.temporal_block import ACTIVATIONS, NORMALIZATIONS, apply_temporal_block

    check.num_classes(name, num_classes)
    check.integer(name, "filters", filters, min_value=1)
    check.integer(name, "kernel_size", kernel_size, min_value=1)
    dilations = check.int_list(name, "dilations", dilations)
    check.integer(name, "convs_per_block", convs_per_block, min_value=1)
    check.choice(name, "activation", activation, ACTIVATIONS)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    check.choice(name, "normalization", normalization, NORMALIZATIONS)
    check.choice(name, "return_sequences", return_sequences, (False, True))
    check.choice(name, "head", head, HEADS)

    inputs, x = sequence_inputs(name, input_shape, vocab_size, embedding_dim)
    for i, dilation in enumerate(dilations, start=1):
        x = apply_temporal_block(x, filters, kernel_size=kernel_size, dilation_rate=dilation,
                                 convs_per_block=convs_per_block, activation=activation,
                                 dropout=dropout, normalization=normalization,
                                 name=f"block{i}")
    if not return_sequences:
        x = LastStep(name="last_step")(x)
    return keras.Model(inputs, apply_prediction_head(x, num_classes, task=head), name=name)


# --- language model ----------------------------------------------------------------------------
RNN_LM_SEARCH_SPACE = {
    "cell": Choice(CELLS),
    "embedding_dim": Choice((32, 64, 128)),
    "stackwise_units": Choice(((128,), (256,), (256, 256))),
    "dropout": Float(0.0, 0.3, step=0.1),
}


@register(family="rnn", task="language_model", dataset="text:lm",
          search_space=RNN_LM_SEARCH_SPACE)
def rnn_lm(
    *,
    input_shape=(None,),
    vocab_size=TEXT_LM_VOCAB,
    embedding_dim=64,
    cell="lstm",
    stackwise_units=(256,),
    dropout=0.0,
    recurrent_dropout=0.0,
    name="rnn_lm",
):
    """Character (or word) recurrent language model: Embedding -> stacked LSTM/GRU -> softmax
    over the vocabulary at every step, predicting the next token.

    Use it to model and generate text token by token. Train it with task "language_model":
    `zoo.train` then reports perplexity (`zoo.train.metrics.Perplexity`) and clips gradients
    (clipnorm=1.0) by default. Sample with `zoo.models.generation.generate(model, prompt,
    vocab, temperature=...)`. The model is causal, so any input length works; `vocab_size`
    must match the data's vocabulary (`zoo train` passes it).

    Example:
        >>> import zoo
        >>> zoo.build("rnn_lm").output_shape
        (None, None, 97)
        >>> zoo.build("rnn_lm", input_shape=(32,), vocab_size=50).output_shape
        (None, 32, 50)
    """
    from zoo.layers.heads import apply_prediction_head

    stackwise_units = _recurrent_checks(name, cell, stackwise_units, False, dropout,
                                        recurrent_dropout)
    check.integer(name, "vocab_size", vocab_size, min_value=2)
    inputs, x = sequence_inputs(name, input_shape, vocab_size, embedding_dim)
    x = apply_recurrent_stack(x, cell=cell, stackwise_units=stackwise_units, dropout=dropout,
                              recurrent_dropout=recurrent_dropout, return_sequences=True,
                              name="rnn")
    return keras.Model(inputs, apply_prediction_head(x, vocab_size), name=name)  # (B, T, V)
