"""zoo/data/sequence_tasks.py: parity, adding, sine and moving-shape clips."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from zoo.data import sequences
from zoo.data.sequence_tasks import SEQUENCE_TASKS


def _all(splits):
    x = np.concatenate([splits.train[0], splits.validation[0], splits.test[0]])
    y = np.concatenate([splits.train[1], splits.validation[1], splits.test[1]])
    return x, y


def test_parity_labels_count_the_ones():
    splits = sequences(task="parity", as_numpy=True)
    x, y = _all(splits)
    assert x.shape == (2000, 20, 1) and x.dtype == np.float32 and y.dtype == np.int32
    assert set(np.unique(x)) == {0.0, 1.0}
    assert np.array_equal(y, x.sum(axis=(1, 2)).astype(np.int64) % 2)
    assert 0.4 < y.mean() < 0.6
    info = splits.info
    assert info["num_classes"] == 2 and info["class_names"] == ["even", "odd"]
    assert info["input_shape"] == (20, 1) and info["name"] == "sequences:parity"


def test_adding_targets_are_the_sum_of_the_two_marked_values():
    splits = sequences(task="adding", length=30, as_numpy=True)
    x, y = _all(splits)
    assert x.shape == (2000, 30, 2) and y.dtype == np.float32 and y.shape == (2000,)
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0 and values.max() <= 1
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert np.array_equal(markers.sum(axis=1), np.full(2000, 2.0))
    assert np.array_equal(markers[:, :15].sum(axis=1), np.ones(2000))  # one in each half
    assert np.allclose(y, (values * markers).sum(axis=1), atol=1e-6)
    info = splits.info
    assert info["task"] == "regression" and info["num_classes"] is None
    assert info["class_names"] is None and info["input_shape"] == (30, 2)


def test_sine_target_is_the_next_value_of_the_wave():
    clean = sequences(task="sine", noise=0.0, n=300, as_numpy=True)
    x, y = clean.train
    x = x[..., 0].astype(np.float64)
    # A pure sine obeys s[t+1] + s[t-1] = 2 cos(w) s[t]; fit 2 cos(w) per window, extrapolate.
    factor = ((x[:, 2:] + x[:, :-2]) * x[:, 1:-1]).sum(axis=1) / (x[:, 1:-1] ** 2).sum(axis=1)
    predicted = factor * x[:, -1] - x[:, -2]
    assert np.allclose(predicted, y, atol=1e-3)
    assert clean.info["task"] == "regression" and clean.info["input_shape"] == (20, 1)


def test_sine_noise_perturbs_inputs_but_not_targets():
    clean = sequences(task="sine", noise=0.0, n=300, as_numpy=True).train
    noisy = sequences(task="sine", noise=0.2, n=300, as_numpy=True).train
    assert np.array_equal(clean[1], noisy[1])
    assert 0.18 < (noisy[0] - clean[0]).std() < 0.22


@pytest.fixture(scope="module")
def clips():
    return sequences(task="clips", as_numpy=True)


def test_clips_are_balanced_videos(clips):
    x, y = _all(clips)
    assert x.shape == (2000, 8, 16, 16, 1) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    assert np.bincount(y).tolist() == [500] * 4
    assert clips.info["class_names"] == ["left", "right", "up", "down"]
    assert clips.info["input_shape"] == (8, 16, 16, 1)
    small = sequences(task="clips", n=40, frames=5, image_size=12, as_numpy=True)
    assert small.train[0].shape[1:] == (5, 12, 12, 1)


def _circular_centre(frames):
    """Centre of mass (row, col) of the shape on the wrapped canvas, per frame."""
    frames = frames[..., 0]
    size = frames.shape[-1]
    background = np.median(frames, axis=(-2, -1), keepdims=True)
    mass = np.abs(frames - background) > 0.15  # contrast >= 0.3, noise sd 0.05
    angles = np.exp(2j * np.pi * (np.arange(size) + 0.5) / size)
    row = np.angle((mass.sum(axis=-1) * angles).sum(axis=-1))
    col = np.angle((mass.sum(axis=-2) * angles).sum(axis=-1))
    return row * size / (2 * np.pi), col * size / (2 * np.pi)


def test_clip_direction_shows_in_the_motion_of_the_centre_of_mass(clips):
    x, y = clips.test
    size = x.shape[-2]
    (row0, col0), (row1, col1) = _circular_centre(x[:, 0]), _circular_centre(x[:, -1])
    d_row = (row1 - row0 + size / 2) % size - size / 2
    d_col = (col1 - col0 + size / 2) % size - size / 2
    horizontal = np.abs(d_col) > np.abs(d_row)
    predicted = np.where(horizontal, np.where(d_col < 0, 0, 1), np.where(d_row < 0, 2, 3))
    assert (predicted == y).mean() > 0.95


def _position_profiles(frames):
    """Where the shape is: how much each row and column differs from the background."""
    frames = frames[..., 0]
    mass = np.abs(frames - np.median(frames, axis=(-2, -1), keepdims=True))
    return np.concatenate([mass.sum(axis=-1), mass.sum(axis=-2)], axis=-1)


@pytest.mark.parametrize("frame", [0, 7])
def test_a_single_clip_frame_says_nothing_about_the_direction(clips, frame):
    # Had each clip started where its path stays on the canvas, this classifier would read the
    # direction off the start position (about 0.5 accuracy on frame 0).
    x_train, y_train = clips.train
    x_test, y_test = clips.test
    classifier = LogisticRegression(max_iter=500).fit(
        _position_profiles(x_train[:, frame]), y_train)
    accuracy = classifier.score(_position_profiles(x_test[:, frame]), y_test)
    assert accuracy < 0.33  # chance: 0.25; the motion test above reaches > 0.95


@pytest.mark.parametrize("task", SEQUENCE_TASKS)
def test_every_task_follows_the_seed(task):
    first = sequences(task=task, n=60, as_numpy=True)
    again = sequences(task=task, n=60, as_numpy=True)
    other = sequences(task=task, n=60, seed=5, as_numpy=True)
    assert np.array_equal(first.train[0], again.train[0])
    assert np.array_equal(first.test[1], again.test[1])
    assert not np.array_equal(first.train[0], other.train[0])


@pytest.mark.parametrize("kwargs, message", [
    ({"task": "sorting"},
     "unknown task 'sorting'; tasks: \\['parity', 'adding', 'sine', 'clips'\\]"),
    ({"task": "clips", "length": 10}, "length applies only to task in"),
    ({"task": "parity", "frames": 4}, "frames applies only to task in \\['clips'\\]"),
    ({"task": "adding", "noise": 0.1}, "noise applies only"),
    ({"task": "clips", "frames": 1}, "frames must be an integer >= 2"),
    ({"task": "clips", "image_size": 4}, "image_size must be"),
    ({"task": "adding", "length": 1}, "length must be an integer >= 2"),
    ({"task": "parity", "n": 0}, "n must be an integer >= 1"),
])
def test_sequences_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sequences(as_numpy=True, **kwargs)
