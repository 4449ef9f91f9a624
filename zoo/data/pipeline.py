"""TensorFlow-only: NumPy splits to batched tf.data pipelines and back, and image-file pipelines.

TensorFlow is imported inside each function, not at module level, so that `import zoo.data`
stays NumPy-only: on GPU machines zoo runs under KERAS_BACKEND=jax without TensorFlow.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from zoo.data.splits import SPLIT_NAMES, Splits, check_int


def to_tf(
    splits: Splits, batch_size: int = 32, *, shuffle: bool = True, seed: int = 0,
    drop_remainder: bool = False,
) -> Splits:
    """Batched, prefetched `tf.data.Dataset` splits of `(x, y)`.

    The training split is shuffled with `seed` (a new order each epoch, the same sequence of
    orders for the same seed); validation and test keep their order so evaluations line up.
    Splits that are already tf.data are only re-batched to `batch_size`.
    """
    import tensorflow as tf

    check_int("batch_size", batch_size, minimum=1, owner="to_tf")
    converted = {}
    for split_name in SPLIT_NAMES:
        split = getattr(splits, split_name)
        if isinstance(split, tf.data.Dataset):
            converted[split_name] = split.rebatch(batch_size, drop_remainder=drop_remainder)
            continue
        x, y = split
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle and split_name == "train":
            # A buffer as large as the split gives a uniform shuffle; the arrays are in memory.
            dataset = dataset.shuffle(max(len(y), 1), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        converted[split_name] = dataset.prefetch(tf.data.AUTOTUNE)
    return Splits(**converted, info=dict(splits.info))


def to_numpy(splits: Splits) -> Splits:
    """`(x, y)` arrays for every split; tf.data splits (batched) are read to the end once."""
    import tensorflow as tf

    converted = {}
    for split_name in SPLIT_NAMES:
        split = getattr(splits, split_name)
        if isinstance(split, tf.data.Dataset):
            split = _dataset_to_arrays(split)
        converted[split_name] = split
    return Splits(**converted, info=dict(splits.info))


def _dataset_to_arrays(dataset) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for x, y in dataset.as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if xs:
        return np.concatenate(xs), np.concatenate(ys)
    x_spec, y_spec = dataset.element_spec
    return (
        np.zeros((0, *x_spec.shape[1:]), x_spec.dtype.as_numpy_dtype),
        np.zeros((0, *y_spec.shape[1:]), y_spec.dtype.as_numpy_dtype),
    )


def image_files_dataset(
    paths: Sequence[str], labels: Sequence[int], *, image_size: tuple[int, int], channels: int,
    rescale: bool, batch_size: int, shuffle: bool, seed: int,
):
    """Batched `(image, label)` tf.data from image files: float32, resized, [0, 255] or [0, 1]."""
    import tensorflow as tf

    def load(path, label):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        image = tf.image.resize(image, image_size)  # bilinear; returns float32
        image.set_shape((*image_size, channels))
        if rescale:
            image = image / 255.0
        return image, label

    dataset = tf.data.Dataset.from_tensor_slices(
        (tf.constant(list(paths), tf.string), tf.constant(list(labels), tf.int32))
    )
    if shuffle:
        # Shuffling file names before decoding keeps the buffer cheap.
        dataset = dataset.shuffle(max(len(paths), 1), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
