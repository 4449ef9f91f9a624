"""`load(name)`: one entry point that dispatches a dataset name to its loader."""

from __future__ import annotations

import difflib
import os
from typing import Any, Callable

from zoo.data.corpus import text
from zoo.data.folders import image_folder
from zoo.data.images import digits, shapes
from zoo.data.seq2seq import seq2seq
from zoo.data.sequence_tasks import sequences
from zoo.data.splits import Splits
from zoo.data.tfds_loader import tfds

LOADERS: dict[str, Callable[..., Splits]] = {
    "digits": digits,
    "image_folder": image_folder,
    "seq2seq": seq2seq,
    "sequences": sequences,
    "shapes": shapes,
    "text": text,
    "tfds": tfds,
}
# "<loader>:<value>" shorthand: the keyword argument the value fills.
SHORTHAND = {"seq2seq": "task", "sequences": "task", "text": "task", "tfds": "name"}


def list_datasets() -> list[str]:
    """Names `load` accepts (besides the "<loader>:<value>" shorthand and directory paths)."""
    return sorted(LOADERS)


def load(name: str | os.PathLike, /, **kwargs: Any) -> Splits:
    """The dataset called `name`, with `kwargs` passed to its loader.

    Besides the names of `list_datasets()`, accepts "sequences:parity" (= `sequences(task=
    "parity")`), "text:modules", "tfds:mnist" (= `tfds(name="mnist")`) and the path of an
    existing directory (= `image_folder(path)`).

    Example:
        >>> splits = load("sequences:adding", n=500, as_numpy=True)
        >>> splits.info["task"]
        'regression'
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and os.path.isdir(name)):
        if not os.path.isdir(name):
            raise FileNotFoundError(f"load: no directory at {os.fspath(name)!r}")
        return image_folder(name, **kwargs)
    if not isinstance(name, str):
        raise ValueError(f"load: name must be a dataset name or a directory, got {name!r}")
    loader_name, separator, value = name.partition(":")
    if loader_name not in LOADERS:
        raise ValueError(_unknown_message(name))
    if separator:
        if loader_name not in SHORTHAND or not value:
            raise ValueError(
                f"load: {name!r} is not a valid shorthand; use one of "
                f"{[f'{loader}:<{arg}>' for loader, arg in SHORTHAND.items()]}"
            )
        arg = SHORTHAND[loader_name]
        if arg in kwargs:
            raise ValueError(
                f"load: {name!r} already sets {arg}={value!r}; got {arg}={kwargs[arg]!r} as well"
            )
        kwargs[arg] = value
    return LOADERS[loader_name](**kwargs)


def _unknown_message(name: str) -> str:
    close = difflib.get_close_matches(name.partition(":")[0], list_datasets(), n=3)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"load: unknown dataset {name!r} (and no directory of that name exists).{hint} "
        f"Available: {list_datasets()}, the shorthand 'sequences:<task>', 'text:<task>', "
        "'tfds:<name>', or the path of an image folder."
    )
