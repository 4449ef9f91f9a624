"""zoo/data/folders.py: one sub-folder of PNGs per class, written from `shapes` images."""

import os
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.data import image_folder, shapes

CLASSES = ("circle", "square", "star")


@pytest.fixture
def folder(tmp_path):
    """15 PNGs per class under tmp_path/<class>/; returns (root, {path: uint8 pixels})."""
    splits = shapes(n=45, image_size=24, classes=CLASSES, noise=0.0, validation_split=0,
                    test_split=0, as_numpy=True)
    pixels = {}
    for index, (image, label) in enumerate(zip(*splits.train)):
        class_dir = tmp_path / CLASSES[label]
        class_dir.mkdir(exist_ok=True)
        path = str(class_dir / f"{index:03d}.png")
        pixels[path] = np.round(image * 255).astype(np.uint8)
        keras.utils.save_img(path, pixels[path], scale=False)
    (tmp_path / "star" / "notes.txt").write_text("not an image")
    return tmp_path, pixels


def test_image_folder_splits_files_disjointly_and_by_class(folder):
    root, pixels = folder
    splits = image_folder(root, image_size=24, as_numpy=True)
    files = splits.info["files"]
    train, validation, test = (set(files[name]) for name in ("train", "validation", "test"))
    assert not (train & validation or train & test or validation & test)
    assert train | validation | test == set(pixels)
    # 15 per class: round(15 * 0.15) = 2 each for validation and test
    assert [len(files[name]) for name in ("train", "validation", "test")] == [33, 6, 6]
    for name in ("validation", "test"):
        classes = [Path(path).parent.name for path in files[name]]
        assert sorted(classes) == sorted(CLASSES * 2)
    assert splits.info["class_names"] == list(CLASSES) and splits.info["num_classes"] == 3


def test_image_folder_reads_pixels_in_0_255_with_their_labels(folder):
    root, pixels = folder
    splits = image_folder(root, image_size=(24, 24), as_numpy=True)
    x, y = splits.validation  # not shuffled: the order of info["files"]
    assert x.dtype == np.float32 and y.dtype == np.int32 and x.shape == (6, 24, 24, 3)
    for image, label, path in zip(x, y, splits.info["files"]["validation"]):
        assert np.allclose(image, pixels[path], atol=1e-3)
        assert CLASSES[label] == Path(path).parent.name
    assert splits.info["value_range"] == (0.0, 255.0) and x.max() > 1


def test_image_folder_rescale_resize_and_tf_data(folder):
    root, _ = folder
    splits = image_folder(root, image_size=16, rescale=True, batch_size=4)
    assert splits.train.element_spec == (
        tf.TensorSpec((None, 16, 16, 3), tf.float32), tf.TensorSpec((None,), tf.int32))
    x, y = next(iter(splits.train))
    assert x.shape == (4, 16, 16, 3)
    assert 0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1
    gray = image_folder(root, image_size=24, channels=1, as_numpy=True)
    assert gray.train[0].shape[1:] == (24, 24, 1) and gray.info["input_shape"] == (24, 24, 1)


def test_image_folder_split_follows_the_seed(folder):
    root, _ = folder
    first = image_folder(root, image_size=24).info["files"]
    assert image_folder(root, image_size=24).info["files"] == first
    assert image_folder(root, image_size=24, seed=3).info["files"] != first


def test_image_folder_errors_name_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        image_folder(missing)
    (tmp_path / "only_class").mkdir()
    with pytest.raises(ValueError, match="at least two classes, found \\['only_class'\\]"):
        image_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    keras.utils.save_img(str(tmp_path / "only_class" / "a.png"),
                         np.zeros((8, 8, 3), np.uint8), scale=False)
    with pytest.raises(ValueError, match=f"{os.sep}empty_class' holds no images"):
        image_folder(tmp_path)


def test_corrupt_images_are_named_or_skipped_with_a_count(folder):
    root, _ = folder
    broken = Path(root) / "circle" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    empty = Path(root) / "star" / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"cannot decode image .*(broken\.png|empty\.jpg).*"
                                         r"skip_corrupt=True"):
        image_folder(root, image_size=16, as_numpy=True)
    with pytest.warns(UserWarning, match=r"skipped 2 corrupt image\(s\) of 47"):
        splits = image_folder(root, image_size=16, as_numpy=True, skip_corrupt=True)
    assert sorted(os.path.basename(f) for f in splits.info["skipped"]) == ["broken.png",
                                                                           "empty.jpg"]
    assert sum(len(s[0]) for s in (splits.train, splits.validation, splits.test)) == 45
