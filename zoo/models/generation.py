"""Generation from a causal language model (`rnn_lm`, `gpt`) and decoding of a seq2seq model:
temperature and top-k sampling, beam search, greedy decoding; NumPy around the model, so any
backend. A decoder object (`start`, `step`, `reorder`) hides whether each step re-runs the
model (`RecomputeDecoder`) or reuses a key/value cache (`zoo.models.transformer`)."""

from __future__ import annotations

import numpy as np

from zoo import validation as check


def _as_vocabulary(vocab, level):
    from zoo.data.corpus import Vocabulary

    if isinstance(vocab, Vocabulary):
        return vocab
    return Vocabulary.from_list(list(vocab), level=level)


def sample_next(probs, *, temperature=1.0, rng=None, top_k=None) -> int:
    """One token id drawn from `probs` sharpened (T < 1) or flattened (T > 1) by temperature:
    `p_i^(1/T) / sum_j p_j^(1/T)`; `temperature=0` takes the most likely token. `top_k` keeps
    only the k most likely tokens before drawing."""
    probs = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(probs))
    logits = np.log(np.maximum(probs, 1e-12)) / temperature
    if top_k is not None and top_k < len(logits):
        kth = np.sort(logits)[-top_k]
        logits = np.where(logits >= kth, logits, -np.inf)
    logits -= logits.max()
    weights = np.exp(logits)
    rng = rng if rng is not None else np.random.default_rng()
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def _check_sampling(max_new_tokens, temperature, top_k):
    check.at_least("generate", "max_new_tokens", max_new_tokens, 0)
    check.number("generate", "temperature", temperature, min_value=0)
    if top_k is not None:
        check.at_least("generate", "top_k", top_k, 1)


class RecomputeDecoder:
    """Decoding without a cache: every step runs the whole model on the context so far (the
    last `window` tokens of a fixed-length model, or of a transformer's `max_length`). Works
    for any causal LM. `start(ids (B, T))`, `step(tokens (B,))` -> next-token probabilities
    (B, V); `reorder(index)` keeps rows `index`."""

    def __init__(self, model):
        self.model = model
        self.window = model.input_shape[1]
        self.fixed = self.window is not None
        if not self.fixed:
            position = next((layer for layer in model.layers
                             if layer.name == "position_embedding"), None)
            if position is not None and position.position == "learned":
                self.window = position.max_length
        self.ids = None
        import keras

        self.compiles_per_shape = (keras.backend.backend() == "jax"
                                   or getattr(model, "jit_compile", False) is True)

    def _padded_length(self, length: int) -> int:
        """The input length to run: the window of a fixed-length model; for a model whose
        predict step XLA compiles once per input shape (jit_compile on, or any JAX model),
        `length` rounded up to a power of two (at least 8, at most the window): feeding every
        context length as it is cost one compilation per new token, padding keeps it to a
        handful. Otherwise `length` itself (TensorFlow's graph serves every length, and padding
        would only add work, quadratic in a transformer)."""
        if self.fixed:
            return self.window
        if not self.compiles_per_shape:
            return length
        bucket = max(8, 1 << (length - 1).bit_length())
        return bucket if self.window is None else min(bucket, self.window)

    def _probs(self):
        context = self.ids if self.window is None else self.ids[:, -self.window:]
        length = context.shape[1]
        # written at the start, the rest id 0, which a causal model cannot see
        x = np.zeros((len(context), self._padded_length(length)), dtype="int32")
        x[:, :length] = context
        return np.array(self.model.predict_on_batch(x)[:, length - 1], dtype=np.float64)

    def start(self, ids):
        self.ids = np.asarray(ids, dtype="int32")
        return self._probs()

    def step(self, tokens):
        self.ids = np.concatenate([self.ids, np.asarray(tokens, "int32")[:, None]], axis=1)
        return self._probs()

    def reorder(self, index):
        self.ids = self.ids[np.asarray(index)]


def decoder_for(model, use_cache=True):
    """The fastest decoder `model` supports: a key/value cache for a zoo `gpt`, else
    recomputation (`use_cache=False` forces recomputation)."""
    if use_cache:
        from zoo.models.transformer import cached_decoder

        decoder = cached_decoder(model)
        if decoder is not None:
            return decoder
    return RecomputeDecoder(model)


def sample_ids(decoder, prompt_ids, *, max_new_tokens=100, temperature=1.0, top_k=None,
               seed=None, banned=()):
    """(B, T + max_new_tokens) ids: `prompt_ids` (B, T) followed by tokens drawn one at a time
    from `decoder` (see `decoder_for`). Ids in `banned` are never drawn."""
    _check_sampling(max_new_tokens, temperature, top_k)
    ids = np.asarray(prompt_ids, dtype="int32")
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(f"generate: prompt must hold at least one token per row, got shape "
                         f"{ids.shape}")
    rng = np.random.default_rng(seed)
    out = [ids]
    probs = decoder.start(ids) if max_new_tokens else None
    for i in range(max_new_tokens):
        probs = np.array(probs, dtype=np.float64)
        probs[:, list(banned)] = 0.0
        tokens = np.array([sample_next(p, temperature=temperature, rng=rng, top_k=top_k)
                           for p in probs], dtype="int32")
        out.append(tokens[:, None])
        if i + 1 < max_new_tokens:
            probs = decoder.step(tokens)
    return np.concatenate(out, axis=1)


def generate(model, prompt, vocab=None, *, max_new_tokens: int = 100,
             temperature: float = 1.0, top_k: int | None = None, seed: int | None = None,
             level: str = "char", use_cache: bool = True):
    """`prompt` followed by `max_new_tokens` tokens sampled from `model` at `temperature`
    (from the `top_k` most likely tokens only, if given).

    `prompt` is text (then `vocab` is a `zoo.data.corpus.Vocabulary` or its token list,
    `splits.info["vocab"]`, with `level` "char" or "word", and text comes back) or token ids,
    (T,) or (B, T) (then ids come back, the same shape plus the new tokens). The model maps
    (batch, steps) ids to (batch, steps, vocab) probabilities and must be causal; "<unk>" and
    "<pad>" are never sampled from text. A `gpt` decodes with a key/value cache unless
    `use_cache=False` (the same tokens, slower). A model built for a fixed length L reads the
    last L tokens; a shorter context is written at the start and the rest filled with id 0,
    which a causal model cannot see from the step that is read.

    Example:
        >>> import zoo
        >>> from zoo.models.generation import generate
        >>> vocab = ["<unk>"] + list("abc ")
        >>> model = zoo.build("rnn_lm", vocab_size=len(vocab), stackwise_units=(8,))
        >>> text = generate(model, "ab", vocab, max_new_tokens=5, seed=0)
        >>> text.startswith("ab"), len(text)
        (True, 7)
        >>> gpt = zoo.build("gpt", vocab_size=5, d_model=16, num_heads=2, num_layers=1)
        >>> generate(gpt, [1, 2], max_new_tokens=3, temperature=0).shape
        (5,)
    """
    _check_sampling(max_new_tokens, temperature, top_k)
    decoder = decoder_for(model, use_cache)
    if not isinstance(prompt, str):
        ids = np.asarray(prompt, dtype="int32")
        rows = ids if ids.ndim == 2 else ids[None]
        out = sample_ids(decoder, rows, max_new_tokens=max_new_tokens,
                         temperature=temperature, top_k=top_k, seed=seed)
        return out if ids.ndim == 2 else out[0]
    if vocab is None:
        raise ValueError("generate: a text prompt needs vocab (the dataset's info['vocab'])")
    vocabulary = _as_vocabulary(vocab, level)
    ids = list(vocabulary.encode(prompt))
    if not ids:
        raise ValueError("generate: prompt must hold at least one token, got an empty prompt")
    banned = [i for i in (vocabulary.unknown_id, vocabulary.padding_id) if i is not None]
    out = sample_ids(decoder, np.array([ids]), max_new_tokens=max_new_tokens,
                     temperature=temperature, top_k=top_k, seed=seed, banned=banned)[0]
    new = vocabulary.decode(out[len(ids):].tolist())
    return prompt + ("" if vocabulary.level == "char" or not new else " ") + new


def beam_search_ids(decoder, prompt_ids, *, beam_width=4, max_new_tokens=20, end_id=None,
                    banned=()):
    """The most probable continuation of one prompt (T,) found by beam search: keep the
    `beam_width` best partial sequences by total log-probability, extend each by every token,
    keep the best again. A beam that emits `end_id` is finished and stops growing. Returns
    the best sequence's new tokens (up to and including `end_id`) as an int array."""
    _check_beam(beam_width, max_new_tokens)
    prompt = np.asarray(prompt_ids, dtype="int32").reshape(-1)
    probs = decoder.start(np.repeat(prompt[None], beam_width, axis=0))  # (W, V)
    return _beam_search_rows(decoder, probs, 1, beam_width=beam_width,
                             max_new_tokens=max_new_tokens, end_id=end_id, banned=banned)[0]


def _check_beam(beam_width, max_new_tokens, owner="beam_search"):
    check.at_least(owner, "beam_width", beam_width, 1)
    _check_sampling(max_new_tokens, 1.0, None)


def _beam_search_rows(decoder, probs, rows, *, beam_width, max_new_tokens, end_id, banned):
    """Beam search for `rows` independent sequences at once: `decoder` holds rows * W beams,
    row r's at [r * W, (r + 1) * W), and `probs` (rows * W, V) is its first prediction. Each
    row keeps its own W best beams, exactly as a search of that row alone would (the same
    stable ranking), but every step is one decoder call for all of them. Returns one array of
    new tokens per row."""
    width = beam_width  # W
    scores = np.full((rows, width), -np.inf)
    scores[:, 0] = 0.0  # all beams start equal: keep one so the first step does not repeat it
    tokens = np.zeros((rows, width, 0), dtype="int32")
    finished = np.zeros((rows, width), dtype=bool)
    row_index = np.arange(rows)[:, None]
    for i in range(max_new_tokens):
        log_probs = np.log(np.maximum(np.asarray(probs, np.float64), 1e-30))
        vocab = log_probs.shape[-1]
        log_probs = log_probs.reshape(rows, width, vocab)
        log_probs[..., list(banned)] = -np.inf
        if end_id is not None:  # a finished beam only "continues" with end_id, at no cost
            log_probs[finished] = -np.inf
            log_probs[finished, end_id] = 0.0
        total = (scores[..., None] + log_probs).reshape(rows, width * vocab)
        best = np.argsort(-total, axis=1, kind="stable")[:, :width]  # (rows, W)
        beam, token = np.divmod(best, vocab)
        scores = np.take_along_axis(total, best, axis=1)
        tokens = np.concatenate([tokens[row_index, beam], token[..., None]], axis=2)
        finished = finished[row_index, beam] | (token == end_id if end_id is not None
                                                else False)
        if finished.all() or i + 1 == max_new_tokens:
            break
        decoder.reorder((row_index * width + beam).ravel())
        probs = decoder.step(token.ravel().astype("int32"))
    out = []
    for r in range(rows):
        seq = tokens[r, int(np.argmax(scores[r]))]
        if end_id is not None and (seq == end_id).any():
            seq = seq[: int(np.argmax(seq == end_id)) + 1]
        out.append(seq)
    return out


def beam_search(model, prompt_ids, *, beam_width=4, max_new_tokens=20, end_id=None,
                use_cache=True):
    """Beam search over a causal language model (`gpt` uses its key/value cache): the new
    tokens of the most probable continuation of `prompt_ids` (T,). See `beam_search_ids`.

    Example:
        >>> import zoo
        >>> gpt = zoo.build("gpt", vocab_size=5, d_model=16, num_heads=2, num_layers=1)
        >>> beam_search(gpt, [1, 2], beam_width=3, max_new_tokens=4).shape
        (4,)
    """
    return beam_search_ids(decoder_for(model, use_cache), prompt_ids, beam_width=beam_width,
                           max_new_tokens=max_new_tokens, end_id=end_id)


def decode_sequence(model, source_ids, *, start_id=1, end_id=2, padding_id=0, max_length=32,
                    beam_width=1, use_cache=True):
    """Target ids a `transformer_seq2seq` model writes for each source row (B, S): greedy
    (`beam_width=1`) or beam search, from `start_id` until `end_id` (kept) or `max_length`
    tokens; `padding_id` and `start_id` are never written. Returns a list of B int arrays.
    `use_cache=False` re-runs the whole model each step.

    Example:
        >>> import zoo
        >>> model = zoo.build("transformer_seq2seq", d_model=16, num_heads=2, num_layers=1)
        >>> [len(t) <= 5 for t in decode_sequence(model, [[3, 4, 5]], max_length=5)]
        [True]
    """
    from zoo.models.transformer import Seq2SeqDecoder

    source = np.asarray(source_ids, dtype="int32")
    banned = [padding_id, start_id]  # a decoded <pad> would be masked if fed back: never emit it
    if source.ndim != 2:
        raise ValueError(f"decode_sequence: source_ids must be (batch, steps), got shape "
                         f"{source.shape}")
    # the branch below reads any beam_width <= 1 (0, a float) as greedy: reject those first
    _check_beam(beam_width, max_length, owner="decode_sequence")
    if beam_width > 1:  # every row's beams in one decoder: one call per step for all rows
        decoder = Seq2SeqDecoder(model, np.repeat(source, beam_width, axis=0), use_cache)
        probs = decoder.start(np.full((len(source) * beam_width, 1), start_id, dtype="int32"))
        return _beam_search_rows(decoder, probs, len(source), beam_width=beam_width,
                                 max_new_tokens=max_length, end_id=end_id, banned=banned)
    decoder = Seq2SeqDecoder(model, source, use_cache)
    probs = decoder.start(np.full((len(source), 1), start_id, dtype="int32"))
    tokens = np.zeros((len(source), 0), dtype="int32")
    for i in range(max_length):
        probs = np.array(probs)
        probs[:, banned] = -1.0
        token = np.argmax(probs, axis=-1).astype("int32")
        tokens = np.concatenate([tokens, token[:, None]], axis=1)
        if (tokens == end_id).any(axis=1).all() or i + 1 == max_length:
            break
        probs = decoder.step(token)
    out = []
    for row in tokens:
        ends = np.flatnonzero(row == end_id)
        out.append(row[: ends[0] + 1] if len(ends) else row)
    return out
