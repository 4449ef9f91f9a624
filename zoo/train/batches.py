"""Training batches whose order depends only on (seed, epoch): resumable and fixed-shape.

Keras shuffles NumPy inputs with a random state that lives in the process, so a run resumed
after a kill sees other batches than an uninterrupted one and ends with other weights. Here
epoch `e` is always the permutation `default_rng([seed, e])`, whatever ran before it, and the
last partial batch is dropped, so every step has the same shape and the step is traced once.
Backend-portable (a `keras.utils.PyDataset`): the same batches under TensorFlow and JAX.
"""

from __future__ import annotations

import numpy as np

import keras


def _rows(x) -> int:
    return len(keras.tree.flatten(x)[0])


class EpochBatches(keras.utils.PyDataset):
    """`(x, y)` batches of `batch_size` rows in the order of permutation `(seed, epoch)`.

    `x` and `y` are arrays or nests of arrays with the same number of rows (`y` may be None).
    Set `epoch` before each epoch (`fit` does, through `EpochCallback`). With
    `drop_remainder=True` (default) the last rows of each permutation that do not fill a batch
    are left out of that epoch; another epoch leaves out others. A set smaller than one batch is
    one batch.

        >>> import numpy as np
        >>> batches = EpochBatches(np.arange(10), np.arange(10), batch_size=4, seed=0)
        >>> len(batches), batches[0][0].shape
        (2, (4,))
    """

    def __init__(self, x, y=None, *, batch_size: int, seed: int = 0, shuffle: bool = True,
                 drop_remainder: bool = True, epoch: int = 0):
        super().__init__()
        rows = _rows(x)
        if y is not None and _rows(y) != rows:
            raise ValueError(f"EpochBatches: x has {rows} rows but y has {_rows(y)}")
        if rows == 0:
            raise ValueError("EpochBatches: the training set is empty")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"EpochBatches: batch_size must be an int >= 1, got {batch_size!r}")
        self.x, self.y, self.rows = x, y, rows
        self.batch_size = min(batch_size, rows)
        self.seed, self.shuffle, self.drop_remainder = int(seed), shuffle, drop_remainder
        self.epoch = epoch
        self._order, self._order_epoch = None, None

    def __len__(self) -> int:
        full, rest = divmod(self.rows, self.batch_size)
        return full if self.drop_remainder or not rest else full + 1

    def order(self, epoch: int) -> np.ndarray:
        """The row order of `epoch`: the same for the same (seed, epoch), in any process."""
        if not self.shuffle:
            return np.arange(self.rows)
        return np.random.default_rng([self.seed, epoch]).permutation(self.rows)

    def __getitem__(self, index):
        if self._order_epoch != self.epoch:
            self._order, self._order_epoch = self.order(self.epoch), self.epoch
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        x = keras.tree.map_structure(lambda a: a[rows], self.x)
        if self.y is None:
            return (x,)
        return x, keras.tree.map_structure(lambda a: a[rows], self.y)


class EpochCallback(keras.callbacks.Callback):
    """Tell an `EpochBatches` which epoch starts (absolute: resumed runs keep their numbering)."""

    def __init__(self, batches: EpochBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.epoch = epoch
