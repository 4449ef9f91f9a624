"""Offline text datasets in pure NumPy, read from Python's own standard-library sources.

Every Python installation carries its standard library as source, so the corpus needs no
download and is the same for a given Python version.
"""

from __future__ import annotations

import collections
import difflib
import re
import sysconfig
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from zoo import validation as check
from zoo.data.splits import Splits, finish, split_indices

TEXT_TASKS = ("lm", "modules")
LEVELS = ("char", "word")
DEFAULT_MODULES = ("json", "email", "unittest", "asyncio", "xml")
# Shorter lines ("else:", "pass", "return x") read the same in every module.
MIN_LINE_CHARS = 12
DEFAULT_WORD_VOCAB = 2000
# Tests, scripts and docs inside packages quote other modules; they are not the module.
_SKIPPED_DIRS = {"test", "tests", "idle_test", "__pycache__"}

_WORD_PATTERN = re.compile(r"\w+|[^\w\s]|\n")


class Vocabulary:
    """Token <-> id mapping for characters or words; the id of a token is its list index.

    `"<unk>"` stands for any token outside the vocabulary; `"<pad>"`, when present, pads
    sequences and is dropped by `decode`.

    Example:
        >>> vocab = Vocabulary.build("hello world", level="char")
        >>> vocab.decode(vocab.encode("hello"))
        'hello'
        >>> Vocabulary.from_list(vocab.to_list()).tokens == vocab.tokens
        True
    """

    PAD = "<pad>"
    UNK = "<unk>"

    def __init__(self, tokens: Sequence[str], *, level: str = "char"):
        check.choice("Vocabulary", "level", level, LEVELS)
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens):
            duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"Vocabulary: tokens must be unique, got duplicates {duplicates}")
        if self.UNK not in tokens:
            raise ValueError(f"Vocabulary: tokens must include {self.UNK!r}, got {tokens[:10]}...")
        self.tokens = tokens
        self.level = level
        self._ids = {token: index for index, token in enumerate(tokens)}
        self.unknown_id = self._ids[self.UNK]
        self.padding_id = self._ids.get(self.PAD)

    @classmethod
    def build(
        cls, text: str, *, level: str = "char", max_size: int | None = None,
        padding: bool = False,
    ) -> Vocabulary:
        """The tokens of `text`, most frequent first (ties by token), after the reserved ones.

        `max_size` caps the length including `"<pad>"` (id 0, with `padding=True`) and
        `"<unk>"` (the next id).
        """
        check.choice("Vocabulary.build", "level", level, LEVELS)
        reserved = [cls.PAD, cls.UNK] if padding else [cls.UNK]
        if max_size is not None:
            check.at_least("Vocabulary.build", "max_size", max_size, len(reserved) + 1)
        counts = collections.Counter(tokenize(text, level=level))
        ranked = sorted(counts, key=lambda token: (-counts[token], token))
        if max_size is not None:
            ranked = ranked[: max_size - len(reserved)]
        return cls(reserved + ranked, level=level)

    def encode(self, text: str) -> np.ndarray:
        """int32 ids of the tokens of `text`; unknown tokens map to the `"<unk>"` id."""
        return np.array(
            [self._ids.get(token, self.unknown_id) for token in tokenize(text, level=self.level)],
            dtype=np.int32,
        )

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`, skipping padding; words are joined by single spaces."""
        tokens = []
        for index in np.asarray(ids, dtype=np.int64).ravel():
            if not 0 <= index < len(self.tokens):
                raise ValueError(
                    f"Vocabulary.decode: id {index} is outside the vocabulary "
                    f"(0..{len(self.tokens) - 1})"
                )
            if index != self.padding_id:
                tokens.append(self.tokens[index])
        return ("" if self.level == "char" else " ").join(tokens)

    def to_list(self) -> list[str]:
        """The tokens as a JSON-able list; `from_list` rebuilds the vocabulary."""
        return list(self.tokens)

    @classmethod
    def from_list(cls, tokens: Sequence[str], *, level: str = "char") -> Vocabulary:
        return cls(tokens, level=level)

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, level={self.level!r})"


def tokenize(text: str, *, level: str) -> list[str]:
    """Characters, or words: identifiers/numbers, single punctuation marks and newlines."""
    if level == "char":
        return list(text)
    return _WORD_PATTERN.findall(text)


def text(
    *, task: str = "lm", level: str = "char", seq_len: int = 64, max_chars: int = 300_000,
    modules: Sequence[str] = DEFAULT_MODULES, max_vocab: int | None = None,
    n: int | None = None, validation_split: float = 0.15, test_split: float = 0.15,
    seed: int = 0, as_numpy: bool = False, batch_size: int = 32,
) -> Splits:
    """Text from the standard library's source files: language modelling or line classification.

    - "lm": next-token prediction. The corpus is the public top-level modules (`abc.py`,
      `argparse.py`, ...) in name order, cut at `max_chars`. x (N, seq_len) int32 token ids,
      y (N, seq_len) = the ids one step later. The corpus is cut into contiguous blocks
      (train, then validation, then test) before windowing, so no window spans two splits;
      the vocabulary comes from the training block alone.
    - "modules": which module or package (`modules`) a source line comes from. Each module's
      source is cut at `max_chars`; blank and short lines, and lines found in more than one
      module, are dropped; classes are balanced (`n` lines in all, default: as many as the
      smallest module allows). x (N, seq_len) int32 ids padded with 0 ("<pad>"; 1 is
      "<unk>"), y the index of the module in `modules`.

    `level` is "char" or "word" (identifiers, punctuation, newlines); `max_vocab` caps the
    vocabulary (default: every character, or 2000 words). `info["vocab"]` lists the tokens
    (index = id); `Vocabulary.from_list(info["vocab"], level=info["level"])` rebuilds it.

    Example:
        >>> splits = text(task="lm", seq_len=32, max_chars=50_000, as_numpy=True)
        >>> x, y = splits.train
        >>> bool((y[:, :-1] == x[:, 1:]).all())
        True
        >>> vocab = Vocabulary.from_list(splits.info["vocab"])
        >>> len(vocab.decode(x[0]))
        32
    """
    owner = "text"
    check.choice(owner, "task", task, TEXT_TASKS)
    check.choice(owner, "level", level, LEVELS)
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    seq_len = check.at_least(owner, "seq_len", seq_len, 1)
    max_chars = check.at_least(owner, "max_chars", max_chars, 1)
    if max_vocab is None and level == "word":
        max_vocab = DEFAULT_WORD_VOCAB
    if task == "lm":
        if n is not None:
            raise ValueError(
                f"{owner}: n applies only to task='modules' (lm uses all of max_chars), got n={n!r}"
            )
        if tuple(modules) != DEFAULT_MODULES:
            raise ValueError(
                f"{owner}: modules applies only to task='modules' (lm reads the top-level "
                f"modules), got modules={modules!r}"
            )
        splits = _language_model(
            level=level, seq_len=seq_len, max_chars=max_chars, max_vocab=max_vocab,
            validation_split=validation_split, test_split=test_split,
        )
    else:
        splits = _module_lines(
            modules=modules, level=level, seq_len=seq_len, max_chars=max_chars,
            max_vocab=max_vocab, n=n, validation_split=validation_split, test_split=test_split,
            seed=seed,
        )
    return finish(splits, as_numpy=as_numpy, batch_size=batch_size, seed=seed)


def _language_model(*, level, seq_len, max_chars, max_vocab, validation_split, test_split):
    files = corpus_files()
    corpus = _read(files, max_chars)
    train_end = round(len(corpus) * (1 - validation_split - test_split))
    validation_end = train_end + round(len(corpus) * validation_split)
    blocks = {
        "train": corpus[:train_end],
        "validation": corpus[train_end:validation_end],
        "test": corpus[validation_end:],
    }
    vocab = Vocabulary.build(blocks["train"], level=level, max_size=max_vocab)
    windows = {}
    for split_name, block in blocks.items():
        ids = vocab.encode(block)
        count = max((len(ids) - 1) // seq_len, 0)
        if count == 0 and len(block) > 0:
            raise ValueError(
                f"text: the {split_name} block ({len(block)} chars) is too short for one window "
                f"of seq_len={seq_len}; raise max_chars (got {max_chars}) or lower seq_len"
            )
        # Windows start every seq_len tokens: inputs never overlap, so none is seen twice.
        x = ids[: count * seq_len].reshape(count, seq_len)
        y = ids[1 : count * seq_len + 1].reshape(count, seq_len)
        windows[split_name] = (x, y)
    info = {
        "name": "text:lm",
        "task": "language_model",
        "num_classes": len(vocab),
        "input_shape": (seq_len,),
        "class_names": None,
        "vocab": vocab.to_list(),
        "vocab_size": len(vocab),
        "level": level,
        "sources": [file.name for file in files],
        "num_chars": len(corpus),
        # Character spans [start, end) of the corpus each split was cut from.
        "blocks": {
            "train": (0, train_end),
            "validation": (train_end, validation_end),
            "test": (validation_end, len(corpus)),
        },
    }
    return Splits(**windows, info=info)


def _module_lines(
    *, modules, level, seq_len, max_chars, max_vocab, n, validation_split, test_split, seed,
):
    owner = "text"
    if isinstance(modules, str) or len(modules) < 2 or len(set(modules)) != len(modules):
        raise ValueError(
            f"{owner}: modules must name at least two different standard-library modules, "
            f"got {modules!r}"
        )
    modules = tuple(modules)
    lines_by_module = []
    for module in modules:
        source = _read(module_files(module), max_chars)
        lines = {line.strip() for line in source.splitlines()}
        lines_by_module.append({line for line in lines if len(line) >= MIN_LINE_CHARS})
    seen = collections.Counter(line for lines in lines_by_module for line in lines)
    # A line found in two modules would carry two labels.
    lines_by_module = [
        sorted(line for line in lines if seen[line] == 1) for lines in lines_by_module
    ]
    per_class = min(len(lines) for lines in lines_by_module)
    if n is not None:
        n = check.at_least(owner, "n", n, len(modules))
        if n > per_class * len(modules):
            raise ValueError(
                f"{owner}: n={n} exceeds the {per_class * len(modules)} balanced lines available "
                f"({per_class} per module, limited by the smallest of {list(modules)})"
            )
        per_class = n // len(modules)
    rng = np.random.default_rng(seed)
    chosen, labels = [], []
    for label, lines in enumerate(lines_by_module):
        picks = rng.choice(len(lines), per_class, replace=False)
        chosen.extend(lines[index] for index in picks)
        labels.extend([label] * per_class)
    labels = np.array(labels, dtype=np.int32)
    parts = split_indices(
        labels, validation_split=validation_split, test_split=test_split, seed=seed
    )
    vocab = Vocabulary.build(
        "\n".join(chosen[index] for index in parts[0]), level=level, max_size=max_vocab,
        padding=True,
    )
    x = np.zeros((len(chosen), seq_len), dtype=np.int32)  # 0 is "<pad>"
    for row, line in enumerate(chosen):
        ids = vocab.encode(line)[:seq_len]
        x[row, : len(ids)] = ids
    info = {
        "name": "text:modules",
        "task": "classification",
        "num_classes": len(modules),
        "input_shape": (seq_len,),
        "class_names": list(modules),
        "vocab": vocab.to_list(),
        "vocab_size": len(vocab),
        "level": level,
    }
    train, validation, test = ((x[part], labels[part]) for part in parts)
    return Splits(train=train, validation=validation, test=test, info=info)


def stdlib_dir() -> Path:
    path = Path(sysconfig.get_paths()["stdlib"])
    if not path.is_dir():
        raise FileNotFoundError(f"text: the standard library directory {path} does not exist")
    return path


def corpus_files() -> list[Path]:
    """The language-model corpus: public top-level standard-library modules, by name."""
    root = stdlib_dir()
    files = sorted(path for path in root.glob("*.py") if not path.name.startswith("_"))
    if not files:
        raise FileNotFoundError(
            f"text: no standard-library sources (*.py) in {root}; this Python was installed "
            "without them (some distributions ship them in a separate package)"
        )
    return files


def module_files(module: str) -> list[Path]:
    """The source files of a standard-library module or package, by path."""
    root = stdlib_dir()
    if (root / module / "__init__.py").is_file():
        return sorted(
            path for path in (root / module).rglob("*.py")
            if not _SKIPPED_DIRS.intersection(path.relative_to(root).parts)
        )
    if (root / f"{module}.py").is_file():
        return [root / f"{module}.py"]
    available = sorted(
        {path.stem for path in root.glob("*.py")}
        | {path.parent.name for path in root.glob("*/__init__.py")}
    )
    close = difflib.get_close_matches(module, available, n=3)
    hint = f" Did you mean {close}?" if close else ""
    raise ValueError(
        f"text: {module!r} is not a standard-library module with source in {root}.{hint}"
    )


def _read(files: Sequence[Path], max_chars: int) -> str:
    pieces, total = [], 0
    for path in files:
        if total >= max_chars:
            break
        piece = path.read_text(encoding="utf-8", errors="replace")
        pieces.append(piece)
        total += len(piece)
    return "".join(pieces)[:max_chars]
