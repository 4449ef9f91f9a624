"""TensorFlow-only: image classification datasets from the tensorflow-datasets catalogue.

Nothing is downloaded unless the caller passes `download=True`: a dataset that is not prepared
in `data_dir` fails at once with the steps to provide it. TensorFlow and tensorflow-datasets are
imported inside `tfds`, so `import zoo.data` stays NumPy-only.
"""

from __future__ import annotations

import difflib
import os
from typing import Sequence

from zoo import validation as check
from zoo.data.splits import Splits

DEFAULT_SPLIT = ("train[:85%]", "train[85%:]", "test")
# Large enough to mix neighbouring records well, small enough for big images in memory.
SHUFFLE_BUFFER = 10_000


def tfds(
    name: str, *, data_dir: str | os.PathLike | None = None,
    split: Sequence[str] = DEFAULT_SPLIT, image_size: int | tuple[int, int] | None = None,
    rescale: bool = True, download: bool = False, seed: int = 0, as_numpy: bool = False,
    batch_size: int = 32,
) -> Splits:
    """An image classification dataset prepared by tensorflow-datasets, as zoo `Splits`.

    `split` names the train, validation and test splits in TFDS syntax (default: 85%/15% of
    "train", and "test"). Images are float32, resized (bilinear) to `image_size` when given,
    and in [0, 1] (`rescale=True`: these catalogue sets are mostly trained from scratch) or
    [0, 255] (`rescale=False`, for keras backbones that preprocess themselves); labels int32.
    `data_dir` defaults to TFDS's own (`$TFDS_DATA_DIR` or ~/tensorflow_datasets); prepare it
    with `tfds build mnist --data_dir=DIR` where there is network.

    Example:
        >>> splits = tfds("mnist", data_dir="/data/tfds")  # doctest: +SKIP
        >>> splits.info["input_shape"], splits.info["num_classes"]  # doctest: +SKIP
        ((28, 28, 1), 10)
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds_lib

    owner = "tfds"
    check.at_least(owner, "seed", seed, 0)
    check.at_least(owner, "batch_size", batch_size, 1)
    if isinstance(split, str) or len(split) != 3 or not all(isinstance(s, str) for s in split):
        raise ValueError(
            f"{owner}: split must be three TFDS split names (train, validation, test), e.g. "
            f"{DEFAULT_SPLIT}, got {split!r}"
        )
    size = None if image_size is None else check.image_size(owner, image_size, min_value=1)
    builder = _builder(tfds_lib, name, data_dir)
    if download:
        builder.download_and_prepare()

    features = builder.info.features
    if builder.info.supervised_keys is None:
        raise ValueError(f"{owner}: {name!r} has no (input, label) supervised keys")
    input_key, label_key = builder.info.supervised_keys
    image_feature, label_feature = features[input_key], features[label_key]
    if not isinstance(image_feature, tfds_lib.features.Image):
        raise ValueError(
            f"{owner}: zoo loads image classification datasets; the input {input_key!r} of "
            f"{name!r} is {type(image_feature).__name__}, not Image"
        )
    if not isinstance(label_feature, tfds_lib.features.ClassLabel):
        raise ValueError(
            f"{owner}: the label {label_key!r} of {name!r} is {type(label_feature).__name__}, "
            "not ClassLabel"
        )
    height, width, channels = image_feature.shape
    if size is None and (height is None or width is None):
        raise ValueError(
            f"{owner}: images of {name!r} vary in size; pass image_size=(height, width) to "
            "batch them"
        )
    height, width = size or (height, width)

    def prepare(image, label):
        image = tf.cast(image, tf.float32)
        if size is not None:
            image = tf.image.resize(image, size)
        if rescale:
            image = image / 255.0
        return image, tf.cast(label, tf.int32)

    read_config = tfds_lib.ReadConfig(shuffle_seed=seed)
    datasets = []
    for index, split_name in enumerate(split):
        is_train = index == 0
        try:
            dataset = builder.as_dataset(
                split=split_name, as_supervised=True, shuffle_files=is_train,
                read_config=read_config,
            )
        except AssertionError as error:  # how tensorflow-datasets reports "not prepared"
            raise FileNotFoundError(_not_prepared_message(name, data_dir, builder)) from error
        if is_train:
            dataset = dataset.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
        datasets.append(dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE))

    info = {
        "name": f"tfds:{name}",
        "task": "classification",
        "num_classes": label_feature.num_classes,
        "input_shape": (height, width, channels),
        "class_names": list(label_feature.names),
        "value_range": (0.0, 1.0) if rescale else (0.0, 255.0),
        "splits": list(split),
        "data_dir": os.fspath(data_dir) if data_dir is not None else None,
    }
    splits = Splits(*datasets, info=info)
    return splits.as_numpy() if as_numpy else splits


def _builder(tfds_lib, name: str, data_dir):
    if not isinstance(name, str) or not name:
        raise ValueError(f"tfds: name must be a TFDS dataset name such as 'mnist', got {name!r}")
    base_name = name.split("/")[0].split(":")[0]
    # Community datasets ("huggingface:...") are not in the offline list.
    if ":" not in name.split("/")[0]:
        known = tfds_lib.list_builders(with_community_datasets=False)
        if base_name not in known:
            close = difflib.get_close_matches(base_name, known, n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise ValueError(
                f"tfds: unknown dataset {name!r}.{hint} See tensorflow_datasets.list_builders() "
                f"for all {len(known)}."
            )
    try:
        return tfds_lib.builder(name, data_dir=data_dir)
    except ValueError as error:  # DatasetNotFoundError, e.g. an unknown config or version
        raise ValueError(f"tfds: cannot build {name!r}: {str(error).splitlines()[0]}") from error


def _not_prepared_message(name, data_dir, builder) -> str:
    searched = os.fspath(data_dir) if data_dir is not None else "the default TFDS data_dir"
    return (
        f"tfds: dataset {name!r} is not prepared in {searched} (looked for {builder.data_dir}); "
        "zoo never downloads implicitly. To provide it, on a machine with network run "
        f"`tfds build {name} --data_dir=DIR` (or tensorflow_datasets.builder({name!r}, "
        "data_dir=DIR).download_and_prepare()), copy DIR here and pass data_dir=DIR (or set "
        "TFDS_DATA_DIR=DIR); or pass download=True to download and prepare it now."
    )
