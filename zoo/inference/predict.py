"""`zoo predict RUN INPUT...`: the top-k classes of image files and folders (recursively), by
the run's class names. Images are decoded and resized as zoo's folder loader does (TensorFlow's
`decode_image` + bilinear `resize`; this module needs TensorFlow) and scaled to the range the
run was trained on. An unreadable file is named and skipped, never the whole run lost.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np

from zoo.inference.runs import open_run


@dataclasses.dataclass
class Predictions:
    files: list            # the inputs predicted, in order
    top: list              # per file: [(class name, probability), ...] best first
    skipped: list          # [(file, reason), ...]

    def lines(self):
        for file, top in zip(self.files, self.top):
            yield f"{file}  " + "  ".join(f"{name} {p:.3f}" for name, p in top)

    def csv(self) -> str:
        import csv

        k = max((len(t) for t in self.top), default=0)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["input"] + [f"{part}_{i + 1}" for i in range(k)
                                     for part in ("label", "probability")])
        for file, top in zip(self.files, self.top):
            writer.writerow([file] + [v for name, p in top for v in (name, f"{p:.6f}")])
        return out.getvalue()


def image_inputs(inputs) -> list[str]:
    """Files named, and image files under folders named (recursively, sorted)."""
    from zoo.data.folders import IMAGE_EXTENSIONS, list_images

    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = list_images(path)
            if not found:
                raise ValueError(f"zoo predict: folder {str(path)!r} holds no images "
                                 f"({', '.join(IMAGE_EXTENSIONS)})")
            files += found
        elif path.is_file():
            files.append(str(path))
        else:
            raise FileNotFoundError(f"zoo predict: no file or folder at {str(path)!r}")
    return files


def predict(run, inputs, *, top_k: int = 5, batch_size: int = 32) -> Predictions:
    """Top-`top_k` classes of every image in `inputs` (files and folders) for `run` (a run
    folder or a `.keras` file). Example: `zoo.predict("runs/ft", ["photos/"], top_k=3)`."""
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"zoo predict: top_k must be an int >= 1, got {top_k!r}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"zoo predict: batch_size must be an int >= 1, got {batch_size!r}")
    run = open_run(run)
    if len(run.input_shape) != 3:
        raise ValueError(f"zoo predict: {str(run.path)!r} takes inputs of shape "
                         f"{run.input_shape}, not images; image models only for now")
    files = image_inputs(inputs)
    images, kept, skipped = decode(files, run)
    top_k = min(top_k, len(run.class_names))
    tops = []
    if kept:
        probabilities = run.model.predict(np.stack(images), batch_size=batch_size, verbose=0)
        for row in probabilities:
            order = np.argsort(row)[::-1][:top_k]
            tops.append([(run.class_names[i], float(row[i])) for i in order])
    return Predictions(kept, tops, skipped)


def decode(files, run):
    """(images scaled to the run's range, files kept, [(file, reason)] skipped): each file
    decoded exactly as the folder loader decoded the run's training images."""
    import tensorflow as tf

    from zoo.data.pipeline import decode_image_file

    height, width, channels = run.input_shape
    low, high = run.value_range
    images, kept, skipped = [], [], []
    for file in files:
        try:
            image = decode_image_file(file, image_size=(height, width), channels=channels)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
            skipped.append((file, type(err).__name__))
            continue
        images.append(low + image.numpy() * ((high - low) / 255.0))
        kept.append(file)
    return images, kept, skipped
