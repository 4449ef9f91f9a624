"""Offline sequence datasets in pure NumPy: tasks that need memory, and moving-shape clips."""

from __future__ import annotations

import inspect

import numpy as np

from zoo import validation as check
from zoo.data.images import MIN_IMAGE_SIZE, draw_masks, paint
from zoo.data.splits import Splits, finish, split_arrays

SEQUENCE_TASKS = ("parity", "adding", "sine", "clips")
DIRECTIONS = ("left", "right", "up", "down")
CLIP_SHAPES = ("circle", "square", "triangle", "cross")

# Arguments that only some tasks read.
_TASK_ARGUMENTS = {
    "length": ("parity", "adding", "sine"),
    "frames": ("clips",),
    "image_size": ("clips",),
    "noise": ("sine", "clips"),
}


def sequences(
    *, task: str = "parity", n: int = 2000, length: int = 20, frames: int = 8,
    image_size: int | tuple[int, int] = 16, noise: float = 0.05,
    validation_split: float = 0.15, test_split: float = 0.15,
    seed: int = 0, as_numpy: bool = False, batch_size: int = 32,
) -> Splits:
    """Sequence tasks for recurrent, convolutional and attention models.

    - "parity": x (N, length, 1) random bits; y = 1 if the count of ones is odd. Every bit
      matters, so the model must carry state across the whole sequence.
    - "adding": x (N, length, 2) = values uniform in [0, 1] and a marker channel with exactly
      two ones (one in each half); y = the sum of the two marked values (Hochreiter &
      Schmidhuber, 1997). Regression.
    - "sine": x (N, length, 1) noisy sine windows of random frequency, phase and amplitude;
      y = the next, noise-free value. Regression.
    - "clips": x (N, frames, H, W, 1) videos of one shape moving at constant speed left,
      right, up or down; y = the direction. The canvas wraps around, so any single frame is a
      uniformly placed shape whatever the label: only motion tells the classes apart.

    `length` is for parity/adding/sine; `frames` and `image_size` for clips; `noise` (a
    standard deviation) for sine and clips. Changing one a task does not read is an error.

    Example:
        >>> splits = sequences(task="adding", n=500, length=30, as_numpy=True)
        >>> splits.train[0].shape[1:], splits.info["task"]
        ((30, 2), 'regression')
    """
    owner = "sequences"
    if task not in SEQUENCE_TASKS:
        raise ValueError(f"{owner}: unknown task {task!r}; tasks: {list(SEQUENCE_TASKS)}")
    given = {"length": length, "frames": frames, "image_size": image_size, "noise": noise}
    defaults = inspect.signature(sequences).parameters
    for arg, value in given.items():
        if task not in _TASK_ARGUMENTS[arg] and value != defaults[arg].default:
            raise ValueError(
                f"{owner}: {arg} applies only to task in {list(_TASK_ARGUMENTS[arg])}, got "
                f"{arg}={value!r} with task={task!r}"
            )
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    n = check.at_least(owner, "n", n, 1)
    check.number(owner, "noise", noise, min_value=0.0)
    noise = float(noise)
    rng = np.random.default_rng(seed)
    if task == "clips":
        frames = check.at_least(owner, "frames", frames, 2)
        height, width = check.image_size(owner, image_size, min_value=MIN_IMAGE_SIZE)
        x, y, info = _clips(rng, n, frames=frames, height=height, width=width, noise=noise)
    else:
        length = check.at_least(owner, "length", length, 2)
        make = {"parity": _parity, "adding": _adding, "sine": _sine}[task]
        x, y, info = make(rng, n, length=length, noise=noise)
    info = {"name": f"sequences:{task}", "input_shape": tuple(x.shape[1:]), **info}
    splits = split_arrays(
        x, y, info, validation_split=validation_split, test_split=test_split, seed=seed
    )
    return finish(splits, as_numpy=as_numpy, batch_size=batch_size, seed=seed)


def _parity(rng, n, *, length, noise):
    bits = rng.integers(0, 2, (n, length, 1))
    y = (bits.sum(axis=(1, 2)) % 2).astype(np.int32)
    info = {"task": "classification", "num_classes": 2, "class_names": ["even", "odd"]}
    return bits.astype(np.float32), y, info


def _adding(rng, n, *, length, noise):
    values = rng.uniform(0, 1, (n, length))
    # One marker in each half, as in the original problem, so the two never coincide.
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    rows = np.arange(n)
    markers = np.zeros((n, length))
    markers[rows, first] = 1
    markers[rows, second] = 1
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    info = {"task": "regression", "num_classes": None, "class_names": None, "target_shape": ()}
    return x, y, info


def _sine(rng, n, *, length, noise):
    steps = np.arange(length + 1)
    frequency = rng.uniform(1 / 40, 1 / 6, (n, 1))  # cycles per step: periods of 6 to 40 steps
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    clean = amplitude * np.sin(2 * np.pi * frequency * steps + phase)
    x = clean[:, :length] + rng.normal(0, noise, (n, length))
    # A noise-free target: a perfect model can reach zero error.
    y = clean[:, length]
    info = {"task": "regression", "num_classes": None, "class_names": None, "target_shape": ()}
    return x[..., None].astype(np.float32), y.astype(np.float32), info


def _clips(rng, n, *, frames, height, width, noise):
    y = rng.permutation(np.arange(n) % len(DIRECTIONS)).astype(np.int32)
    kinds = rng.choice(CLIP_SHAPES, n)
    radius = rng.uniform(0.15, 0.25, n) * min(height, width)
    start_y = rng.uniform(0, height, n)
    start_x = rng.uniform(0, width, n)
    # Total travel of 20-40% of the image: visible, and under half of it, so wrapping around
    # never makes one direction look like its opposite.
    speed = rng.uniform(0.2, 0.4, n) * min(height, width) / (frames - 1)
    unit_y = np.array([0, 0, -1, 1])[y]  # left, right, up, down (rows grow downwards)
    unit_x = np.array([-1, 1, 0, 0])[y]
    steps = np.arange(frames)
    centre_y = (start_y[:, None] + unit_y[:, None] * speed[:, None] * steps) % height
    centre_x = (start_x[:, None] + unit_x[:, None] * speed[:, None] * steps) % width
    masks = draw_masks(
        np.repeat(kinds, frames), centre_y.ravel(), centre_x.ravel(), np.repeat(radius, frames),
        height=height, width=width, wrap=True,
    ).reshape(n, frames, height, width)
    x = paint(masks, rng, channels=1, noise=noise)
    info = {"task": "classification", "num_classes": len(DIRECTIONS),
            "class_names": list(DIRECTIONS)}
    return x, y, info
