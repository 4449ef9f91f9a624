"""zoo/data/corpus.py: Vocabulary, standard-library language modelling and module lines."""

import sysconfig
from pathlib import Path

import numpy as np
import pytest

from zoo.data import Vocabulary, text

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _module_source(module):
    """Every source file of a standard-library module or package, read independently of zoo."""
    if (STDLIB / module).is_dir():
        return "".join(path.read_text(encoding="utf-8", errors="replace")
                       for path in sorted((STDLIB / module).rglob("*.py")))
    return (STDLIB / f"{module}.py").read_text(encoding="utf-8", errors="replace")


def test_vocabulary_round_trips_characters():
    vocab = Vocabulary.build("hello world", level="char")
    assert vocab.tokens[0] == "<unk>" and len(vocab) == 9  # <unk> + 8 distinct letters
    assert vocab.tokens[1] == "l"  # most frequent first
    ids = vocab.encode("hello")
    assert ids.dtype == np.int32 and ids.shape == (5,)
    assert vocab.decode(ids) == "hello"
    assert vocab.encode("hz").tolist() == [vocab.tokens.index("h"), vocab.unknown_id]
    rebuilt = Vocabulary.from_list(vocab.to_list())
    assert rebuilt.tokens == vocab.tokens and rebuilt.decode(ids) == "hello"


def test_vocabulary_words_padding_and_size_cap():
    vocab = Vocabulary.build("def f(x):\n    return x + x\n", level="word", padding=True,
                             max_size=6)
    assert vocab.tokens[:2] == ["<pad>", "<unk>"] and len(vocab) == 6
    assert vocab.padding_id == 0 and vocab.unknown_id == 1
    assert vocab.tokens[2] == "x"  # three times
    ids = vocab.encode("x\nx")
    assert vocab.decode(np.concatenate([ids, [0, 0]])) == "x \n x"
    assert vocab.decode(vocab.encode("return y")).endswith("<unk>")


def test_vocabulary_rejects_bad_input():
    with pytest.raises(ValueError, match="must include '<unk>'"):
        Vocabulary(["a", "b"])
    with pytest.raises(ValueError, match="duplicates \\['a'\\]"):
        Vocabulary(["<unk>", "a", "a"])
    with pytest.raises(ValueError, match="id 5 is outside the vocabulary \\(0..1\\)"):
        Vocabulary(["<unk>", "a"]).decode([5])
    with pytest.raises(ValueError, match="level must be one of \\['char', 'word'\\]"):
        Vocabulary(["<unk>"], level="byte")


@pytest.fixture(scope="module")
def lm():
    return text(task="lm", seq_len=64, max_chars=100_000, as_numpy=True)


def test_lm_targets_are_inputs_shifted_by_one(lm):
    for x, y in (lm.train, lm.validation, lm.test):
        assert x.dtype == np.int32 and y.dtype == np.int32 and x.shape == y.shape
        assert x.shape[1] == 64 and len(x) > 0
        assert np.array_equal(y[:, :-1], x[:, 1:])
        assert np.array_equal(y[:-1, -1], x[1:, 0])  # windows are consecutive
    info = lm.info
    assert info["task"] == "language_model" and info["input_shape"] == (64,)
    assert info["num_classes"] == info["vocab_size"] == len(info["vocab"])
    assert max(lm.train[0].max(), lm.test[1].max()) < info["vocab_size"]


def test_lm_corpus_is_the_sorted_public_stdlib_modules_cut_into_disjoint_blocks(lm):
    info = lm.info
    expected = sorted(p.name for p in STDLIB.glob("*.py") if not p.name.startswith("_"))
    assert info["sources"] == expected[: len(info["sources"])]
    corpus = "".join((STDLIB / name).read_text(encoding="utf-8", errors="replace")
                     for name in info["sources"])[: info["num_chars"]]
    assert info["num_chars"] == 100_000
    vocab = Vocabulary.from_list(info["vocab"])
    assert vocab.decode(lm.train[0][0]) == corpus[:64]
    blocks = info["blocks"]
    assert blocks["train"][0] == 0 and blocks["test"][1] == len(corpus)
    assert blocks["train"][1] == blocks["validation"][0] == 70_000
    assert blocks["validation"][1] == blocks["test"][0] == 85_000
    for split_name in ("train", "validation", "test"):
        start, end = blocks[split_name]
        ids = vocab.encode(corpus[start:end])
        x, y = getattr(lm, split_name)
        # every window comes from its own block, none from a neighbour's
        assert np.array_equal(x.ravel(), ids[: x.size])
        assert y.size < len(ids)


def test_lm_vocabulary_is_every_character_of_the_training_block_only(lm):
    info = lm.info
    corpus = "".join((STDLIB / name).read_text(encoding="utf-8", errors="replace")
                     for name in info["sources"])
    train_block = corpus[: info["blocks"]["train"][1]]
    assert set(info["vocab"]) == set(train_block) | {"<unk>"}
    assert len(info["vocab"]) == len(set(info["vocab"]))


def test_lm_word_level():
    splits = text(task="lm", level="word", seq_len=16, max_chars=60_000, max_vocab=500,
                  as_numpy=True)
    vocab = Vocabulary.from_list(splits.info["vocab"], level="word")
    assert len(vocab) == 500 == splits.info["num_classes"]
    assert {"def", "self", "return", "(", "\n"} <= set(vocab.tokens)
    x, y = splits.train
    assert np.array_equal(y[:, :-1], x[:, 1:])
    assert " " in vocab.decode(x[0])
    assert splits.info["level"] == "word"


@pytest.fixture(scope="module")
def module_lines():
    return text(task="modules", seq_len=48, as_numpy=True)


def test_module_lines_come_from_the_labelled_module(module_lines):
    info = module_lines.info
    assert info["class_names"] == ["json", "email", "unittest", "asyncio", "xml"]
    assert info["vocab"][:2] == ["<pad>", "<unk>"]
    sources = [_module_source(module) for module in info["class_names"]]
    vocab = Vocabulary.from_list(info["vocab"])
    x, y = module_lines.train
    for row, label in zip(x, y):
        line = vocab.decode(row)
        assert len(line) >= min(12, 48)  # short lines are dropped
        assert line in sources[label], (line, info["class_names"][label])


def test_module_lines_are_balanced_padded_ids(module_lines):
    x, y = (np.concatenate(parts) for parts in zip(
        module_lines.train, module_lines.validation, module_lines.test))
    assert x.dtype == np.int32 and x.shape[1] == 48 and y.dtype == np.int32
    counts = np.bincount(y)
    assert len(counts) == 5 and counts.min() == counts.max() > 100
    # padding only after the text: once a row reaches 0 it stays 0
    is_pad = x == 0
    assert np.array_equal(is_pad, np.maximum.accumulate(is_pad, axis=1))
    assert not is_pad[:, 0].any()
    assert module_lines.info["num_classes"] == 5


def test_module_lines_follow_the_seed_and_n():
    first = text(task="modules", modules=("json", "csv"), n=200, as_numpy=True)
    again = text(task="modules", modules=("json", "csv"), n=200, as_numpy=True)
    other = text(task="modules", modules=("json", "csv"), n=200, seed=1, as_numpy=True)
    assert np.array_equal(first.train[0], again.train[0])
    assert not np.array_equal(first.train[0], other.train[0])
    assert sum(len(split[1]) for split in (first.train, first.validation, first.test)) == 200


@pytest.mark.parametrize("kwargs, message", [
    ({"task": "translate"}, "task must be one of \\['lm', 'modules'\\], got 'translate'"),
    ({"level": "byte"}, "level must be one of"),
    ({"task": "modules", "modules": ("json", "jsn_x")}, "'jsn_x' is not a standard-library"),
    ({"task": "modules", "modules": ("jsonn", "csv")}, "Did you mean \\['json'"),
    ({"task": "modules", "modules": ("json",)}, "at least two different"),
    ({"task": "modules", "n": 10**7}, "exceeds the"),
    ({"task": "lm", "n": 100}, "n applies only to task='modules'"),
    ({"task": "lm", "modules": ("json", "csv")}, "modules applies only to task='modules'"),
    ({"task": "lm", "seq_len": 0}, "seq_len must be an integer >= 1"),
    ({"task": "lm", "max_chars": 100, "seq_len": 64}, "too short for one window"),
])
def test_text_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        text(as_numpy=True, **kwargs)
