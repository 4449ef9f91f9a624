"""zoo/data/splits.py and pipeline.py: Splits, seeded splitting, conversion to tf.data and back."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import Splits, digits, to_tf
from zoo.data.splits import split_indices


def _info(**overrides):
    return {"name": "toy", "task": "classification", "num_classes": 3, "input_shape": (4,),
            "class_names": None, **overrides}


def _toy(n=100):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 4)
    y = (np.arange(n) % 3).astype(np.int32)
    return Splits(train=(x, y), validation=(x[:30] + 0.5, y[:30]), test=(x[:20] - 0.5, y[:20]),
                  info=_info())


def test_split_indices_are_disjoint_cover_everything_and_stratify():
    labels = np.repeat([0, 1, 2], [100, 40, 60])
    train, validation, test = split_indices(labels, validation_split=0.15, test_split=0.15,
                                            seed=3)
    every = np.concatenate([train, validation, test])
    assert np.array_equal(np.sort(every), np.arange(200))
    # 15% of each class: 15 + 6 + 9
    assert np.bincount(labels[validation]).tolist() == [15, 6, 9]
    assert np.bincount(labels[test]).tolist() == [15, 6, 9]
    assert len(train) == 140


def test_split_indices_follow_the_seed():
    first = split_indices(500, seed=0)
    again = split_indices(500, seed=0)
    other = split_indices(500, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert [len(part) for part in first] == [350, 75, 75]


@pytest.mark.parametrize("validation_split, test_split, message", [
    (0.6, 0.5, "validation_split \\+ test_split"),
    (-0.1, 0.1, "validation_split must be a fraction"),
    (0.1, 1.0, "test_split must be a fraction"),
])
def test_split_indices_reject_bad_fractions(validation_split, test_split, message):
    with pytest.raises(ValueError, match=message):
        split_indices(10, validation_split=validation_split, test_split=test_split)


def test_splits_checks_info_and_lengths():
    x, y = np.zeros((5, 2)), np.zeros(5)
    with pytest.raises(ValueError, match="missing"):
        Splits(train=(x, y), validation=(x, y), test=(x, y), info={"name": "bad"})
    with pytest.raises(ValueError, match="task"):
        Splits(train=(x, y), validation=(x, y), test=(x, y), info=_info(task="ranking"))
    with pytest.raises(ValueError, match="5 inputs but 4 targets"):
        Splits(train=(x, y[:4]), validation=(x, y), test=(x, y), info=_info())


def test_as_tf_gives_batched_datasets_with_the_arrays_element_spec():
    splits = _toy()
    datasets = splits.as_tf(batch_size=16)
    for split_name in ("train", "validation", "test"):
        dataset = getattr(datasets, split_name)
        assert isinstance(dataset, tf.data.Dataset)
        assert dataset.element_spec == (
            tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None,), tf.int32))
    assert [len(y) for _, y in datasets.train] == [16] * 6 + [4]
    assert datasets.info == splits.info


def test_as_tf_shuffles_only_train_and_by_the_seed():
    splits = _toy()
    x_train = splits.train[0]

    def first_epoch(seed):
        return np.concatenate([x for x, _ in splits.as_tf(batch_size=10, seed=seed).train])

    order = first_epoch(0)
    assert not np.array_equal(order, x_train)
    assert np.array_equal(np.sort(order, axis=0), x_train)
    assert np.array_equal(first_epoch(0), order)
    assert not np.array_equal(first_epoch(1), order)
    validation = np.concatenate([x for x, _ in splits.as_tf(batch_size=7).validation])
    assert np.array_equal(validation, splits.validation[0])
    unshuffled = np.concatenate([x for x, _ in splits.as_tf(batch_size=10, shuffle=False).train])
    assert np.array_equal(unshuffled, x_train)


def test_drop_remainder_fixes_the_batch_dimension():
    train = to_tf(_toy(), 16, drop_remainder=True).train
    assert train.element_spec[0].shape == (16, 4)
    assert len(list(train)) == 100 // 16


def test_as_numpy_round_trips_as_tf():
    splits = _toy()
    back = splits.as_tf(batch_size=8).as_numpy()
    assert back.is_numpy
    for split_name in ("validation", "test"):
        for original, restored in zip(getattr(splits, split_name), getattr(back, split_name)):
            assert np.array_equal(original, restored)
            assert original.dtype == restored.dtype
    x_back, y_back = back.train
    order = np.argsort(x_back[:, 0])
    assert np.array_equal(x_back[order], splits.train[0])
    assert np.array_equal(y_back[order], splits.train[1])


def test_as_tf_rebatches_tf_splits():
    rebatched = _toy().as_tf(batch_size=16).as_tf(batch_size=10)
    assert [len(y) for _, y in rebatched.validation] == [10, 10, 10]


def test_loaders_return_tf_data_batched_by_batch_size_unless_as_numpy():
    splits = digits(batch_size=50)
    assert isinstance(splits.train, tf.data.Dataset)
    assert splits.train.element_spec[0].shape.as_list() == [None, 8, 8]
    x, y = next(iter(splits.train))
    assert x.shape == (50, 8, 8) and y.dtype == tf.int32
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        digits(batch_size=0)


def test_repr_names_dataset_and_shapes():
    text = repr(_toy())
    assert "toy" in text and "x(100, 4):float32" in text
