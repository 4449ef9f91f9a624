"""The procedurally generated source task zoo pretrains its own backbones on: textured shapes.

Class = (shape, texture): the 7 shapes of `zoo.data.shapes` times 4 foreground textures
(solid, horizontal stripes, vertical stripes, checkerboard) = 28 classes. Colours, size,
position, stripe period and noise are random, so a network must learn edges, corners,
curvature and periodic texture -- the low/mid-level features a small target task reuses.
Pure NumPy; the same seed gives the same arrays.
"""

from __future__ import annotations

import numpy as np

from zoo.data.images import SHAPE_NAMES, contrasting_colours, draw_masks
from zoo.data.splits import Splits, split_arrays

TEXTURES = ("solid", "hstripes", "vstripes", "checker")
CLASS_NAMES = tuple(f"{shape}_{texture}" for shape in SHAPE_NAMES for texture in TEXTURES)


def _texture(kind: str, height: int, width: int, period: np.ndarray) -> np.ndarray:
    """(N, H, W) boolean: True where the second foreground colour goes."""
    rows = np.arange(height)[None, :, None] // period[:, None, None]
    cols = np.arange(width)[None, None, :] // period[:, None, None]
    if kind == "solid":
        return np.zeros((len(period), height, width), dtype=bool)
    if kind == "hstripes":
        return np.broadcast_to(rows % 2 == 1, (len(period), height, width))
    if kind == "vstripes":
        return np.broadcast_to(cols % 2 == 1, (len(period), height, width))
    return (rows + cols) % 2 == 1


def textured_shapes(*, n: int = 12000, image_size: int = 32, noise: float = 0.08,
                    validation_split: float = 0.1, test_split: float = 0.1,
                    seed: int = 0) -> Splits:
    """NumPy `Splits` of (N, image_size, image_size, 3) float32 images in [0, 1], 28 classes.

    Example:
        >>> splits = textured_shapes(n=280, image_size=24)
        >>> splits.info["num_classes"], splits.train[0].shape[1:]
        (28, (24, 24, 3))
    """
    if n < len(CLASS_NAMES):
        raise ValueError(f"textured_shapes: n must be >= {len(CLASS_NAMES)}, got {n}")
    rng = np.random.default_rng(seed)
    size = int(image_size)
    y = rng.permutation(np.arange(n) % len(CLASS_NAMES)).astype(np.int32)
    shape_of = np.array([SHAPE_NAMES[label // len(TEXTURES)] for label in y])
    texture_of = np.array([TEXTURES[label % len(TEXTURES)] for label in y])
    radius = rng.uniform(0.3, 0.48, n) * size
    centre_y = rng.uniform(radius, size - radius)
    centre_x = rng.uniform(radius, size - radius)
    masks = draw_masks(shape_of, centre_y, centre_x, radius, height=size, width=size)
    period = rng.integers(2, 5, n)  # stripe / checker cell in pixels
    second = np.zeros_like(masks)
    for kind in TEXTURES:
        sel = texture_of == kind
        second[sel] = _texture(kind, size, size, period[sel])
    fg, bg = contrasting_colours(rng, n, channels=3)
    fg2, _ = contrasting_colours(rng, n, channels=3)
    grey = rng.random(n) < 0.25  # some grey images, so grey target inputs are in-distribution
    for colours in (fg, bg, fg2):
        colours[grey] = colours[grey].mean(axis=1, keepdims=True)
    inside = np.where(second[..., None], fg2[:, None, None], fg[:, None, None])
    x = np.where(masks[..., None], inside, bg[:, None, None]).astype(np.float32)
    x += rng.normal(0.0, noise, x.shape).astype(np.float32)
    x = np.clip(x, 0.0, 1.0)
    info = {
        "name": "textured_shapes",
        "task": "classification",
        "num_classes": len(CLASS_NAMES),
        "input_shape": (size, size, 3),
        "class_names": list(CLASS_NAMES),
        "value_range": (0.0, 1.0),
    }
    return split_arrays(x, y, info, validation_split=validation_split, test_split=test_split,
                        seed=seed)
