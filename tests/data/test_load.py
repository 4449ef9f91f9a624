"""zoo/data/catalog.py: load() dispatch, shorthand and errors; list_datasets()."""

import numpy as np
import pytest
import tensorflow_datasets as tfds_lib

from zoo.data import digits, list_datasets, load, shapes


def test_list_datasets_is_sorted_loader_names():
    assert list_datasets() == ["digits", "image_folder", "seq2seq", "sequences", "shapes", "text",
                               "tfds"]


def test_load_by_name_equals_calling_the_loader():
    loaded = load("digits", seed=2, as_numpy=True)
    direct = digits(seed=2, as_numpy=True)
    assert np.array_equal(loaded.train[0], direct.train[0])
    assert loaded.info == direct.info
    assert load("shapes", n=40, classes=("ring", "star"), as_numpy=True).info["class_names"] == [
        "ring", "star"]


@pytest.mark.parametrize("name, kwargs, expected", [
    ("sequences:adding", {"n": 50}, "sequences:adding"),
    ("sequences", {"task": "sine", "n": 50}, "sequences:sine"),
    ("text:modules", {"n": 100}, "text:modules"),
    ("text:lm", {"max_chars": 20_000}, "text:lm"),
])
def test_load_shorthand_fills_the_task(name, kwargs, expected):
    assert load(name, as_numpy=True, **kwargs).info["name"] == expected


def test_load_tfds_shorthand():
    with tfds_lib.testing.mock_data(num_examples=4):
        assert load("tfds:mnist", as_numpy=True).info["name"] == "tfds:mnist"
        assert load("tfds", name="mnist", as_numpy=True).train[0].shape == (4, 28, 28, 1)


def test_load_a_directory_reads_an_image_folder(tmp_path):
    import keras

    images = shapes(n=8, image_size=8, classes=("circle", "cross"), validation_split=0,
                    test_split=0, as_numpy=True).train
    for index, (image, label) in enumerate(zip(*images)):
        class_dir = tmp_path / ("circle", "cross")[label]
        class_dir.mkdir(exist_ok=True)
        keras.utils.save_img(str(class_dir / f"{index}.png"), image)
    for path in (str(tmp_path), tmp_path):
        splits = load(path, image_size=8, validation_split=0.25, test_split=0.25, as_numpy=True)
        assert splits.info["name"] == "image_folder"
        assert splits.info["class_names"] == ["circle", "cross"]
        assert sum(len(split[1]) for split in (splits.train, splits.validation, splits.test)) == 8


@pytest.mark.parametrize("name, error, message", [
    ("digts", ValueError, "unknown dataset 'digts' .* Did you mean 'digits'\\? Available: "
                          "\\['digits', 'image_folder'"),
    ("imagenet", ValueError, "unknown dataset 'imagenet'.*'tfds:<name>'"),
    ("./no/such/folder", ValueError, "no directory of that name exists"),
    ("shapes:star", ValueError, "'shapes:star' is not a valid shorthand"),
    ("sequences:", ValueError, "not a valid shorthand"),
    ("sequences:sorting", ValueError, "unknown task 'sorting'; tasks: \\['parity'"),
])
def test_load_rejects_unknown_names(name, error, message):
    with pytest.raises(error, match=message):
        load(name)


def test_load_rejects_a_shorthand_contradicted_by_a_keyword(tmp_path):
    with pytest.raises(ValueError, match="'sequences:parity' already sets task='parity'; "
                                         "got task='adding'"):
        load("sequences:parity", task="adding")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load(tmp_path / "nowhere")
