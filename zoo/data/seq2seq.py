"""Synthetic sequence-to-sequence tasks on digit strings, for encoder-decoder models. Pure NumPy.

x is a tuple `(source ids (N, S), decoder input ids (N, S + 1))`, the two inputs of a seq2seq
model trained with teacher forcing; y (N, S + 1) is the target, the decoder input one step ahead.
"""

from __future__ import annotations

import numpy as np

from zoo import validation as check
from zoo.data.splits import Splits, finish, split_indices

SEQ2SEQ_TASKS = ("reverse", "sort")
# id 0 pads, 1 starts the decoder, 2 ends the target; digits follow
VOCAB = ["<pad>", "<s>", "</s>"] + [str(d) for d in range(10)]
PAD_ID, START_ID, END_ID, DIGIT_0 = 0, 1, 2, 3


def seq2seq(
    *, task: str = "reverse", n: int = 4000, min_length: int = 3, max_length: int = 8,
    validation_split: float = 0.15, test_split: float = 0.15, seed: int = 0,
    as_numpy: bool = False, batch_size: int = 32,
) -> Splits:
    """Digit strings of `min_length`..`max_length` digits to transform: "reverse" writes them
    backwards, "sort" in ascending order. Task "language_model" (next-token targets).

    x = (source (N, max_length), decoder input (N, max_length + 1)): the source digits padded
    with 0; the decoder input is `<s>` then the target digits; y is the target digits then
    `</s>`, padded with 0 at the same steps as the decoder input, so a masked loss skips them.
    `info["vocab"]` lists the tokens, with `start_id`, `end_id` and `vocab_size`.

    Example:
        >>> splits = seq2seq(task="reverse", n=100, as_numpy=True)
        >>> (source, decoder_in), target = splits.train
        >>> source.shape, decoder_in.shape, target.shape
        ((70, 8), (70, 9), (70, 9))
        >>> bool((decoder_in[:, 1:] == target[:, :-1])[decoder_in[:, 1:] > 0].all())
        True
    """
    owner = "seq2seq"
    check.choice(owner, "task", task, SEQ2SEQ_TASKS)
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    n = check.at_least(owner, "n", n, 1)
    min_length = check.at_least(owner, "min_length", min_length, 1)
    max_length = check.at_least(owner, "max_length", max_length, min_length)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    source = np.zeros((n, max_length), dtype="int32")
    decoder_in = np.zeros((n, max_length + 1), dtype="int32")
    target = np.zeros((n, max_length + 1), dtype="int32")
    for i, length in enumerate(lengths):
        digits = rng.integers(0, 10, size=length) + DIGIT_0
        out = digits[::-1] if task == "reverse" else np.sort(digits)
        source[i, :length] = digits
        decoder_in[i, 0], decoder_in[i, 1:length + 1] = START_ID, out
        target[i, :length], target[i, length] = out, END_ID
    info = {
        "name": f"seq2seq:{task}", "task": "language_model", "num_classes": len(VOCAB),
        "input_shape": ((max_length,), (max_length + 1,)), "class_names": None,
        "vocab": list(VOCAB), "vocab_size": len(VOCAB), "start_id": START_ID,
        "end_id": END_ID, "padding_id": PAD_ID,
    }
    parts = split_indices(n, validation_split=validation_split, test_split=test_split,
                          seed=seed, stratify=False)
    train, validation, test = (((source[i], decoder_in[i]), target[i]) for i in parts)
    splits = Splits(train=train, validation=validation, test=test, info=info)
    return finish(splits, as_numpy=as_numpy, batch_size=batch_size, seed=seed)
