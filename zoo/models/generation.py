"""Text generation from a causal language model such as `rnn_lm`: temperature sampling, token
by token. Works on any backend (NumPy around `model.predict_on_batch`)."""

from __future__ import annotations

import numpy as np


def _as_vocabulary(vocab, level):
    from zoo.data.corpus import Vocabulary

    if isinstance(vocab, Vocabulary):
        return vocab
    return Vocabulary.from_list(list(vocab), level=level)


def sample_next(probs, *, temperature=1.0, rng=None) -> int:
    """One token id drawn from `probs` sharpened (T < 1) or flattened (T > 1) by temperature:
    `p_i^(1/T) / sum_j p_j^(1/T)`; `temperature=0` takes the most likely token."""
    probs = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(probs))
    logits = np.log(np.maximum(probs, 1e-12)) / temperature
    logits -= logits.max()
    weights = np.exp(logits)
    rng = rng if rng is not None else np.random.default_rng()
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def generate(model, prompt: str, vocab, *, max_new_tokens: int = 100, temperature: float = 1.0,
             seed: int | None = None, level: str = "char") -> str:
    """`prompt` followed by `max_new_tokens` tokens sampled from `model` at `temperature`.

    `vocab` is a `zoo.data.corpus.Vocabulary` or its token list (`splits.info["vocab"]`, with
    `level` "char" or "word"). The model maps (batch, steps) ids to (batch, steps, vocab)
    probabilities and must be causal; "<unk>" and "<pad>" are never sampled. A model built for a fixed length L reads the last L
    tokens; a shorter context is written at the start and the rest filled with id 0, which a
    causal model cannot see from the step that is read.

    Example:
        >>> import zoo
        >>> from zoo.models.generation import generate
        >>> vocab = ["<unk>"] + list("abc ")
        >>> model = zoo.build("rnn_lm", vocab_size=len(vocab), stackwise_units=(8,))
        >>> text = generate(model, "ab", vocab, max_new_tokens=5, seed=0)
        >>> text.startswith("ab"), len(text)
        (True, 7)
    """
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or \
            max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or \
            temperature < 0:
        raise ValueError(f"generate: temperature must be a number >= 0, got {temperature!r}")
    vocabulary = _as_vocabulary(vocab, level)
    ids = list(vocabulary.encode(prompt))
    if not ids:
        raise ValueError("generate: prompt must hold at least one token, got an empty prompt")
    window = model.input_shape[1]
    banned = [i for i in (vocabulary.unknown_id, vocabulary.padding_id) if i is not None]
    rng = np.random.default_rng(seed)
    for _ in range(max_new_tokens):
        context = ids if window is None else ids[-window:]
        x = np.zeros((1, window or len(context)), dtype="int32")
        x[0, : len(context)] = context
        probs = np.array(model.predict_on_batch(x)[0, len(context) - 1], dtype=np.float64)
        probs[banned] = 0.0  # "<unk>" and "<pad>" are not text
        ids.append(sample_next(probs, temperature=temperature, rng=rng))
    new = vocabulary.decode(ids[len(vocabulary.encode(prompt)):])
    return prompt + ("" if vocabulary.level == "char" or not new else " ") + new
