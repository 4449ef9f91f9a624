"""The `Splits` container every loader returns, and seeded train/validation/test splitting.

Pure NumPy: TensorFlow is imported only inside `to_tf` and `to_numpy`, when a caller asks for
tf.data (`Splits.as_tf`) or hands tf.data splits back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from zoo import validation as check

SPLIT_NAMES = ("train", "validation", "test")
TASKS = ("classification", "regression", "language_model")
REQUIRED_INFO_KEYS = ("name", "task", "num_classes", "input_shape", "class_names")


@dataclasses.dataclass
class Splits:
    """Train, validation and test data plus a description of the dataset.

    Each split is either a tuple `(x, y)` of NumPy arrays or a batched `tf.data.Dataset` of
    `(x, y)`. `info` always holds `name`, `task` (one of `TASKS`), `num_classes` (int or None),
    `input_shape` (no batch dimension) and `class_names` (list or None); loaders add their own
    extras (`vocab` for text, `value_range` for images, ...).

    Example:
        >>> splits = zoo.data.digits(as_numpy=True)
        >>> x_train, y_train = splits.train
        >>> ds = splits.as_tf(batch_size=64)  # batched, prefetched tf.data
    """

    train: Any
    validation: Any
    test: Any
    info: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        missing = [key for key in REQUIRED_INFO_KEYS if key not in self.info]
        if missing:
            raise ValueError(
                f"Splits: info is missing {missing}; it needs {list(REQUIRED_INFO_KEYS)}. "
                f"Received keys: {sorted(self.info)}"
            )
        if self.info["task"] not in TASKS:
            raise ValueError(
                f"Splits: info['task'] must be one of {list(TASKS)}, got {self.info['task']!r}"
            )
        for split_name in SPLIT_NAMES:
            split = getattr(self, split_name)
            if not isinstance(split, tuple):
                continue
            if len(split) != 2:
                raise ValueError(
                    f"Splits: {split_name} must be a tuple (x, y), got a tuple of {len(split)}"
                )
            x, y = split
            if num_examples(x) != len(y):
                raise ValueError(
                    f"Splits: {split_name} has {num_examples(x)} inputs but {len(y)} targets"
                )

    @property
    def is_numpy(self) -> bool:
        """True when every split is an `(x, y)` tuple of arrays."""
        return all(isinstance(getattr(self, name), tuple) for name in SPLIT_NAMES)

    def as_tf(
        self, batch_size: int = 32, *, shuffle: bool = True, seed: int = 0,
        drop_remainder: bool = False,
    ) -> Splits:
        """Batched, prefetched tf.data splits; only the training split is shuffled (by `seed`)."""
        return to_tf(
            self, batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder
        )

    def as_numpy(self) -> Splits:
        """`(x, y)` arrays for every split, reading tf.data splits to the end once."""
        if self.is_numpy:
            return self
        return to_numpy(self)

    def __repr__(self) -> str:
        parts = [f"name={self.info.get('name')!r}", f"task={self.info.get('task')!r}"]
        for split_name in SPLIT_NAMES:
            parts.append(f"{split_name}={_describe(getattr(self, split_name))}")
        return f"Splits({', '.join(parts)})"


def num_examples(x) -> int:
    """Rows of `x`: an array, or a tuple of arrays (a model with several inputs, e.g. seq2seq)."""
    return len(x[0]) if isinstance(x, tuple) else len(x)


def _describe(split) -> str:
    if isinstance(split, tuple):
        x, y = split
        xs = "".join(f"{tuple(a.shape)}:{a.dtype}" for a in (x if isinstance(x, tuple) else (x,)))
        return f"x{xs} y{tuple(y.shape)}:{y.dtype}"
    return type(split).__name__


def split_indices(
    labels_or_count: int | np.ndarray, *, validation_split: float = 0.15,
    test_split: float = 0.15, seed: int = 0, stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint, shuffled index arrays (train, validation, test), the same for the same seed.

    Given integer labels and `stratify=True`, every class is split by the same fractions, so
    small validation and test sets keep the class balance of the whole.
    """
    check.split_fractions("split_indices", validation_split, test_split)
    # A stream separate from the one that generated the data, so splitting never shifts it.
    rng = np.random.default_rng([seed, 1])
    if isinstance(labels_or_count, (int, np.integer)):
        groups = [np.arange(int(labels_or_count))]
    else:
        labels = np.asarray(labels_or_count)
        if stratify:
            groups = [np.flatnonzero(labels == value) for value in np.unique(labels)]
        else:
            groups = [np.arange(len(labels))]
    parts = ([], [], [])
    for group in groups:
        group = rng.permutation(group)
        n_validation = _round_half_up(len(group) * validation_split)
        n_test = _round_half_up(len(group) * test_split)
        n_train = len(group) - n_validation - n_test
        parts[0].append(group[:n_train])
        parts[1].append(group[n_train:n_train + n_validation])
        parts[2].append(group[n_train + n_validation:])
    return tuple(rng.permutation(np.concatenate(part)).astype(np.int64) for part in parts)


def _round_half_up(value: float) -> int:
    return int(np.floor(value + 0.5))


def split_arrays(
    x: np.ndarray, y: np.ndarray, info: dict, *, validation_split: float, test_split: float,
    seed: int,
) -> Splits:
    """Splits `(x, y)` by `split_indices`, stratified when the task is classification."""
    stratify = info["task"] == "classification"
    train, validation, test = split_indices(
        y if stratify else len(x), validation_split=validation_split,
        test_split=test_split, seed=seed, stratify=stratify,
    )
    return Splits(
        train=(x[train], y[train]),
        validation=(x[validation], y[validation]),
        test=(x[test], y[test]),
        info=info,
    )


def finish(splits: Splits, *, as_numpy: bool, batch_size: int, seed: int) -> Splits:
    """The common tail of every loader: NumPy splits as they are, or batched tf.data."""
    check.at_least(splits.info["name"], "batch_size", batch_size, 1)
    if as_numpy:
        return splits.as_numpy()
    return splits.as_tf(batch_size, seed=seed)


def to_tf(
    splits: Splits, batch_size: int = 32, *, shuffle: bool = True, seed: int = 0,
    drop_remainder: bool = False,
) -> Splits:
    """Batched, prefetched `tf.data.Dataset` splits of `(x, y)`.

    The training split is shuffled with `seed` (a new order each epoch, the same sequence of
    orders for the same seed); validation and test keep their order so evaluations line up.
    Splits that are already tf.data are only re-batched to `batch_size`.
    """
    import tensorflow as tf

    check.at_least("to_tf", "batch_size", batch_size, 1)
    converted = {}
    for split_name in SPLIT_NAMES:
        split = getattr(splits, split_name)
        if isinstance(split, tf.data.Dataset):
            converted[split_name] = split.rebatch(batch_size, drop_remainder=drop_remainder)
            continue
        x, y = split
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle and split_name == "train":
            # A buffer as large as the split gives a uniform shuffle; the arrays are in memory.
            dataset = dataset.shuffle(max(len(y), 1), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        converted[split_name] = dataset.prefetch(tf.data.AUTOTUNE)
    return Splits(**converted, info=dict(splits.info))


def to_numpy(splits: Splits) -> Splits:
    """`(x, y)` arrays for every split; tf.data splits (batched) are read to the end once."""
    import tensorflow as tf

    converted = {}
    for split_name in SPLIT_NAMES:
        split = getattr(splits, split_name)
        if isinstance(split, tf.data.Dataset):
            split = _dataset_to_arrays(split)
        converted[split_name] = split
    return Splits(**converted, info=dict(splits.info))


def _dataset_to_arrays(dataset) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for x, y in dataset.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if xs:
        return np.concatenate(xs), np.concatenate(ys)
    x_spec, y_spec = dataset.element_spec
    return (
        np.zeros((0, *x_spec.shape[1:]), x_spec.dtype.as_numpy_dtype),
        np.zeros((0, *y_spec.shape[1:]), y_spec.dtype.as_numpy_dtype),
    )
