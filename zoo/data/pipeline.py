"""TensorFlow-only: the tf.data pipeline that reads image files (`image_folder`).

TensorFlow is imported inside the function, not at module level, so that `import zoo.data`
stays NumPy-only: on GPU machines zoo runs under KERAS_BACKEND=jax without TensorFlow.
"""

from __future__ import annotations

from typing import Sequence


def decode_image_file(path, *, image_size: tuple[int, int], channels: int):
    """One image file as float32 (H, W, C) in [0, 255], resized bilinearly to `image_size`:
    what `image_files_dataset` feeds training, for anything that must see the same pixels."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    image = tf.image.resize(image, image_size)  # bilinear; returns float32
    image.set_shape((*image_size, channels))
    return image


def image_files_dataset(
    paths: Sequence[str], labels: Sequence[int], *, image_size: tuple[int, int], channels: int,
    rescale: bool, batch_size: int, shuffle: bool, seed: int,
):
    """Batched `(image, label)` tf.data from image files: float32, resized, [0, 255] or [0, 1]."""
    import tensorflow as tf

    def load(path, label):
        image = decode_image_file(path, image_size=image_size, channels=channels)
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
