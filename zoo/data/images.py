"""Offline image datasets in pure NumPy: scikit-learn's bundled digits and drawn shapes."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from zoo import validation as check
from zoo.data.splits import Splits, finish, split_arrays

# Each shape is a region of the square [-1, 1]^2 around its centre, in units of its radius.
SHAPE_NAMES = ("circle", "square", "triangle", "cross", "diamond", "ring", "star")
DEFAULT_SHAPES = ("circle", "square", "triangle", "cross")

MIN_IMAGE_SIZE = 8


def digits(
    *, image_size: int | tuple[int, int] | None = None, channels: int | None = None,
    validation_split: float = 0.15, test_split: float = 0.15, seed: int = 0,
    as_numpy: bool = False, batch_size: int = 32,
) -> Splits:
    """The 1797 handwritten 8x8 digits bundled with scikit-learn (no download), in [0, 1].

    The default shape (N, 8, 8) feeds an MLP built with `input_shape=(8, 8)`; `channels=1`
    or `3` adds a channel axis for CNNs; `image_size` resizes (bilinear) and implies
    `channels=1` unless given.

    Example:
        >>> splits = digits(image_size=32, channels=3, as_numpy=True)
        >>> splits.train[0].shape[1:]
        (32, 32, 3)
    """
    owner = "digits"
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    check.choice(owner, "channels", channels, (None, 1, 3))
    size = None
    if image_size is not None:
        size = check.image_size(owner, image_size, min_value=1)
        channels = 1 if channels is None else channels
    from sklearn.datasets import load_digits  # here: scikit-learn is slow to import

    bunch = load_digits()
    x = bunch.images.astype(np.float32) / 16.0  # pixel values are counts 0..16
    y = bunch.target.astype(np.int32)
    if size is not None and size != x.shape[1:3]:
        x = resize_bilinear(x, size)
    if channels is not None:
        x = np.repeat(x[..., None], channels, axis=-1)
    info = {
        "name": "digits",
        "task": "classification",
        "num_classes": 10,
        "input_shape": tuple(x.shape[1:]),
        "class_names": [str(digit) for digit in range(10)],
        "value_range": (0.0, 1.0),
    }
    splits = split_arrays(
        x, y, info, validation_split=validation_split, test_split=test_split, seed=seed
    )
    return finish(splits, as_numpy=as_numpy, batch_size=batch_size, seed=seed)


def shapes(
    *, n: int = 2000, image_size: int | tuple[int, int] = 32,
    classes: Sequence[str] = DEFAULT_SHAPES, channels: int = 3, noise: float = 0.1,
    validation_split: float = 0.15, test_split: float = 0.15, seed: int = 0,
    as_numpy: bool = False, batch_size: int = 32,
) -> Splits:
    """Drawn shapes to classify: random size, position and colours, gaussian noise, in [0, 1].

    Classes are balanced; every shape lies wholly inside the image on a background of a
    different colour. `classes` picks from `SHAPE_NAMES`; the same seed gives the same arrays.

    Example:
        >>> splits = shapes(n=400, image_size=24, classes=("circle", "star"), as_numpy=True)
        >>> splits.info["class_names"], splits.train[0].shape[1:]
        (['circle', 'star'], (24, 24, 3))
    """
    owner = "shapes"
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    height, width = check.image_size(owner, image_size, min_value=MIN_IMAGE_SIZE)
    classes = check_shape_classes(classes, owner=owner)
    n = check.at_least(owner, "n", n, len(classes))
    check.choice(owner, "channels", channels, (1, 3))
    check.number(owner, "noise", noise, min_value=0.0)

    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % len(classes)).astype(np.int32)
    # Radius in pixels; the centre keeps the whole shape inside the image.
    radius = rng.uniform(0.25, 0.45, n) * min(height, width)
    centre_y = rng.uniform(radius, height - radius)
    centre_x = rng.uniform(radius, width - radius)
    masks = draw_masks(
        [classes[label] for label in y], centre_y, centre_x, radius,
        height=height, width=width,
    )
    x = paint(masks, rng, channels=channels, noise=noise)
    info = {
        "name": "shapes",
        "task": "classification",
        "num_classes": len(classes),
        "input_shape": (height, width, channels),
        "class_names": list(classes),
        "value_range": (0.0, 1.0),
    }
    splits = split_arrays(
        x, y, info, validation_split=validation_split, test_split=test_split, seed=seed
    )
    return finish(splits, as_numpy=as_numpy, batch_size=batch_size, seed=seed)


def check_shape_classes(classes: Sequence[str], *, owner: str) -> tuple[str, ...]:
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise ValueError(
            f"{owner}: classes must be a sequence of shape names from {list(SHAPE_NAMES)}, "
            f"got {classes!r}"
        )
    classes = tuple(classes)
    unknown = [name for name in classes if name not in SHAPE_NAMES]
    if unknown:
        raise ValueError(
            f"{owner}: unknown shape classes {unknown}; allowed: {list(SHAPE_NAMES)}"
        )
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(
            f"{owner}: classes must name at least two different shapes, got {list(classes)}"
        )
    return classes


def draw_masks(
    kinds: Sequence[str], centre_y: np.ndarray, centre_x: np.ndarray, radius: np.ndarray, *,
    height: int, width: int, wrap: bool = False,
) -> np.ndarray:
    """Boolean masks (N, height, width) of one shape each; centres and radii in pixels.

    Pixel (i, j) is sampled at its centre (i + 0.5, j + 0.5). With `wrap=True` the canvas is a
    torus: a shape leaving one edge re-enters at the opposite one.
    """
    rows = np.arange(height, dtype=np.float32) + 0.5
    cols = np.arange(width, dtype=np.float32) + 0.5
    dy = rows[None, :, None] - np.asarray(centre_y, np.float32)[:, None, None]
    dx = cols[None, None, :] - np.asarray(centre_x, np.float32)[:, None, None]
    if wrap:
        dy = (dy + height / 2) % height - height / 2
        dx = (dx + width / 2) % width - width / 2
    scale = np.asarray(radius, np.float32)[:, None, None]
    u, v = dx / scale, dy / scale  # (N, 1, W) and (N, H, 1): broadcast in the masks
    u, v = np.broadcast_arrays(u, v)
    kinds = np.asarray(kinds)
    masks = np.zeros((len(kinds), height, width), dtype=bool)
    for kind in np.unique(kinds):
        selected = kinds == kind
        masks[selected] = _shape_mask(str(kind), u[selected], v[selected])
    return masks


def _shape_mask(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # v grows downwards, as image rows do.
    if kind == "circle":
        return u * u + v * v <= 1
    if kind == "square":
        # Inset so its area (4 * 0.89^2) matches the circle's (pi): size does not tell them apart.
        return np.maximum(np.abs(u), np.abs(v)) <= 0.886
    if kind == "triangle":
        # Apex (0, -1), base from (-1, 1) to (1, 1).
        return (v <= 1) & (np.abs(u) <= (v + 1) / 2)
    if kind == "cross":
        arm = 0.3
        inside = np.maximum(np.abs(u), np.abs(v)) <= 1
        return inside & ((np.abs(u) <= arm) | (np.abs(v) <= arm))
    if kind == "diamond":
        return np.abs(u) + np.abs(v) <= 1
    if kind == "ring":
        distance_sq = u * u + v * v
        return (distance_sq <= 1) & (distance_sq >= 0.55**2)
    if kind == "star":
        points, inner = 5, 0.45
        angle = np.arctan2(u, -v)  # 0 points straight up, so the top point is upright
        phase = (angle * points / (2 * np.pi)) % 1.0  # 0 at a point, 0.5 between two points
        boundary = inner + (1 - inner) * np.abs(1 - 2 * phase)
        return np.sqrt(u * u + v * v) <= boundary
    raise ValueError(f"draw_masks: unknown shape {kind!r}; allowed: {list(SHAPE_NAMES)}")


def paint(
    masks: np.ndarray, rng: np.random.Generator, *, channels: int, noise: float,
) -> np.ndarray:
    """float32 images (*masks.shape, channels) in [0, 1], plus gaussian noise.

    One shape colour and one background colour per entry of the first axis (an image, or a
    whole clip of frames).
    """
    count = masks.shape[0]
    foreground, background = contrasting_colours(rng, count, channels=channels)
    extra_axes = (1,) * (masks.ndim - 1)
    foreground = foreground.reshape(count, *extra_axes, channels)
    background = background.reshape(count, *extra_axes, channels)
    images = np.where(masks[..., None], foreground, background).astype(np.float32)
    if noise > 0:
        images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0)


def contrasting_colours(
    rng: np.random.Generator, count: int, *, channels: int, min_distance: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """(count, channels) foreground and background colours at least `min_distance` apart."""
    foreground = rng.uniform(0, 1, (count, channels))
    background = rng.uniform(0, 1, (count, channels))
    too_close = np.linalg.norm(foreground - background, axis=1) < min_distance
    while too_close.any():
        foreground[too_close] = rng.uniform(0, 1, (too_close.sum(), channels))
        background[too_close] = rng.uniform(0, 1, (too_close.sum(), channels))
        too_close = np.linalg.norm(foreground - background, axis=1) < min_distance
    return foreground.astype(np.float32), background.astype(np.float32)


def resize_bilinear(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (N, H, W) or (N, H, W, C) images to `size` = (height, width).

    Half-pixel centres and edge clamping, as `tf.image.resize(..., antialias=False)` does, so
    a model sees the same pixels whichever library resized them.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"resize_bilinear: images must be (N, H, W) or (N, H, W, C), got shape {images.shape}"
        )
    height, width = check.image_size("resize_bilinear", size, min_value=1)
    return _resize_axis(_resize_axis(images, 1, height), 2, width)


def _resize_axis(images: np.ndarray, axis: int, out_length: int) -> np.ndarray:
    in_length = images.shape[axis]
    if in_length == out_length:
        return images
    source = (np.arange(out_length) + 0.5) * (in_length / out_length) - 0.5
    source = np.clip(source, 0, in_length - 1)
    lower = np.floor(source).astype(np.int64)
    upper = np.minimum(lower + 1, in_length - 1)
    weight_shape = [1] * images.ndim
    weight_shape[axis] = out_length
    weight = (source - lower).astype(np.float32).reshape(weight_shape)
    return (
        np.take(images, lower, axis=axis) * (1 - weight)
        + np.take(images, upper, axis=axis) * weight
    )
