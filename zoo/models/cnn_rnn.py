"""CNN+RNN family: a convolutional front end that sees local structure (one video frame, a few
characters) feeding a recurrent net that sees order: a TimeDistributed CNN + LSTM for video
clips, and a multi-channel Conv1D + LSTM for text."""

from zoo import validation as check
from zoo._lazy import keras
from zoo.models.rnn import TEXT_MODULES_VOCAB, _recurrent_checks, apply_recurrent_stack
from zoo.registry import Choice, Float, register

SEARCH_SPACE = {
    "stackwise_units": Choice(((32,), (64,), (128,))),
    "cell": Choice(("lstm", "gru")),
    "dropout": Float(0.0, 0.5, step=0.1),
}


@register(family="cnn_rnn", task="classification", dataset="sequences:clips",
          search_space={**SEARCH_SPACE, "stackwise_filters": Choice(((16, 32), (32, 64))),
                        "frame_units": Choice((32, 64, 128))})
def cnn_lstm_video(
    *,
    input_shape=(8, 16, 16, 1),
    num_classes=4,
    stackwise_filters=(16, 32),
    kernel_size=3,
    frame_units=64,
    cell="lstm",
    stackwise_units=(64,),
    bidirectional=False,
    dropout=0.0,
    recurrent_dropout=0.0,
    name="cnn_lstm_video",
):
    """Video classifier: the same small CNN applied to every frame (TimeDistributed Conv2D ->
    max-pool stacks -> Flatten -> Dense) and an LSTM over the frame features, then softmax.

    Use it for action recognition and other labels that depend on motion, which no single
    frame shows. Inputs are clips (frames, H, W, C), or (frames, H, W) with a channel axis
    added. The frame features are flattened, not globally pooled, so where the object is
    survives into the LSTM. One conv stack (Conv2D `kernel_size` + ReLU, 2x2 max-pool) per
    entry of `stackwise_filters`.

    Example:
        >>> import zoo
        >>> zoo.build("cnn_lstm_video").output_shape
        (None, 4)
        >>> zoo.build("cnn_lstm_video", input_shape=(None, 32, 32, 3), num_classes=None,
        ...           stackwise_units=(16,)).output_shape
        (None, 16)
    """
    from zoo.layers.heads import apply_prediction_head

    input_shape = check.shape(name, "input_shape", input_shape, min_rank=3, max_rank=4)
    if any(d is None for d in input_shape[1:]):
        raise ValueError(f"{name}: frame size must be known (only the number of frames may be "
                         f"None), got input_shape={input_shape!r}")
    check.num_classes(name, num_classes)
    stackwise_filters = check.int_list(name, "stackwise_filters", stackwise_filters)
    check.integer(name, "kernel_size", kernel_size, min_value=1)
    check.integer(name, "frame_units", frame_units, min_value=1)
    stackwise_units = _recurrent_checks(name, cell, stackwise_units, bidirectional, dropout,
                                        recurrent_dropout)
    if min(input_shape[1:3]) < 2 ** len(stackwise_filters):
        raise ValueError(
            f"{name}: frames of {input_shape[1:3]} are too small for {len(stackwise_filters)} "
            f"2x2 poolings; use frames of at least {2 ** len(stackwise_filters)} pixels or "
            f"fewer stackwise_filters")

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if len(input_shape) == 3:
        x = keras.layers.Reshape((input_shape[0] or -1, *input_shape[1:], 1),
                                 name="add_channel")(x)
    per_frame = keras.layers.TimeDistributed
    for i, filters in enumerate(stackwise_filters, start=1):
        x = per_frame(keras.layers.Conv2D(filters, kernel_size, padding="same",
                                          activation="relu", kernel_initializer="he_normal"),
                      name=f"frame_stack{i}_conv")(x)
        x = per_frame(keras.layers.MaxPooling2D(2), name=f"frame_stack{i}_pool")(x)
    x = per_frame(keras.layers.Flatten(), name="frame_flatten")(x)
    x = per_frame(keras.layers.Dense(frame_units, activation="relu"), name="frame_dense")(x)
    x = apply_recurrent_stack(x, cell=cell, stackwise_units=stackwise_units,
                              bidirectional=bidirectional, dropout=dropout,
                              recurrent_dropout=recurrent_dropout, name="rnn")
    return keras.Model(inputs, apply_prediction_head(x, num_classes), name=name)


@register(family="cnn_rnn", task="classification", dataset="text:modules",
          search_space={**SEARCH_SPACE, "filters": Choice((32, 64, 128)),
                        "kernel_sizes": Choice(((3,), (3, 5), (2, 3, 5)))})
def cnn_lstm_text(
    *,
    input_shape=(64,),
    num_classes=5,
    vocab_size=TEXT_MODULES_VOCAB,
    embedding_dim=32,
    filters=64,
    kernel_sizes=(3, 5),
    pool_size=2,
    cell="lstm",
    stackwise_units=(64,),
    bidirectional=False,
    dropout=0.2,
    recurrent_dropout=0.0,
    name="cnn_lstm_text",
):
    """Text classifier, multi-channel CNN + LSTM: embedded tokens -> parallel Conv1D branches
    (one per kernel size, concatenated) -> max-pool -> LSTM -> softmax.

    Use it for text where local n-grams matter and so does their order: the convolutions turn
    characters into n-gram features (one channel group per entry of `kernel_sizes`), pooling
    shortens the sequence `pool_size` times, and the LSTM reads the shorter sequence, which
    is faster and reaches further than an LSTM over raw characters. Inputs are (length,)
    token ids; 0 is padding (the text datasets' "<pad>"), and the LSTM skips pooled steps that
    hold only padding (`zoo.layers.PaddingMask`).

    Example:
        >>> import zoo
        >>> zoo.build("cnn_lstm_text").output_shape
        (None, 5)
        >>> zoo.build("cnn_lstm_text").get_layer("concat_branches").output.shape
        (None, 64, 128)
    """
    from zoo.layers.heads import apply_prediction_head
    from zoo.layers.padding_mask import PaddingMask

    input_shape = check.shape(name, "input_shape", input_shape, min_rank=1, max_rank=1)
    check.num_classes(name, num_classes)
    check.integer(name, "vocab_size", vocab_size, min_value=2)
    check.integer(name, "embedding_dim", embedding_dim, min_value=1)
    check.integer(name, "filters", filters, min_value=1)
    kernel_sizes = check.int_list(name, "kernel_sizes", kernel_sizes)
    check.integer(name, "pool_size", pool_size, min_value=1)
    stackwise_units = _recurrent_checks(name, cell, stackwise_units, bidirectional, dropout,
                                        recurrent_dropout)
    if input_shape[0] is not None and input_shape[0] < pool_size:
        raise ValueError(f"{name}: input length {input_shape[0]} is shorter than "
                         f"pool_size={pool_size}")

    inputs = keras.Input(shape=input_shape, dtype="int32", name="inputs")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    branches = [
        keras.layers.Conv1D(filters, k, padding="same", activation="relu",
                            kernel_initializer="he_normal", name=f"branch_k{k}_conv")(x)
        for k in kernel_sizes
    ]
    x = branches[0] if len(branches) == 1 else keras.layers.Concatenate(
        name="concat_branches")(branches)
    if pool_size > 1:
        x = keras.layers.MaxPooling1D(pool_size, name="pool")(x)
    x = PaddingMask(pool_size, name="padding_mask")([x, inputs])  # Conv1D drops the mask
    x = apply_recurrent_stack(x, cell=cell, stackwise_units=stackwise_units,
                              bidirectional=bidirectional, dropout=dropout,
                              recurrent_dropout=recurrent_dropout, name="rnn")
    return keras.Model(inputs, apply_prediction_head(x, num_classes, dropout=dropout), name=name)
