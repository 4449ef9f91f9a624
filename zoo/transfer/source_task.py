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


# ---- the richer corpus: rendered letters + IFS fractals -----------------------------------
GLYPH_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # no digits
# a wider stroke vocabulary (zoo_mobilenet_glyphs): Greek and Cyrillic letters that look like no
# Latin letter (nor like each other), and typeset symbols; still no digits
GLYPH_CHARACTERS_WIDE = (GLYPH_CHARACTERS + "ΓΔΘΛΞΠΣΦΨΩαβγδεζηθλμξπρσφψω"
                         + "БДЖЗИЛЦЧШЩЪЫЬЭЮЯ" + "&@#%?!$§¶*+=<>{}~")
FRACTAL_CATEGORIES = 48


def glyphs_and_fractals(*, n: int, image_size: int = 32, noise: float = 0.05,
                        grey_fraction: float = 0.4, seed: int = 0, fractal_seed: int = 0,
                        characters: str = GLYPH_CHARACTERS,
                        elastic: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): `n` images (N, image_size, image_size, 3) float32 in [0, 1] and labels in
    [0, len(characters) + 48): the characters rendered from matplotlib's fonts
    (`zoo.data.glyphs`; default the 52 Latin letters, no digits; a share `elastic` of them bent
    by an elastic distortion) then 48 IFS fractal categories (`zoo.data.fractals`, fixed by
    `fractal_seed`).

    Each image: the mask in one colour over a flat or linear-gradient background of a
    contrasting colour, `grey_fraction` of them grey, gaussian noise. A new `seed` gives new
    images of the same classes, so pretraining draws fresh data every round.

    Example:
        >>> x, y = glyphs_and_fractals(n=8, image_size=24)
        >>> x.shape, int(y.max()) < 100
        ((8, 24, 24, 3), True)
    """
    from zoo.data.fractals import ifs_categories, render_ifs
    from zoo.data.glyphs import render_glyphs

    if n < 1:
        raise ValueError(f"glyphs_and_fractals: n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    letters = len(characters)
    y = rng.integers(0, letters + FRACTAL_CATEGORIES, n).astype(np.int32)
    masks = np.zeros((n, image_size, image_size), np.float32)
    is_glyph = y < letters
    masks[is_glyph] = render_glyphs(y[is_glyph], rng, image_size=image_size,
                                    characters=characters, elastic=elastic)
    systems = ifs_categories(FRACTAL_CATEGORIES, seed=fractal_seed)
    masks[~is_glyph] = render_ifs([systems[k - letters] for k in y[~is_glyph]], rng,
                                  image_size=image_size)
    fg, bg = contrasting_colours(rng, n, channels=3, min_distance=0.4)
    grey = rng.random(n) < grey_fraction
    level = rng.uniform(0, 1, n)  # grey images: two levels at least 0.3 apart
    gap = rng.uniform(0.3, 1.0, n) * np.where(level > 0.5, -1, 1)
    fg[grey] = level[grey, None]
    bg[grey] = np.clip(level + gap, 0, 1)[grey, None]
    # half the backgrounds shade linearly across the frame (illumination), up to +-0.25
    ramp = np.linspace(-1.0, 1.0, image_size, dtype=np.float32)
    angle = rng.uniform(0, 2 * np.pi, n)
    slope = rng.uniform(0, 0.25, n) * (rng.random(n) < 0.5)
    shade = (np.cos(angle)[:, None, None] * ramp[None, None, :]
             + np.sin(angle)[:, None, None] * ramp[None, :, None]) * slope[:, None, None]
    background = bg[:, None, None, :] + shade[..., None]
    m = masks[..., None]
    x = m * fg[:, None, None, :] + (1 - m) * background
    x += rng.normal(0.0, noise, x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32), y


def glyphs_and_fractals_class_names(characters: str = GLYPH_CHARACTERS) -> list[str]:
    return ([f"glyph_{c}" if c not in GLYPH_CHARACTERS else f"letter_{c}" for c in characters]
            + [f"fractal_{k:02d}" for k in range(FRACTAL_CATEGORIES)])
