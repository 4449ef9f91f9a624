"""Where a backbone's weights come from, checked before anything loads them.

ImageNet: the exact file keras.applications downloads for a network, size and width, found in
the Keras cache (so offline users can place it); zoo never downloads unless asked.
zoo's own: backbones zoo pretrained itself and ships under `saved_models/`, checked by sha256.
Each `ZOO_PRETRAINED` entry names the zoo builder and arguments of the backbone (no head), the
weights file, and how it was made; `recipes/pretrain_shapes_backbone.py` reproduces the file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from zoo.models.backbone_specs import get_spec

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"

SAVED_MODELS = Path(__file__).resolve().parents[2] / "saved_models"
MANIFEST = "MANIFEST.sha256"

ZOO_PRETRAINED = {
    "zoo_mobilenet_shapes": {
        "builder": "separable_cnn",  # zoo's MobileNetV2-style inverted-residual network
        "kwargs": {
            "input_shape": (32, 32, 3), "num_classes": None,
            "stackwise_filters": (16, 24, 32, 64), "stackwise_blocks": (1, 2, 2, 2),
            "stackwise_strides": (1, 2, 2, 1), "stackwise_expansion": (1, 4, 4, 4),
            "se_ratio": 0.0, "stem_filters": 16, "head_filters": 128,
        },
        "weights": "zoo_mobilenet_shapes.weights.h5",
        "card": "zoo_mobilenet_shapes.md",
        "source_task": "textured_shapes (zoo.transfer.source_task): 7 shapes x 4 textures",
        "recipe": "recipes/pretrain_shapes_backbone.py",
    },
    "zoo_mobilenet_synthetic": {
        "builder": "separable_cnn",
        "kwargs": {
            "input_shape": (32, 32, 3), "num_classes": None,
            "stackwise_filters": (16, 24, 48, 96), "stackwise_blocks": (1, 2, 3, 2),
            "stackwise_strides": (1, 2, 2, 2), "stackwise_expansion": (1, 4, 4, 4),
            "se_ratio": 0.0, "stem_filters": 16, "head_filters": 256,
        },
        "weights": "zoo_mobilenet_synthetic.weights.h5",
        "card": "zoo_mobilenet_synthetic.md",
        "source_task": "glyphs_and_fractals (zoo.transfer.source_task): 52 letters rendered "
                       "from matplotlib's fonts + 48 IFS fractal categories",
        "recipe": "recipes/pretrain_synthetic_backbone.py",
    },
}


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder=SAVED_MODELS) -> dict[str, str]:
    """{file name: sha256} from `folder/MANIFEST.sha256` (the `sha256sum` format)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.strip().lstrip("*")] = digest
    return entries


def verified_path(file_name: str, folder=SAVED_MODELS) -> Path:
    """The path of a shipped file whose sha256 matches MANIFEST.sha256; else ValueError."""
    path = Path(folder) / file_name
    if not path.is_file():
        raise FileNotFoundError(
            f"zoo: shipped weights {str(path)!r} are missing; re-create them with "
            f"the recipe that made them (recipes/pretrain_*_backbone.py)")
    expected = read_manifest(folder).get(file_name)
    if expected is None:
        raise ValueError(f"zoo: {file_name!r} has no line in {Path(folder) / MANIFEST}; "
                         "refusing to load an unlisted file")
    actual = sha256(path)
    if actual != expected:
        raise ValueError(f"zoo: sha256 of {str(path)!r} is {actual}, but {MANIFEST} lists "
                         f"{expected}; the file is corrupt or was replaced")
    return path


def imagenet_file(name: str, *, size: int, alpha: float = 1.0, minimalistic: bool = False):
    """(file name, URL) of the no-top ImageNet weights keras.applications loads for `name`.

    Mirrors keras/src/applications/{mobilenet,mobilenet_v2,mobilenet_v3,efficientnet,
    efficientnet_v2,resnet}.py (keras 3.15).
    """
    spec = get_spec(name)
    if spec.application is None:
        raise ValueError(f"zoo.backbone: {name!r} has no ImageNet weights (it is zoo's own)")
    if name == "mobilenet_v1":
        rows = size if size in spec.weight_sizes else 224
        alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(float(alpha), "2_5")
        file = f"mobilenet_{alpha_text}_{rows}_tf_no_top.h5"
        return file, f"{KERAS_APPS}mobilenet/{file}"
    if name == "mobilenet_v2":
        rows = size if size in spec.weight_sizes else 224
        file = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"
        return file, f"{KERAS_APPS}mobilenet_v2/{file}"
    if name.startswith("mobilenet_v3"):
        kind = "small" if name.endswith("small") else "large"
        model = f"{kind}{'_minimalistic' if minimalistic else ''}_224_{float(alpha)}_float"
        file = f"weights_mobilenet_v3_{model}_no_top_v2.h5"
        return file, f"{KERAS_APPS}mobilenet_v3/{file}"
    if name == "efficientnet_b0":
        return "efficientnetb0_notop.h5", "https://storage.googleapis.com/keras-applications/" \
                                          "efficientnetb0_notop.h5"
    if name == "efficientnet_v2_b0":
        file = "efficientnetv2-b0_notop.h5"
        return file, f"{KERAS_APPS}efficientnet_v2/{file}"
    file = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return file, f"{KERAS_APPS}resnet/{file}"


def keras_cache_dir() -> Path:
    """Where keras.utils.get_file caches application weights: $KERAS_HOME/models, else
    ~/.keras/models (keras falls back to /tmp/.keras when the home one is not writable)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if not os.access(home, os.W_OK) and not os.path.isdir(os.path.join(home, "models")):
        home = os.path.join("/tmp", ".keras")
    return Path(home) / "models"


class WeightsNotFoundError(FileNotFoundError):
    """ImageNet weights are not in the Keras cache and downloading was not allowed."""


def find_imagenet_weights(name: str, *, size: int, alpha: float = 1.0,
                          minimalistic: bool = False, allow_download: bool | None = None):
    """The cached weights file, or None when a download is allowed; else WeightsNotFoundError.

    Never touches the network itself: `allow_download` (default: env ZOO_ALLOW_DOWNLOAD=1)
    lets keras.applications fetch the file; otherwise a missing file fails at once.
    """
    file, url = imagenet_file(name, size=size, alpha=alpha, minimalistic=minimalistic)
    cache = keras_cache_dir()
    if (cache / file).is_file():
        return cache / file
    if allow_download is None:
        allow_download = os.environ.get("ZOO_ALLOW_DOWNLOAD", "") == "1"
    if allow_download:
        return None
    raise WeightsNotFoundError(
        f"zoo.backbone({name!r}, weights='imagenet'): the ImageNet weights file {file!r} is not "
        f"in the Keras cache {str(cache)!r}, and zoo does not download unless asked. Either "
        f"download {url} and put it at {str(cache / file)!r}, or pass allow_download=True "
        "(or set ZOO_ALLOW_DOWNLOAD=1) where a network is available, or use weights=None / "
        "a zoo-pretrained backbone such as 'zoo_mobilenet_shapes'.")


class WeightsFileNotFound(FileNotFoundError, ValueError):
    """`weights=` names no shipped backbone and no existing file (also a bad-argument error)."""


def weights_path(weights) -> Path:
    """The file `weights=` names: a shipped zoo backbone's (sha256-checked) or a `.weights.h5`
    path (weights only, no code); else WeightsFileNotFound or ValueError."""
    if isinstance(weights, str) and weights in ZOO_PRETRAINED:
        return verified_path(ZOO_PRETRAINED[weights]["weights"])
    path = Path(weights)
    if not path.is_file():
        raise WeightsFileNotFound(f"zoo.backbone: weights must be 'imagenet', None, a zoo "
                                  f"backbone name or a weights file; no file at {str(path)!r}")
    if not str(path).endswith(".weights.h5"):
        raise ValueError(f"zoo.backbone: a weights file must end in .weights.h5 (weights only, "
                         f"no code), got {str(path)!r}")
    return path
