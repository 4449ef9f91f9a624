"""Datasets for zoo: offline ones in pure NumPy, image folders and TFDS through TensorFlow.

Every loader returns `Splits` (train, validation, test, info). `digits`, `shapes`,
`sequences` and `text` need nothing but NumPy (and scikit-learn for digits) with
`as_numpy=True`, so they work under KERAS_BACKEND=jax without TensorFlow; `tfds`,
`image_folder` and `to_tf` (tf.data) import TensorFlow when called, never at import.

Example:
    >>> from zoo import data
    >>> splits = data.load("shapes", n=400, as_numpy=True)
    >>> x_train, y_train = splits.train
"""

from zoo.data.catalog import list_datasets, load
from zoo.data.corpus import Vocabulary, text
from zoo.data.folders import image_folder
from zoo.data.images import digits, shapes
from zoo.data.sequence_tasks import sequences
from zoo.data.splits import Splits, to_tf
from zoo.data.tfds_loader import tfds

__all__ = [
    "Splits",
    "Vocabulary",
    "digits",
    "image_folder",
    "list_datasets",
    "load",
    "sequences",
    "shapes",
    "text",
    "tfds",
    "to_tf",
]
