"""Data checks before training: a clear error naming the bad value instead of a traceback from
deep inside the backend."""

from __future__ import annotations

import numpy as np


def check_arrays(model, x, y, *, task: str, split: str = "train") -> None:
    """Validate NumPy inputs and targets against `model` for `task` (single-input models)."""
    if not isinstance(x, np.ndarray) or len(model.inputs) != 1:
        return  # tf.data, dicts and multi-input models are the model's own business
    if len(x) == 0:
        raise ValueError(f"zoo.train: the {split} split is empty (0 examples)")
    expected = tuple(model.inputs[0].shape[1:])
    got = tuple(x.shape[1:])
    if len(expected) != len(got) or any(e is not None and e != g for e, g in zip(expected, got)):
        raise ValueError(f"zoo.train: {split} inputs have shape {got} per example but the model "
                         f"{model.name!r} expects {expected}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"zoo.train: {split} inputs hold {bad} NaN/inf value(s)")
    if y is None or task not in ("classification", "language_model"):
        return
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"zoo.train: {split} has {len(x)} inputs but {len(y)} targets")
    units = model.output_shape[-1]
    high = 1 if units == 1 else units - 1
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise ValueError(f"zoo.train: {split} labels must be integer class ids 0..{high}")
    low_seen, high_seen = int(y.min()), int(y.max())
    if low_seen < 0 or high_seen > high:
        raise ValueError(f"zoo.train: {split} labels range over {low_seen}..{high_seen} but the "
                         f"model {model.name!r} has {units} output(s): labels must be 0..{high}")
