"""`zoo generate RUN`: text from a language-model run, tokenized and detokenized with the run's
own vocabulary (`vocabulary.json`, written by `zoo train` on text data).

- `gpt`, `rnn_lm` (task "language_model", one input): the prompt (`--prompt`, default a new
  line) continued by `max_new_tokens` tokens, sampled at `temperature` (default 1.0; 0 takes
  the most likely token) from the `top_k` most likely, or found by beam search (`beam` > 1).
- `transformer_seq2seq` (two inputs): the target it writes for `source`, greedy by default
  (or sampled at `temperature`, or by beam search), until its end token or `max_new_tokens`.

The decoding is `zoo.models.generation`'s (key/value cache for a `gpt`); this module only picks
the decoder: the cache while the text fits the window the model was trained on, else a window
sliding over the last tokens, so no token is read at a position training never taught. Every
result carries its log-probability under the model, so searches can be compared.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from zoo import validation as check
from zoo.inference.runs import open_run

OWNER = "zoo generate"


@dataclasses.dataclass
class Generation:
    text: str              # the prompt and its continuation; seq2seq: the target alone
    prompt: str            # the prompt, or the seq2seq source
    ids: list              # the new token ids (seq2seq: with its end token, if written)
    log_prob: float        # sum of the model's log p(new token | all before it), natural log
    method: str            # "greedy", "sampled at temperature 0.8, top-k 5, seed 0", "beam 4"
    unknown: list          # prompt tokens outside the vocabulary (read as "<unk>")
    ended: bool = False    # seq2seq: the end token was written

    def summary(self) -> str:
        end = "; ended" if self.ended else ""
        return (f"{OWNER}: {len(self.ids)} new tokens ({self.method}), log-prob "
                f"{self.log_prob:.4f}{end}")


def generate(run, prompt: str | None = None, *, source: str | None = None,
             max_new_tokens: int | None = None, temperature: float | None = None,
             top_k: int | None = None, beam: int = 1, seed: int | None = None) -> Generation:
    """Text from `run` (a run folder, or a `.keras` file in one: the vocabulary is read from the
    folder). See the module for what each model does. `max_new_tokens` None means 100 for a
    language model, the decoder's `max_length` for seq2seq; `temperature` None means 1.0 for a
    language model and greedy for seq2seq; `beam` > 1 searches (deterministic) and cannot be
    combined with `temperature` > 0 or `top_k`. `seed` fixes the sampling.

    Example: `zoo.generate("runs/gpt", "def ", max_new_tokens=40, temperature=0.8).text`,
    `zoo.generate("runs/reverse", source="12345", beam=4).text`."""
    if max_new_tokens is not None:
        max_new_tokens = check.at_least(OWNER, "max_new_tokens", max_new_tokens, 1)
    beam = check.at_least(OWNER, "beam", beam, 1)
    if temperature is not None:
        check.number(OWNER, "temperature", temperature, min_value=0)
    if top_k is not None:
        top_k = check.at_least(OWNER, "top_k", top_k, 1)
    if seed is not None:
        seed = check.at_least(OWNER, "seed", seed, 0)
    if beam > 1 and (top_k is not None or (temperature is not None and temperature > 0)):
        raise ValueError(f"{OWNER}: beam search (beam={beam}) keeps the most likely sequences, "
                         f"it does not sample; give beam or temperature/top_k, got "
                         f"temperature={temperature!r}, top_k={top_k!r}")
    opened = open_run(run)
    path, name = str(opened.path), opened.model_name or opened.model.name
    if opened.task != "language_model":
        raise ValueError(f"{OWNER}: {path!r} ({name}, task {opened.task!r}) is not a language "
                         "model; zoo generate runs gpt, rnn_lm and transformer_seq2seq runs (zoo "
                         "predict serves classifiers)")
    if opened.vocabulary is None:
        raise ValueError(f"{OWNER}: {path!r} ({name}) has no vocabulary.json beside it, so text "
                         "cannot be turned into its tokens; give the run folder zoo train wrote")
    if opened.num_inputs == 2:
        if prompt is not None:
            raise ValueError(f"{OWNER}: {path!r} ({name}) is a seq2seq model: give the text to "
                             f"transform as source=, not prompt= (got prompt={prompt!r})")
        if source is None:
            raise ValueError(f"{OWNER}: {path!r} ({name}) is a seq2seq model: give source= "
                             "(--source), the text to transform")
        return _seq2seq(opened, source, max_new_tokens, temperature, top_k, beam, seed)
    if source is not None:
        raise ValueError(f"{OWNER}: source= (--source) is for seq2seq runs; {path!r} ({name}) "
                         "continues a prompt: give prompt= (--prompt)")
    return _language_model(opened, prompt, 100 if max_new_tokens is None else max_new_tokens,
                           1.0 if temperature is None else temperature, top_k, beam, seed)


def _language_model(run, prompt, max_new_tokens, temperature, top_k, beam, seed):
    from zoo.models.generation import beam_search_ids, sample_ids

    vocabulary = run.vocabulary
    if prompt is None:
        if "\n" not in vocabulary.tokens:
            raise ValueError(f"{OWNER}: {str(run.path)!r} has no new-line token to start "
                             "from; give a prompt (--prompt)")
        prompt = "\n"
    ids, unknown = vocabulary.encode(prompt)
    if not ids:
        raise ValueError(f"{OWNER}: the prompt holds no tokens, got {prompt!r}")
    decoder = _decoder(run, len(ids) + max_new_tokens)
    banned = vocabulary.special_ids()
    if beam > 1:
        new = beam_search_ids(decoder, ids, beam_width=beam, max_new_tokens=max_new_tokens,
                              banned=banned)
        method = f"beam {beam}"
    else:
        new = sample_ids(decoder, np.array([ids]), max_new_tokens=max_new_tokens,
                         temperature=temperature, top_k=top_k, seed=seed,
                         banned=banned)[0, len(ids):]
        method = _sampling(temperature, top_k, seed)
    new = [int(i) for i in new]
    text = vocabulary.decode(new)
    joined = prompt + ("" if vocabulary.level == "char" or not text else " ") + text
    return Generation(joined, prompt, new, _log_prob(decoder, ids, new), method, unknown)


def _decoder(run, total):
    """`zoo.models.generation`'s fastest decoder while `total` tokens fit the window the model
    was trained on (a fixed input length, else its position table); beyond it, a window that
    slides over the last tokens of that length."""
    from zoo.models.generation import RecomputeDecoder, decoder_for

    decoder = decoder_for(run.model)
    window = run.input_shape[0] or getattr(decoder, "max_length", None)
    if window is not None and total > window and not isinstance(decoder, RecomputeDecoder):
        decoder = RecomputeDecoder(run.model)  # the same window: the input's, or max_length
    return decoder


def _seq2seq(run, source, max_new_tokens, temperature, top_k, beam, seed):
    from zoo.models.generation import decode_sequence, sample_ids
    from zoo.models.transformer import Seq2SeqDecoder

    vocabulary = run.vocabulary
    start_id, end_id, padding_id = vocabulary.start_id, vocabulary.end_id, vocabulary.padding_id
    if None in (start_id, end_id):
        raise ValueError(f"{OWNER}: {str(run.path)!r}'s vocabulary.json has no start_id and "
                         "end_id; a seq2seq run needs both")
    ids, unknown = vocabulary.encode(source)
    specials = set(vocabulary.special_ids()) | {end_id}
    if unknown or not ids or specials & set(ids):
        allowed = [t for i, t in enumerate(vocabulary.tokens) if i not in specials]
        raise ValueError(f"{OWNER}: source must be made of the run's tokens {allowed}, got "
                         f"{source!r}" + (f" (unknown: {sorted(set(unknown))})" if unknown else ""))
    limit = run.model.get_layer("decoder_position_embedding").max_length
    max_new_tokens = limit if max_new_tokens is None else max_new_tokens
    if max_new_tokens > limit:
        raise ValueError(f"{OWNER}: max_new_tokens must be <= {limit} (the decoder's "
                         f"max_length), got {max_new_tokens}")
    source_ids = np.array([ids], dtype="int32")
    if temperature is None or temperature == 0:
        if top_k is not None:
            raise ValueError(f"{OWNER}: top_k samples: give a temperature > 0 with it for a "
                             f"seq2seq run (its default is greedy), got top_k={top_k}")
        new = decode_sequence(run.model, source_ids, start_id=start_id, end_id=end_id,
                              padding_id=padding_id or 0, max_length=max_new_tokens,
                              beam_width=beam)[0]
        method = f"beam {beam}" if beam > 1 else "greedy"
    else:
        decoder = Seq2SeqDecoder(run.model, source_ids)
        new = sample_ids(decoder, np.array([[start_id]]), max_new_tokens=max_new_tokens,
                         temperature=temperature, top_k=top_k, seed=seed,
                         banned=[padding_id or 0, start_id])[0, 1:]
        ends = np.flatnonzero(new == end_id)
        new = new[: ends[0] + 1] if len(ends) else new
        method = _sampling(temperature, top_k, seed)
    new = [int(i) for i in new]
    ended = bool(new) and new[-1] == end_id
    text = vocabulary.decode(new[:-1] if ended else new)
    log_prob = _log_prob(Seq2SeqDecoder(run.model, source_ids), [start_id], new)
    return Generation(text, source, new, log_prob, method, [], ended)


def _sampling(temperature, top_k, seed) -> str:
    if temperature == 0:
        return "greedy"
    parts = [f"temperature {temperature:g}"] + ([f"top-k {top_k}"] if top_k else []) + \
        ([f"seed {seed}"] if seed is not None else [])
    return "sampled at " + ", ".join(parts)


def _log_prob(decoder, prompt_ids, new_ids) -> float:
    """log p(new_ids | prompt_ids) under the model, one decoder step per token (the same
    context the tokens were chosen in)."""
    if not new_ids:
        return 0.0
    probs = decoder.start(np.array([prompt_ids], dtype="int32"))
    total = 0.0
    for i, token in enumerate(new_ids):
        total += float(np.log(max(float(probs[0, token]), 1e-30)))
        if i + 1 < len(new_ids):
            probs = decoder.step(np.array([token], dtype="int32"))
    return total
