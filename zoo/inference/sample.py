"""`zoo sample RUN --n N --out grid.png`: new images from a trained VAE or GAN, tiled in one PNG.

Codes are drawn from the prior N(0, I) by NumPy's generator seeded with `seed` (the same seed
gives the same images under every Keras backend) and decoded in inference mode: a VAE's
`decoder` (`vae`, `conv_vae`), a GAN's `generator` (`dcgan`, `wgan_gp` and their conditional
presets, which draw the classes given, or every class in turn). The images, in [0, 1], are
tiled row by row, each upscaled `scale` times (nearest neighbour, so small images stay
legible), with `PAD` grey pixels around every tile: a grid of `columns` x `rows` tiles is
`columns * (W * scale + PAD) + PAD` pixels wide and `rows * (H * scale + PAD) + PAD` high.
Every argument is checked before the model is loaded and the model before anything is written;
the PNG goes to a temp file that is renamed over `out`, so a file there is always whole.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from zoo.inference.runs import open_run, recorded_input

PAD = 2               # grey pixels between tiles and around the grid
PAD_VALUE = 128
MIN_TILE = 64         # the default scale makes a tile at least this many pixels on its long side
MAX_SAMPLES = 1024    # one grid; more is a data set, not a picture
GRID_COLUMNS = 10     # zoo train's sample grids are 10 wide too


@dataclasses.dataclass
class Samples:
    images: np.ndarray     # (n, H, W, C) float32 in [0, 1]
    labels: list | None    # the class name drawn per image (conditional GANs), else None
    grid: tuple            # (rows, columns)
    scale: int
    seed: int
    model: str             # the model's name, e.g. "vae"
    path: Path | None = None   # the PNG written, if any

    def summary(self) -> str:
        rows, columns = self.grid
        height, width = self.images.shape[1:3]
        where = f"; wrote {self.path}" if self.path else ""
        return (f"zoo sample: {len(self.images)} images from {self.model} (seed {self.seed}), "
                f"{rows} x {columns} grid of {width * self.scale}x{height * self.scale} px tiles"
                f"{where}")


def grid_size(n, image_shape, *, columns=None, scale=None) -> tuple:
    """((rows, columns), scale, (width, height) in pixels) of the grid of `n` images of
    `image_shape` (H, W[, C]); `columns` defaults to min(n, 10), `scale` to the least integer
    that makes a tile's long side >= 64 pixels."""
    height, width = image_shape[:2]
    columns = min(n, GRID_COLUMNS) if columns is None else columns
    scale = max(1, math.ceil(MIN_TILE / max(height, width))) if scale is None else scale
    rows = math.ceil(n / columns)
    return ((rows, columns), scale,
            (columns * (width * scale + PAD) + PAD, rows * (height * scale + PAD) + PAD))


def tile(images, *, columns=None, scale=None) -> np.ndarray:
    """`images` (N, H, W[, C]) in [0, 1] as one uint8 grid (rows, cols[, C]), as `grid_size`."""
    images = np.clip(np.nan_to_num(np.asarray(images, dtype=np.float32)), 0.0, 1.0)
    if images.ndim == 3:
        images = images[..., None]
    n, height, width, channels = images.shape
    (rows, columns), scale, (grid_w, grid_h) = grid_size(n, (height, width), columns=columns,
                                                         scale=scale)
    pixels = np.round(images * 255.0).astype(np.uint8)
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    grid = np.full((grid_h, grid_w, channels), PAD_VALUE, dtype=np.uint8)
    tile_h, tile_w = height * scale, width * scale
    for i, image in enumerate(pixels):
        r, c = divmod(i, columns)
        top, left = PAD + r * (tile_h + PAD), PAD + c * (tile_w + PAD)
        grid[top:top + tile_h, left:left + tile_w] = image
    return grid[..., 0] if channels == 1 else grid


def write_png(grid, path) -> Path:
    """Write a uint8 grid as PNG atomically (temp file in the same folder, fsync, rename)."""
    from PIL import Image

    from zoo.export.saving import atomic_replace

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}-", suffix=".png", dir=p.parent)
    os.close(fd)
    try:
        Image.fromarray(grid).save(tmp, format="PNG")
        atomic_replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def _positive_int(name, value, low=1, high=None):
    if (not isinstance(value, int) or isinstance(value, bool) or value < low
            or (high is not None and value > high)):
        allowed = f"an int in {low}..{high}" if high is not None else f"an int >= {low}"
        raise ValueError(f"zoo sample: {name} must be {allowed}, got {value!r}")


def _task(name):
    from zoo import registry

    try:
        return f", a {registry.get(name).task} model"
    except KeyError:  # a model zoo did not build
        return ""


def _generative_names():
    from zoo import registry

    return [n for n in registry.list_models() if registry.get(n).task == "generative"]


def sample(run, n: int = 40, *, out=None, seed: int = 0, columns=None, scale=None,
           label=None, batch_size: int = 256) -> Samples:
    """`n` images drawn by the VAE or GAN of `run` (a run folder or a `.keras` file) from
    prior noise seeded by `seed`; with `out`, also the grid PNG there (see the module).
    `label` (a class name or index) makes a conditional GAN draw only that class.
    Example: `zoo.sample("runs/vae", 20, out="grid.png", seed=1)`."""
    _positive_int("n", n, 1, MAX_SAMPLES)
    _positive_int("seed", seed, 0)
    _positive_int("batch_size", batch_size)
    if columns is not None:
        _positive_int("columns", columns)
    if scale is not None:
        _positive_int("scale", scale, 1, 64)
    if out is not None and Path(out).suffix.lower() != ".png":
        raise ValueError(f"zoo sample: out must be a .png file, got {str(out)!r}")
    from zoo.models.generative_models import GAN, VAE

    opened = open_run(run)  # safe mode
    model = opened.model
    if not isinstance(model, (VAE, GAN)):
        raise ValueError(
            f"zoo sample: {str(opened.path)!r} holds {model.name!r}{_task(model.name)}, which "
            f"has no prior to draw images from; zoo sample needs a VAE or GAN run "
            f"({', '.join(_generative_names())})")
    conditional = isinstance(model, GAN) and model.conditional
    names = None
    if conditional:
        recorded = recorded_input(opened.path) if opened.path.is_dir() else {}
        names = recorded.get("class_names")
        if not names or len(names) != model.num_labels:
            names = [str(i) for i in range(model.num_labels)]
    labels = _labels(label, n, names, opened.path)
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype("float32")
    if isinstance(model, VAE):
        images = model.decoder.predict(z, batch_size=batch_size, verbose=0)
    else:
        inputs = [z, labels.reshape(n, 1)] if conditional else z
        images = model.generator.predict(inputs, batch_size=batch_size, verbose=0)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"zoo sample: {model.name!r} draws arrays of shape {images.shape[1:]}; "
                         "a grid needs images (H, W), (H, W, 1) or (H, W, 3)")
    images = np.clip(images, 0.0, 1.0)  # sigmoid outputs: a no-op but for round-off
    grid, scale_used, _ = grid_size(n, images.shape[1:], columns=columns, scale=scale)
    result = Samples(images, [names[i] for i in labels] if conditional else None, grid,
                     scale_used, seed, model.name)
    if out is not None:
        result.path = write_png(tile(images, columns=grid[1], scale=scale_used), out)
    return result


def _labels(label, n, names, path):
    """Class indices per image for a conditional GAN (`names` given): `label`'s (a name or an
    index) or 0, 1, 2, ... cycling; None for other models, which take no label."""
    if names is None:
        if label is not None:
            raise ValueError(f"zoo sample: label={label!r} needs a class-conditional GAN "
                             f"(conditional_dcgan, conditional_wgan_gp); {str(path)!r} draws "
                             "no classes")
        return None
    if label is None:
        return np.arange(n, dtype="int32") % len(names)
    if str(label) in names:
        index = names.index(str(label))
    elif isinstance(label, int) or str(label).isdigit():
        index = int(label)
        if not 0 <= index < len(names):
            raise ValueError(f"zoo sample: label index must be in 0..{len(names) - 1}, "
                             f"got {label!r}")
    else:
        raise ValueError(f"zoo sample: unknown label {label!r}; the run's classes are {names}")
    return np.full(n, index, dtype="int32")
