"""Users' own images, one sub-folder per class, as zoo `Splits`.

Listing and splitting the files is plain Python; decoding goes through TensorFlow
(`pipeline.image_files_dataset`), imported only when a folder is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zoo import validation as check
from zoo.data.splits import Splits, split_indices

# The formats tf.io.decode_image reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def image_folder(
    path: str | os.PathLike, *, image_size: int | tuple[int, int] = (160, 160),
    channels: int = 3, rescale: bool = False, validation_split: float = 0.15,
    test_split: float = 0.15, seed: int = 0, as_numpy: bool = False, batch_size: int = 32,
    skip_corrupt: bool = False,
) -> Splits:
    """Images under `path/<class name>/...` (sub-folders searched too), split by file.

    Pixels stay float32 in [0, 255] by default, the input the keras backbones (MobileNet,
    EfficientNet, ...) expect as they rescale inside; `rescale=True` gives [0, 1] for models
    trained from scratch. Every image is resized (bilinear) to `image_size`. The split is
    stratified by class and fixed by `seed`; `info["files"]` lists each split's files.

    Every file is decoded once up front: an unreadable or corrupt image raises a ValueError that
    names it (not a TensorFlow error half-way through an epoch), or, with `skip_corrupt=True`, is
    left out with a warning that counts them (`info["skipped"]` lists them).

    Example:
        >>> # photos/cat/*.jpg, photos/dog/*.jpg
        >>> splits = image_folder("photos/", image_size=224)  # doctest: +SKIP
        >>> splits.info["class_names"]  # doctest: +SKIP
        ['cat', 'dog']
    """
    owner = "image_folder"
    check.at_least(owner, "seed", seed, 0)
    check.split_fractions(owner, validation_split, test_split)
    check.at_least(owner, "batch_size", batch_size, 1)
    height, width = check.image_size(owner, image_size, min_value=1)
    check.choice(owner, "channels", channels, (1, 3))
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{owner}: no directory at {os.fspath(path)!r}")
    class_dirs = sorted(
        entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")
    )
    if len(class_dirs) < 2:
        raise ValueError(
            f"{owner}: {os.fspath(path)!r} needs one sub-folder per class and at least two "
            f"classes, found {[entry.name for entry in class_dirs]}"
        )
    files, labels = [], []
    for label, class_dir in enumerate(class_dirs):
        images = list_images(class_dir)
        if not images:
            raise ValueError(
                f"{owner}: class folder {os.fspath(class_dir)!r} holds no images "
                f"({', '.join(IMAGE_EXTENSIONS)})"
            )
        files.extend(images)
        labels.extend([label] * len(images))
    files, labels, skipped = _drop_corrupt(files, labels, skip_corrupt=skip_corrupt, owner=owner)
    labels = np.array(labels, dtype=np.int32)
    parts = split_indices(
        labels, validation_split=validation_split, test_split=test_split, seed=seed
    )

    from zoo.data.pipeline import image_files_dataset

    datasets = [
        image_files_dataset(
            [files[index] for index in part], labels[part], image_size=(height, width),
            channels=channels, rescale=rescale, batch_size=batch_size,
            shuffle=split_number == 0, seed=seed,
        )
        for split_number, part in enumerate(parts)
    ]
    info = {
        "name": "image_folder",
        "task": "classification",
        "num_classes": len(class_dirs),
        "input_shape": (height, width, channels),
        "class_names": [entry.name for entry in class_dirs],
        "value_range": (0.0, 1.0) if rescale else (0.0, 255.0),
        "path": os.fspath(root),
        "skipped": skipped,
        "files": {
            split_name: [files[index] for index in part]
            for split_name, part in zip(("train", "validation", "test"), parts)
        },
    }
    splits = Splits(*datasets, info=info)
    return splits.as_numpy() if as_numpy else splits


def list_images(folder: Path) -> list[str]:
    """Image files under `folder`, recursively, in a fixed (sorted) order; hidden ones skipped."""
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(
            os.path.join(directory, name) for name in names
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
        )
    return sorted(found)


def _drop_corrupt(files, labels, *, skip_corrupt: bool, owner: str):
    """(files, labels, skipped): decode each file once; corrupt ones raise or are dropped."""
    import warnings

    import tensorflow as tf

    kept_files, kept_labels, skipped = [], [], []
    for file, label in zip(files, labels):
        try:
            tf.io.decode_image(tf.io.read_file(file), expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
            if not skip_corrupt:
                raise ValueError(
                    f"{owner}: cannot decode image {file!r} ({type(err).__name__}); remove it "
                    "or pass skip_corrupt=True to leave corrupt images out") from None
            skipped.append(file)
            continue
        kept_files.append(file)
        kept_labels.append(label)
    if skipped:
        warnings.warn(f"{owner}: skipped {len(skipped)} corrupt image(s) of "
                      f"{len(files)}, e.g. {skipped[0]!r}", stacklevel=3)
    return kept_files, kept_labels, skipped
