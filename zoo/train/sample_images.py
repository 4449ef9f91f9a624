"""Sample images of generative models and autoencoders: PNG grids written during `zoo train`.

`GenerativeImages(out, images)` is a Keras callback: for a model with `sample` and a
`generator` (a GAN) it writes `samples_epoch_NNN.png` after each epoch from the same noise; at
the end of training it writes `reconstructions.png` (inputs above their reconstructions) for an
autoencoder or VAE, `prior_samples.png` for a VAE, and `latent_walk.png` (straight lines in
latent space between codes of held-out images, or between noise vectors for a GAN; a
conditional GAN draws walk i as class i modulo its number of classes). `zoo.train.run` adds it
for the tasks of `IMAGE_TASKS`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.train.plots import save_figure

GRID_COLUMNS = 10
IMAGE_TASKS = ("autoencoder", "generative")  # the tasks whose models draw or rebuild images


def _as_images(images):
    images = np.clip(np.asarray(images, dtype="float32"), 0.0, 1.0)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return images


def image_grid(images, path, *, columns=GRID_COLUMNS, title="", row_titles=None) -> Path:
    """Save `images` (N, H, W[, C]) in [0, 1] as a PNG grid of `columns` per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = _as_images(images)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.4),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None, vmin=0, vmax=1)
    for r, text in enumerate(row_titles or []):
        axes[r, 0].set_title(text, fontsize=7, loc="left")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=80)


def latent_walk(codes_from, codes_to, steps=GRID_COLUMNS):
    """(len(codes_from) * steps, dim): `steps` evenly spaced points from each start to its end."""
    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    path = (1.0 - t) * codes_from[:, None, :] + t * codes_to[:, None, :]
    return path.reshape(-1, codes_from.shape[-1]).astype("float32")


def _callback_base():
    import keras

    return keras.callbacks.Callback


class GenerativeImages(_callback_base()):
    """Writes the PNG grids described in this module's docstring into `out`."""

    def __init__(self, out, images, *, n=GRID_COLUMNS * 4, seed=0):
        super().__init__()
        self.out, self.images, self.n, self.seed = Path(out), np.asarray(images), n, seed

    def on_epoch_end(self, epoch, logs=None):
        if hasattr(self.model, "generator"):
            image_grid(self.model.sample(self.n, seed=self.seed),
                       self.out / f"samples_epoch_{epoch + 1:03d}.png",
                       title=f"{self.model.name}: samples after epoch {epoch + 1}")

    def on_train_end(self, logs=None):
        model, name = self.model, self.model.name
        rng = np.random.default_rng(self.seed)
        if hasattr(model, "encoder"):
            x = self.images[:GRID_COLUMNS * 2]
            rows = []
            for start in range(0, len(x), GRID_COLUMNS):
                rows += [x[start:start + GRID_COLUMNS],
                         model.predict(x[start:start + GRID_COLUMNS], verbose=0)]
            image_grid(np.concatenate(rows), self.out / "reconstructions.png",
                       title=f"{name}: inputs (rows 1, 3) and reconstructions (rows 2, 4)")
            pairs = rng.choice(len(self.images), size=(4, 2), replace=False)
            codes = model.encode(self.images[pairs.ravel()])
            walk = latent_walk(codes[0::2], codes[1::2])
            image_grid(model.decode(walk), self.out / "latent_walk.png",
                       title=f"{name}: straight lines between the codes of two test images")
        if hasattr(model, "sample") and hasattr(model, "encoder"):
            image_grid(model.sample(self.n, seed=self.seed), self.out / "prior_samples.png",
                       title=f"{name}: decoded draws from the prior N(0, I)")
        if hasattr(model, "generator"):
            walks = 4
            ends = rng.normal(size=(2 * walks, model.latent_dim)).astype("float32")
            walk = latent_walk(ends[0::2], ends[1::2])
            inputs = walk
            if model.conditional:
                labels = np.repeat(np.arange(walks) % model.num_labels, GRID_COLUMNS)
                inputs = [walk, labels.reshape(-1, 1).astype("int32")]
            image_grid(model.generator.predict(inputs, verbose=0),
                       self.out / "latent_walk.png",
                       title=f"{name}: straight lines between two noise vectors")


def held_out_images(splits):
    """The images `GenerativeImages` reconstructs and walks between: the test split's, or the
    validation split's when the test split is a tf.data dataset."""
    test = splits.test if isinstance(splits.test, tuple) else splits.validation
    return test[0]
