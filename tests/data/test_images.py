"""zoo/data/images.py: scikit-learn digits, drawn shapes, NumPy bilinear resizing."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from zoo.data import digits, shapes
from zoo.data.images import SHAPE_NAMES, resize_bilinear


def _all(splits):
    x = np.concatenate([splits.train[0], splits.validation[0], splits.test[0]])
    y = np.concatenate([splits.train[1], splits.validation[1], splits.test[1]])
    return x, y


@pytest.fixture(scope="module")
def digit_splits():
    return digits(as_numpy=True)


def test_digits_are_scikit_learns_1797_images_scaled_to_unit_range(digit_splits):
    x, y = _all(digit_splits)
    assert x.shape == (1797, 8, 8) and x.dtype == np.float32
    assert y.dtype == np.int32
    assert x.min() == 0.0 and x.max() == 1.0
    original = load_digits()
    assert np.array_equal(np.bincount(y), np.bincount(original.target))
    assert np.allclose(np.sort(x.sum(axis=(1, 2))), np.sort(original.images.sum(axis=(1, 2)) / 16))
    info = digit_splits.info
    assert info["num_classes"] == 10 and info["class_names"] == [str(d) for d in range(10)]
    assert info["input_shape"] == (8, 8) and info["task"] == "classification"


def test_digits_split_is_stratified_and_keeps_images_with_their_labels(digit_splits):
    assert [len(s[0]) for s in (digit_splits.train, digit_splits.validation,
                                digit_splits.test)] == [1259, 269, 269]
    assert np.bincount(digit_splits.test[1]).min() >= 26  # 15% of every class of ~180
    classifier = LogisticRegression(max_iter=300).fit(
        digit_splits.train[0].reshape(-1, 64), digit_splits.train[1])
    accuracy = classifier.score(digit_splits.test[0].reshape(-1, 64), digit_splits.test[1])
    assert accuracy > 0.9


def test_digits_channels_and_image_size():
    rgb = digits(channels=3, as_numpy=True)
    x = rgb.train[0]
    assert x.shape[1:] == (8, 8, 3) and rgb.info["input_shape"] == (8, 8, 3)
    assert np.array_equal(x[..., 0], x[..., 2])
    big = digits(image_size=16, as_numpy=True)
    assert big.train[0].shape[1:] == (16, 16, 1)
    assert 0 <= big.train[0].min() and big.train[0].max() <= 1
    assert digits(image_size=(12, 10), channels=3, as_numpy=True).train[0].shape[1:] == (12, 10, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"channels": 2}, "channels must be one of \\[None, 1, 3\\], got 2"),
    ({"image_size": 0}, "image_size must be"),
    ({"image_size": (8, 8, 3)}, "image_size must be"),
    ({"seed": -1}, "seed must be an integer >= 0"),
])
def test_digits_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        digits(as_numpy=True, **kwargs)


@pytest.mark.parametrize("shape, size", [((2, 7, 9, 3), (13, 4)), ((3, 8, 8), (5, 5)),
                                         ((1, 6, 6, 1), (24, 24))])
def test_resize_bilinear_matches_tensorflow(shape, size):
    images = np.random.default_rng(0).uniform(size=shape).astype(np.float32)
    ours = resize_bilinear(images, size)
    batch = images if images.ndim == 4 else images[..., None]
    theirs = tf.image.resize(batch, size, method="bilinear", antialias=False).numpy()
    assert np.allclose(ours, theirs if images.ndim == 4 else theirs[..., 0], atol=1e-5)


@pytest.fixture(scope="module")
def shape_splits():
    return shapes(as_numpy=True)


def test_shapes_are_balanced_unit_range_images(shape_splits):
    x, y = _all(shape_splits)
    assert x.shape == (2000, 32, 32, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert x.min() >= 0 and x.max() <= 1
    assert np.bincount(y).tolist() == [500] * 4
    assert np.bincount(shape_splits.validation[1]).tolist() == [75] * 4
    info = shape_splits.info
    assert info["class_names"] == ["circle", "square", "triangle", "cross"]
    assert info["input_shape"] == (32, 32, 3) and info["num_classes"] == 4


def test_shapes_follow_the_seed(shape_splits):
    again = shapes(as_numpy=True)
    assert np.array_equal(again.train[0], shape_splits.train[0])
    assert np.array_equal(again.test[1], shape_splits.test[1])
    other = shapes(seed=1, n=200, as_numpy=True)
    assert not np.array_equal(other.train[0], shapes(n=200, as_numpy=True).train[0])


def _mask_features(images):
    """Fill of the bounding box and vertical offset of the centre of mass, per image."""
    background = images[:, :1, :1, :]  # corners are background for every shape
    masks = np.abs(images - background).max(axis=-1) > 1e-6
    features = []
    for mask in masks:
        rows, cols = np.nonzero(mask)
        height = rows.max() - rows.min() + 1
        width = cols.max() - cols.min() + 1
        offset = (rows.mean() - (rows.min() + rows.max()) / 2) / height
        features.append([mask.sum() / (height * width), offset])
    return np.array(features)


def test_shapes_are_told_apart_by_simple_features():
    splits = shapes(n=800, noise=0.0, as_numpy=True)
    classifier = LogisticRegression(max_iter=500).fit(
        _mask_features(splits.train[0]), splits.train[1])
    accuracy = classifier.score(_mask_features(splits.test[0]), splits.test[1])
    assert accuracy > 0.85  # chance: 0.25


def test_shapes_have_two_contrasting_colours_plus_gaussian_noise():
    clean = shapes(n=100, noise=0.0, channels=1, as_numpy=True).train[0]
    for image in clean:
        colours = np.unique(image)
        assert len(colours) == 2 and colours[1] - colours[0] >= 0.3 - 1e-6
    noisy = shapes(n=100, noise=0.1, channels=1, as_numpy=True).train[0]
    unclipped = (clean > 0.35) & (clean < 0.65)
    difference = (noisy - clean)[unclipped]
    assert abs(difference.mean()) < 0.01 and 0.09 < difference.std() < 0.11


def test_shapes_extra_classes_sizes_and_channels():
    splits = shapes(n=90, image_size=(20, 28), classes=("ring", "star", "diamond"), channels=1,
                    as_numpy=True)
    assert splits.train[0].shape[1:] == (20, 28, 1)
    assert splits.info["class_names"] == ["ring", "star", "diamond"]
    assert set(SHAPE_NAMES) >= {"circle", "square", "triangle", "cross", "ring", "star"}
    assert shapes(n=20, image_size=8, as_numpy=True).train[0].shape[1:] == (8, 8, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"classes": ("circle", "hexagon")},
     "unknown shape classes \\['hexagon'\\]; allowed: .*'star'"),
    ({"classes": ("circle", "circle")}, "two different shapes"),
    ({"classes": ("circle",)}, "two different shapes"),
    ({"classes": "circle"}, "sequence of shape names"),
    ({"image_size": 7}, "image_size must be .* >= 8, got 7"),
    ({"channels": 4}, "channels must be one of \\[1, 3\\]"),
    ({"noise": -0.1}, "noise must be"),
    ({"n": 3}, "n must be an integer >= 4"),
])
def test_shapes_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shapes(as_numpy=True, **kwargs)
