"""Letters rendered from the fonts matplotlib ships (DejaVu, STIX, Computer Modern), distorted.

Real typefaces carry real stroke statistics (thick and thin strokes, serifs, bowls, joins), and
they are on every machine that has matplotlib: no download. Each image is one glyph, drawn once
per (font, character) at 64x64 and then varied per sample: affine warp (scale, rotation, shear,
position), stroke thickness, colours, noise. Classes are characters; fonts are the nuisance.
Digits are not among the default characters, so the digits target stays unseen in
pretraining. Pure NumPy + Pillow; the same seed gives the same arrays.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path

import numpy as np

LETTERS = string.ascii_uppercase + string.ascii_lowercase
CANVAS = 64  # glyphs are rasterised once at this size, then warped and downsampled


def font_files() -> list[Path]:
    """The TrueType fonts in matplotlib's own data folder that draw Latin letters."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    # STIX size variants, cmex/cmsy/cmmi (symbols) and LastResort draw no plain letters
    skip = ("STIXSiz", "STIXNonUni", "cmex", "cmsy", "cmmi", "LastResort")
    return sorted(p for p in folder.glob("*.ttf") if not p.name.startswith(skip))


@functools.lru_cache(maxsize=4)
def glyph_masks(characters: str = LETTERS) -> tuple[np.ndarray, np.ndarray]:
    """(masks, present): masks (F, C, 64, 64) float32 in [0, 1], each glyph centred and scaled
    so its larger side is 48 px; present (F, C) bool, False where font F lacks character C."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = font_files()
    if not fonts:
        raise FileNotFoundError("zoo.data.glyphs: matplotlib ships no TrueType fonts here")
    masks = np.zeros((len(fonts), len(characters), CANVAS, CANVAS), np.float32)
    present = np.zeros((len(fonts), len(characters)), bool)
    for f, path in enumerate(fonts):
        font = ImageFont.truetype(str(path), size=96)
        missing = _render(font, "\uffff", Image, ImageDraw)  # the font's "no glyph" box
        for c, char in enumerate(characters):
            image = _render(font, char, Image, ImageDraw)
            if image is None or (missing is not None and image.shape == missing.shape
                                 and np.array_equal(image, missing)):
                continue
            masks[f, c] = _fit(image, Image)
            present[f, c] = True
    return masks, present


def _render(font, char, Image, ImageDraw):
    canvas = Image.new("L", (192, 192), 0)
    ImageDraw.Draw(canvas).text((48, 24), char, fill=255, font=font)
    array = np.asarray(canvas)
    rows, cols = np.flatnonzero(array.any(1)), np.flatnonzero(array.any(0))
    if len(rows) == 0:
        return None
    return array[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _fit(image, Image):
    h, w = image.shape
    scale = 48.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR), np.float32) / 255
    out = np.zeros((CANVAS, CANVAS), np.float32)
    top, left = (CANVAS - size[1]) // 2, (CANVAS - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = small
    return out


def render_glyphs(labels: np.ndarray, rng: np.random.Generator, *, image_size: int = 32,
                  characters: str = LETTERS, elastic: float = 0.0) -> np.ndarray:
    """(N, image_size, image_size) float32 masks in [0, 1]: character `labels[i]` in a random
    font that has it, randomly scaled (0.55-1.0 of the frame), rotated (+-15 deg), sheared
    (+-0.3), shifted, and thinned or thickened. A share `elastic` of them is also bent by a
    smooth random displacement field first (Simard et al., ICDAR 2003: the local wobble of
    strokes drawn by hand), so typeset strokes vary as handwritten ones do."""
    from scipy import ndimage

    if not 0.0 <= elastic <= 1.0:
        raise ValueError(f"render_glyphs: elastic must be a share in [0, 1], got {elastic!r}")

    masks, present = glyph_masks(characters)
    n = len(labels)
    out = np.empty((n, image_size, image_size), np.float32)
    for i, label in enumerate(labels):
        fonts = np.flatnonzero(present[:, label])
        glyph = masks[rng.choice(fonts), label]
        width = rng.integers(-1, 3)  # stroke: thinner (-1), same (0) or thicker (1, 2)
        if width > 0:
            glyph = ndimage.grey_dilation(glyph, size=(width + 1, width + 1))
        elif width < 0:
            glyph = ndimage.grey_erosion(glyph, size=(2, 2))
        if elastic and rng.random() < elastic:
            glyph = _elastic(glyph, rng)
        out[i] = _warp(glyph, rng, image_size)
    return np.clip(out, 0.0, 1.0)


def _elastic(mask, rng, *, sigma: float = 6.0, alpha: float = 60.0):
    """`mask` resampled through a random displacement field: uniform noise smoothed by a
    Gaussian of `sigma` pixels, scaled to `alpha` (Simard et al.'s recipe at this canvas)."""
    from scipy import ndimage

    shape = mask.shape
    dy, dx = (ndimage.gaussian_filter(rng.uniform(-1, 1, shape), sigma) * alpha
              for _ in range(2))
    rows, cols = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    return ndimage.map_coordinates(mask, (rows + dy, cols + dx), order=1).astype(np.float32)


def _warp(mask, rng, image_size):
    """Affine-warp a CANVAS x CANVAS mask into an image_size frame: bilinear at twice the size,
    then 2x2 average (anti-aliased, so thin strokes survive the downsampling)."""
    from scipy import ndimage

    final, image_size = image_size, 2 * image_size
    scale = rng.uniform(0.55, 1.0) * image_size / 48.0  # glyph's larger side -> frame fraction
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    forward = scale * rotation @ np.array([[1.0, 0.0], [shear, 1.0]])
    inverse = np.linalg.inv(forward)
    room = max(0.0, (image_size - scale * 48.0) / 2)
    centre_out = image_size / 2 + rng.uniform(-room, room, 2) - 0.5
    centre_in = np.array([CANVAS / 2 - 0.5, CANVAS / 2 - 0.5])
    offset = centre_in - inverse @ centre_out
    big = ndimage.affine_transform(mask, inverse, offset=offset,
                                   output_shape=(image_size, image_size), order=1)
    return big.reshape(final, 2, final, 2).mean(axis=(1, 3))
