"""zoo.train feeds EpochBatches through tf.data under TensorFlow: the very same batches."""

import numpy as np
import pytest

from zoo.train.batches import EpochBatches
from zoo.train.tf_batches import epoch_dataset


@pytest.mark.parametrize("drop_remainder", [True, False])
def test_tf_dataset_yields_the_batches_of_epoch_batches_epoch_after_epoch(drop_remainder):
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(23, 3)).astype("float32"), "b": np.arange(23)}
    y = rng.integers(0, 4, size=23)
    batches = EpochBatches(x, y, batch_size=5, seed=7, drop_remainder=drop_remainder)
    dataset = list(epoch_dataset(batches, first_epoch=2, epochs=5).as_numpy_iterator())
    expected = []
    for epoch in range(2, 5):
        batches.epoch = epoch
        expected += [batches[i] for i in range(len(batches))]
    assert len(dataset) == len(expected) == 3 * (4 if drop_remainder else 5)
    for (gx, gy), (ex, ey) in zip(dataset, expected):
        np.testing.assert_array_equal(gx["a"], ex["a"])
        np.testing.assert_array_equal(gx["b"], ex["b"])
        np.testing.assert_array_equal(gy, ey)
    # epochs differ from each other (a real reshuffle, not one order repeated)
    assert not np.array_equal(dataset[0][1], dataset[len(batches)][1])


def test_x_only_batches_and_an_empty_epoch_range():
    batches = EpochBatches(np.arange(8.0), batch_size=4, seed=0)
    (first,) = next(iter(epoch_dataset(batches, first_epoch=0, epochs=1).as_numpy_iterator()))
    np.testing.assert_array_equal(first, batches[0][0])
    with pytest.raises(ValueError, match="epochs=3 must be more than first_epoch=3"):
        epoch_dataset(batches, first_epoch=3, epochs=3)
