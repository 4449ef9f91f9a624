"""zoo/data/tfds_loader.py against tensorflow-datasets' own mock (nothing is downloaded)."""

import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds_lib

from zoo.data import tfds


@pytest.fixture
def mock_mnist():
    with tfds_lib.testing.mock_data(num_examples=24):
        yield


def test_tfds_yields_batched_scaled_images_and_int_labels(mock_mnist):
    splits = tfds("mnist", batch_size=8)
    for split_name in ("train", "validation", "test"):
        dataset = getattr(splits, split_name)
        assert dataset.element_spec == (
            tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((None,), tf.int32))
    x, y = next(iter(splits.train))
    assert x.shape == (8, 28, 28, 1)
    arrays = splits.as_numpy()
    x, y = arrays.test
    assert x.shape == (24, 28, 28, 1)
    assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.5  # mock pixels span 0..255
    assert set(np.unique(y)) <= set(range(10))
    info = splits.info
    assert info["name"] == "tfds:mnist" and info["num_classes"] == 10
    assert info["class_names"] == [str(d) for d in range(10)]
    assert info["input_shape"] == (28, 28, 1) and info["value_range"] == (0.0, 1.0)


def test_tfds_resizes_keeps_raw_range_and_materialises(mock_mnist):
    splits = tfds("mnist", image_size=(16, 12), rescale=False, as_numpy=True,
                  split=("train", "test", "test"))
    x, y = splits.train
    assert x.shape == (24, 16, 12, 1) and x.dtype == np.float32 and y.dtype == np.int32
    assert x.max() > 1 and x.max() <= 255
    assert splits.info["input_shape"] == (16, 12, 1)
    assert splits.info["value_range"] == (0.0, 255.0)


def test_tfds_fails_fast_when_the_dataset_is_not_prepared(tmp_path):
    start = time.monotonic()
    with pytest.raises(FileNotFoundError) as error:
        tfds("mnist", data_dir=tmp_path)
    assert time.monotonic() - start < 10  # no network wait
    message = str(error.value)
    for part in ("'mnist'", str(tmp_path), "tfds build mnist", "download_and_prepare",
                 "data_dir=DIR", "download=True"):
        assert part in message


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "mnsit"}, "unknown dataset 'mnsit'. Did you mean \\['mnist'"),
    ({"name": "mnist", "split": ("train", "test")}, "split must be three TFDS split names"),
    ({"name": "mnist", "image_size": -3}, "image_size must be"),
])
def test_tfds_rejects_bad_arguments(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        tfds(data_dir=tmp_path, **kwargs)
