"""`zoo generate RUN` the way a user runs it: on tiny `zoo train gpt` and `zoo train
transformer_seq2seq` runs, with the vocabulary the run recorded (vocabulary.json, the very
tokens training used). Greedy decoding repeats itself, writes only vocabulary tokens and exactly
`--max-new-tokens` of them; the log-probability it reports is the model's own (recomputed here
from one forward pass), and beam search finds a sequence at least as likely as greedy's; past
the trained window the sliding decoder agrees with the cached one; a run of the wrong task, or
a bad argument, is one clear line and exit code 2."""

import json
import re
import shutil

import numpy as np
import pytest

import zoo
from zoo.cli import main

TINY_TRANSFORMER = ["--set", "d_model=16", "--set", "num_heads=2", "--set", "num_layers=1",
                    "--set", "mlp_dim=32"]
SUMMARY = re.compile(r"zoo generate: (\d+) new tokens \((.+)\), log-prob (-?[\d.]+)(; ended)?$")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("generate")
    trainings = {"gpt": ["gpt", *TINY_TRANSFORMER],
                 "reverse": ["transformer_seq2seq", *TINY_TRANSFORMER],
                 "classifier": ["mlp", "--set", "hidden_units=(16,)"]}
    for name, argv in trainings.items():
        assert main(["train", *argv, "--epochs", "1", "--batch-size", "64",
                     "--out", str(root / name), "--no-tensorboard"]) == 0
    return root


def _generate(capsys, *argv):
    """(exit code, the text printed, (new tokens, method, log-prob, ended), stderr)."""
    capsys.readouterr()
    code = main(["generate", *argv])
    out, err = capsys.readouterr()
    match = SUMMARY.search(err.strip().splitlines()[-1]) if code == 0 else None
    summary = (int(match[1]), match[2], float(match[3]), bool(match[4])) if match else None
    return code, out[:-1], summary, err  # print() added one new line after the text


def _log_prob(run, tokens, prompt, text):
    """log p(text | prompt) from one forward pass of the saved model over the whole sequence."""
    model = zoo.load(run / "model.keras")
    index = {token: i for i, token in enumerate(tokens)}
    ids = [index[c] for c in prompt + text]
    x = np.zeros((1, model.input_shape[1]), dtype="int32")
    x[0, :len(ids)] = ids
    probs = model.predict(x, verbose=0)[0]
    return float(sum(np.log(probs[t - 1, ids[t]]) for t in range(len(prompt), len(ids))))


def test_greedy_repeats_itself_in_the_runs_vocabulary(runs, capsys):
    run = runs / "gpt"
    tokens = json.loads((run / "vocabulary.json").read_text())["tokens"]
    assert tokens == zoo.data.load("text:lm", as_numpy=True).info["vocab"]  # training's own
    argv = [str(run), "--prompt", "def ", "--max-new-tokens", "25", "--temperature", "0"]
    code, text, summary, err = _generate(capsys, *argv)
    assert code == 0, err
    assert summary[:2] == (25, "greedy")
    assert _generate(capsys, *argv)[1] == text  # deterministic
    assert text.startswith("def ") and len(text) == len("def ") + 25  # one character a token
    assert set(text[4:]) <= set(tokens) - {"<unk>"}
    assert summary[2] == pytest.approx(_log_prob(run, tokens, "def ", text[4:]), abs=1e-3)
    # seeded sampling repeats itself too; a top-k of 1 is greedy
    sampled = [_generate(capsys, *argv[:-2], "--temperature", "0.8", "--seed", "3")[1]
               for _ in range(2)]
    assert sampled[0] == sampled[1] and len(sampled[0]) == 29
    assert _generate(capsys, *argv[:-2], "--top-k", "1", "--seed", "5")[1] == text


def test_beam_search_is_at_least_as_likely_as_greedy(runs, capsys):
    run = runs / "gpt"
    tokens = json.loads((run / "vocabulary.json").read_text())["tokens"]
    common = [str(run), "--prompt", "class ", "--max-new-tokens", "12"]
    _, greedy, (n, _, greedy_log_prob, _), _ = _generate(capsys, *common, "--temperature", "0")
    code, beam, (n_beam, method, beam_log_prob, _), err = _generate(capsys, *common, "--beam", "4")
    assert code == 0, err
    assert (n, n_beam, method) == (12, 12, "beam 4")
    assert beam_log_prob == pytest.approx(_log_prob(run, tokens, "class ", beam[6:]), abs=1e-3)
    assert beam_log_prob >= greedy_log_prob - 1e-4


def test_past_the_trained_window_the_window_slides(runs, capsys):
    run = runs / "gpt"  # trained on windows of 64 tokens: 4 + 90 do not fit
    short = _generate(capsys, str(run), "--prompt", "def ", "--max-new-tokens", "30",
                      "--temperature", "0")[1]
    code, long, summary, err = _generate(capsys, str(run), "--prompt", "def ",
                                         "--max-new-tokens", "90", "--temperature", "0")
    assert code == 0, err
    assert summary[0] == 90 and len(long) == 94
    assert long.startswith(short)  # the same tokens while the context fits the window


def test_seq2seq_decodes_a_source(runs, capsys):
    run = runs / "reverse"
    record = json.loads((run / "vocabulary.json").read_text())
    assert (record["start_id"], record["end_id"], record["padding_id"]) == (1, 2, 0)
    code, text, (n, method, log_prob, ended), err = _generate(capsys, str(run), "--source",
                                                              "31415")
    assert code == 0, err
    assert method == "greedy" and set(text) <= set("0123456789")
    assert n == len(text) + ended and log_prob < 0
    code, text, (n, method, _, _), err = _generate(capsys, str(run), "--source", "31415",
                                                   "--beam", "3", "--max-new-tokens", "3")
    assert code == 0 and method == "beam 3" and n <= 3 and len(text) <= 3


@pytest.mark.parametrize("argv, message", [
    (["classifier"], "'classifier' (mlp, task 'classification') is not a language model"),
    (["gpt", "--source", "12"], "source= (--source) is for seq2seq runs"),
    (["reverse", "--source", "12a"], "source must be made of the run's tokens ['0', '1', '2', "
                                     "'3', '4', '5', '6', '7', '8', '9'], got '12a'"),
    (["reverse", "--prompt", "12"], "is a seq2seq model: give the text to transform as source="),
    (["gpt", "--beam", "3", "--top-k", "5"], "beam search (beam=3) keeps the most likely"),
    (["gpt", "--max-new-tokens", "0"], "max_new_tokens must be an integer >= 1, got 0"),
    (["bare.keras"], "'bare.keras' (gpt) has no vocabulary.json beside it"),
])
def test_wrong_runs_and_arguments_are_one_line_and_exit_2(runs, capsys, monkeypatch, argv,
                                                         message):
    monkeypatch.chdir(runs)
    if not (runs / "bare.keras").exists():  # a model without its run folder
        shutil.copy(runs / "gpt" / "model.keras", runs / "bare.keras")
    code, _, _, err = _generate(capsys, *argv)
    assert code == 2
    assert err.startswith("zoo generate: error: ") and len(err.strip().splitlines()) == 1
    assert message in err


def test_predict_refuses_a_language_model(runs, capsys):
    capsys.readouterr()
    assert main(["predict", str(runs / "gpt"), "some text"]) == 2
    assert "is a language model: it writes text, it does not classify it; use zoo generate" \
        in capsys.readouterr().err


@pytest.fixture(scope="module")
def word_run(tmp_path_factory):
    """A tiny word-level `rnn_lm`, trained from Python (the command line's text data is
    character-level): its vocabulary.json records the level, so generation cuts and joins
    words as training did."""
    from zoo.train.run import run as train_run

    out = tmp_path_factory.mktemp("generate-words") / "rnn-words"
    data = zoo.data.text(task="lm", level="word", seq_len=16, max_chars=20_000, max_vocab=300,
                         as_numpy=True)
    train_run("rnn_lm", data=data, epochs=1, batch_size=64, out=out, verbose=0,
              tensorboard=False, overrides={"stackwise_units": (16,), "embedding_dim": 16})
    return out, data.info["vocab"]


def test_a_word_level_rnn_lm_generates_words_of_its_vocabulary(word_run, capsys):
    run, vocab = word_run
    recorded = json.loads((run / "vocabulary.json").read_text())
    assert recorded["level"] == "word" and recorded["tokens"] == list(vocab)
    code, text, summary, _ = _generate(capsys, str(run), "--prompt", "def __init__",
                                       "--max-new-tokens", "6", "--temperature", "0")
    assert code == 0 and summary[:2] == (6, "greedy"), summary
    assert text.startswith("def __init__ ")
    generation = zoo.generate(run, "def __init__", max_new_tokens=6, temperature=0)
    assert generation.text == text and len(generation.ids) == 6
    words = [vocab[i] for i in generation.ids]
    assert "<pad>" not in words and "<unk>" not in words
    assert text == "def __init__ " + " ".join(words)  # word level: joined with spaces
    # the log-probability reported is the model's: one forward pass over prompt + new words
    model = zoo.load(run / "model.keras")
    ids = [vocab.index(w) for w in ("def", "__init__")] + list(generation.ids)
    x = np.zeros((1, model.input_shape[1]), dtype="int32")  # the trained length, 16
    x[0, :len(ids)] = ids  # causal: what follows the last id changes none of its outputs
    probs = model.predict(x, verbose=0)[0]
    expected = sum(np.log(probs[t - 1, ids[t]]) for t in range(2, len(ids)))
    assert generation.log_prob == pytest.approx(expected, abs=1e-3)


def test_an_unknown_prompt_word_is_reported_and_an_opened_run_is_reused(word_run, monkeypatch):
    import zoo.export.saving

    run, _ = word_run
    opened = zoo.open_run(run)
    first = zoo.generate(opened, "def zzz_not_a_word", max_new_tokens=3, temperature=0)
    assert first.unknown == ["zzz_not_a_word"]

    def no_loading(*args, **kwargs):
        raise AssertionError("an opened run must not be loaded again")

    monkeypatch.setattr(zoo.export.saving, "load", no_loading)
    again = zoo.generate(opened, "def zzz_not_a_word", max_new_tokens=3, temperature=0)
    assert (again.text, again.ids) == (first.text, first.ids)
