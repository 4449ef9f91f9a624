"""Where a backbone's weights come from, checked before anything loads them.

ImageNet: the exact file keras.applications downloads for a network, size and width, found in
the Keras cache (so offline users can place it); zoo never downloads unless asked, and loads a
cached file itself (`load_weights_file`), so Keras never re-fetches it.
A weights file of the user's: `.weights.h5` (Keras 3) or `.h5` in the legacy Keras layout that
keras.applications ships; weights only, checked against the network before it loads.
zoo's own: backbones zoo pretrained itself and ships under `saved_models/`, checked by sha256.
Each `ZOO_PRETRAINED` entry names the zoo builder and arguments of the backbone (no head), the
weights file, how it was made and the recipe that reproduces it (`ship` writes the file).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from zoo.models.backbone_specs import get_spec

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"

SAVED_MODELS = Path(__file__).resolve().parents[2] / "saved_models"
MANIFEST = "MANIFEST.sha256"

# the network of zoo_mobilenet_synthetic (and of the corpus experiment zoo_mobilenet_glyphs)
SYNTHETIC_NETWORK = {
    "input_shape": (32, 32, 3), "num_classes": None,
    "stackwise_filters": (16, 24, 48, 96), "stackwise_blocks": (1, 2, 3, 2),
    "stackwise_strides": (1, 2, 2, 2), "stackwise_expansion": (1, 4, 4, 4),
    "se_ratio": 0.0, "stem_filters": 16, "head_filters": 256,
}

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
        "kwargs": SYNTHETIC_NETWORK,
        "weights": "zoo_mobilenet_synthetic.weights.h5",
        "card": "zoo_mobilenet_synthetic.md",
        "source_task": "glyphs_and_fractals (zoo.transfer.source_task): 52 letters rendered "
                       "from matplotlib's fonts + 48 IFS fractal categories",
        "recipe": "recipes/pretrain_synthetic_backbone.py",
    },
    # zoo_mobilenet_synthetic's network on a wider corpus: pretrained and measured, NOT shipped
    # (no weights under saved_models/, no zoo.backbone name): the digits probe gained 3.6 points
    # at 6/class, fine-tuning kept 0.8 and lost shapes 8 (benchmarks/results/transfer_defaults.md)
    "zoo_mobilenet_glyphs": {
        "builder": "separable_cnn",
        "kwargs": SYNTHETIC_NETWORK,
        "weights": "zoo_mobilenet_glyphs.weights.h5",
        "card": "zoo_mobilenet_glyphs.md",
        "source_task": "glyphs_and_fractals (zoo.transfer.source_task): 112 glyphs (Latin, "
                       "Greek, Cyrillic, symbols; no digits) rendered from matplotlib's fonts, "
                       "half of them elastically distorted, + 48 IFS fractal categories",
        "corpus": {"characters": "wide", "elastic": 0.5},
        "recipe": "recipes/pretrain_synthetic_backbone.py --name zoo_mobilenet_glyphs",
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


def ship(backbone, name: str, record: dict, folder=SAVED_MODELS) -> dict:
    """Write a pretrained `backbone`'s weights as `ZOO_PRETRAINED[name]["weights"]` under
    `folder` (atomically: an interrupted write leaves the shipped file whole), put its sha256 in
    MANIFEST.sha256 and `record` + file facts in NAME.pretrain.json; returns the record."""
    import json

    entry = ZOO_PRETRAINED[name]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / entry["weights"]
    partial = weights.with_name(weights.name + ".partial.weights.h5")
    backbone.save_weights(partial)
    os.replace(partial, weights)
    digest = sha256(weights)
    manifest = read_manifest(folder)
    manifest[entry["weights"]] = digest
    (folder / MANIFEST).write_text("".join(f"{d}  {n}\n" for n, d in sorted(manifest.items())))
    record = {**record, "params": backbone.count_params(), "weights": entry["weights"],
              "sha256": digest, "bytes": weights.stat().st_size}
    (folder / f"{name}.pretrain.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


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


WEIGHTS_SUFFIXES = (".weights.h5", ".h5", ".hdf5")


def weights_path(weights) -> Path:
    """The file `weights=` names: a shipped zoo backbone's (sha256-checked) or a weights-only
    HDF5 path: `.weights.h5` (Keras 3) or `.h5` / `.hdf5` (the legacy layout keras.applications
    ships its ImageNet files in); else WeightsFileNotFound or ValueError. `load_weights_file`
    checks what the file holds."""
    if isinstance(weights, str) and weights in ZOO_PRETRAINED:
        return verified_path(ZOO_PRETRAINED[weights]["weights"])
    path = Path(weights)
    if not path.is_file():
        raise WeightsFileNotFound(f"zoo.backbone: weights must be 'imagenet', None, a zoo "
                                  f"backbone name or a weights file; no file at {str(path)!r}")
    if not path.name.lower().endswith(WEIGHTS_SUFFIXES):
        raise ValueError(f"zoo.backbone: a weights file must end in .weights.h5 (Keras 3) or .h5 "
                         f"(the legacy Keras layout keras.applications ships): weights only, no "
                         f"code; got {str(path)!r}")
    return path


def load_weights_file(model, path, *, owner: str, expected: str) -> None:
    """Load the weights-only HDF5 file `path` into `model`, or raise a ValueError that names the
    file, what is wrong with it and `expected` (what would fit, e.g. keras.applications' file).

    Two layouts, told apart by content (not by name): the legacy Keras one (a `layer_names`
    attribute; keras.applications' ImageNet files, Keras 2's `save_weights("x.h5")`), checked
    layer by layer against the network before anything is assigned, and Keras 3's
    `.weights.h5`. Full model files (architecture, possibly code) are refused, as are HDF5
    files with external or soft links (they can read other files).
    """
    import h5py

    from zoo.export.safety import check_h5

    path = Path(path)

    def fail(problem):
        return ValueError(f"{owner}: the weights file {str(path)!r} {problem}; expected {expected}")

    if not h5py.is_hdf5(path):
        raise fail("is not an HDF5 file (corrupt, truncated, or another format)")
    check_h5(path, source=str(path))  # UnsafeModelError (a ValueError) names the link
    try:
        with h5py.File(path, "r") as f:
            if "model_config" in f.attrs or "model_weights" in f:
                raise fail("is a full Keras model file (architecture and weights), not weights "
                           "only; write weights only with model.save_weights('NAME.weights.h5')")
            if "layer_names" in f.attrs:
                problem = _legacy_layout_problem(f, model)
                if problem:
                    raise fail(f"does not match the network: {problem}")
                from keras.src.legacy.saving import legacy_h5_format  # what Model.load_weights uses

                try:
                    legacy_h5_format.load_weights_from_hdf5_group(f, model)
                except ValueError as err:
                    raise fail(f"does not match the network: {_first_line(err)}") from err
                return
            keras3 = "vars" in f or "layers" in f
    except ValueError:
        raise
    except (OSError, KeyError, TypeError, AttributeError) as err:  # a damaged file h5py opened
        raise fail(f"cannot be read as Keras weights ({type(err).__name__}: "
                   f"{_first_line(err)})") from err
    if not keras3:
        raise fail("holds no Keras weights (neither the legacy layout, with a 'layer_names' "
                   "attribute, nor the Keras 3 .weights.h5 layout)")
    if not path.name.lower().endswith(".weights.h5"):
        raise fail("is in the Keras 3 weights layout but not named NAME.weights.h5, the name "
                   "Keras reads that layout under; rename it")
    try:
        model.load_weights(path)
    except (ValueError, OSError, KeyError, TypeError) as err:
        raise fail(f"does not match the network: {_first_line(err)}") from err


def _first_line(err, limit=400) -> str:
    """The gist of a Keras/h5py error: its first line (and the next, when the first ends in a
    colon, as Keras' "could not be loaded. Example error message for ...:"), no tensor dumps."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[0] if lines else type(err).__name__
    if text.endswith(":") and len(lines) > 1:
        text = f"{text} {lines[1]}"
    text = text.split(", value=")[0]  # Keras appends the variable's values
    return text if len(text) <= limit else text[:limit] + "..."


def _legacy_layout_problem(f, model):
    """Why the legacy-layout weights in h5py file `f` do not fit `model` (None when they do).

    Mirrors keras' topological loading: the layers that have weights, in order, each with its
    trainable then non-trainable weights, against the file's layers that list weight names.
    """
    from keras.src.legacy.saving.legacy_h5_format import load_attributes_from_hdf5_group

    saved = []
    for name in load_attributes_from_hdf5_group(f, "layer_names"):
        if name not in f:
            return f"its layer list names {name!r}, which it does not hold"
        group = f[name]
        weight_names = load_attributes_from_hdf5_group(group, "weight_names")
        if weight_names:
            missing = [w for w in weight_names if w not in group]
            if missing:
                return f"its layer {name!r} lists weights {missing} that it does not hold"
            saved.append((name, weight_names, [tuple(group[w].shape) for w in weight_names]))
    layers = [layer for layer in model.layers
              if layer.trainable_weights + layer.non_trainable_weights]
    if len(saved) != len(layers):
        return (f"it holds weights for {len(saved)} layers, the network has {len(layers)} "
                f"layers with weights")
    for k, ((name, weight_names, shapes), layer) in enumerate(zip(saved, layers)):
        variables = layer.trainable_weights + layer.non_trainable_weights
        if len(shapes) != len(variables):
            return (f"layer #{k} ({layer.name!r}) has {len(variables)} weights, the file's "
                    f"layer {name!r} holds {len(shapes)}")
        for variable, weight_name, shape in zip(variables, weight_names, shapes):
            if tuple(variable.shape) != shape:
                return (f"layer #{k} ({layer.name!r}) weight {variable.path!r} has shape "
                        f"{tuple(variable.shape)}, the file's {name}/{weight_name} has "
                        f"{shape}")
    return None
