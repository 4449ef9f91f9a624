"""Backbones that zoo pretrained itself and ships under `saved_models/`, checked by sha256.

Each entry names the zoo builder and arguments of the backbone (no head), the weights file,
and how it was made; `recipes/pretrain_shapes_backbone.py` reproduces the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

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
            f"`python recipes/pretrain_shapes_backbone.py`")
    expected = read_manifest(folder).get(file_name)
    if expected is None:
        raise ValueError(f"zoo: {file_name!r} has no line in {Path(folder) / MANIFEST}; "
                         "refusing to load an unlisted file")
    actual = sha256(path)
    if actual != expected:
        raise ValueError(f"zoo: sha256 of {str(path)!r} is {actual}, but {MANIFEST} lists "
                         f"{expected}; the file is corrupt or was replaced")
    return path


def build_core(name: str):
    """The zoo-pretrained backbone `name` without preprocessing, weights loaded and verified."""
    import zoo

    entry = ZOO_PRETRAINED[name]
    model = zoo.build(entry["builder"], **entry["kwargs"], name=name)
    model.load_weights(verified_path(entry["weights"]))
    return model
