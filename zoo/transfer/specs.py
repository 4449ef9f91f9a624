"""One spec per backbone: what input it expects, its default size, and where its ImageNet
weights come from (the exact file keras.applications downloads, so offline users can place it).

`input_range` here is the range the *network* wants after zoo's `ImagePreprocessing` layer;
users feed whatever `input_range` they build the backbone with ([0, 1] for zoo's datasets).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    name: str
    application: str | None      # keras.applications attribute; None: zoo's own builder
    input_range: tuple           # what the network's first layer expects
    mean: tuple | None           # subtracted after scaling to input_range (channel order below)
    std: tuple | None
    bgr: bool                    # network expects BGR ("caffe" mode)
    preprocessing: str           # keras' name for it: "tf", "caffe", "included", "none"
    default_size: int            # the ImageNet weights' resolution
    min_size: int                # smallest input keras.applications accepts
    weight_sizes: tuple = ()     # resolutions with ImageNet weights (v1/v2 differ per size)
    alphas: tuple = (1.0,)       # width multipliers with ImageNet weights
    description: str = ""


SPECS = {
    "mobilenet_v1": BackboneSpec(
        "mobilenet_v1", "MobileNet", (-1.0, 1.0), None, None, False, "tf", 224, 32,
        (128, 160, 192, 224), (0.25, 0.5, 0.75, 1.0), "MobileNet v1 (Howard et al., 2017)"),
    "mobilenet_v2": BackboneSpec(
        "mobilenet_v2", "MobileNetV2", (-1.0, 1.0), None, None, False, "tf", 224, 32,
        (96, 128, 160, 192, 224), (0.35, 0.5, 0.75, 1.0, 1.3, 1.4),
        "MobileNetV2 (Sandler et al., 2018)"),
    "mobilenet_v3_small": BackboneSpec(
        "mobilenet_v3_small", "MobileNetV3Small", (0.0, 255.0), None, None, False, "included",
        224, 32, (224,), (0.75, 1.0), "MobileNetV3-Small (Howard et al., 2019)"),
    "mobilenet_v3_large": BackboneSpec(
        "mobilenet_v3_large", "MobileNetV3Large", (0.0, 255.0), None, None, False, "included",
        224, 32, (224,), (0.75, 1.0), "MobileNetV3-Large (Howard et al., 2019)"),
    "efficientnet_b0": BackboneSpec(
        "efficientnet_b0", "EfficientNetB0", (0.0, 255.0), None, None, False, "included",
        224, 32, (224,), (1.0,), "EfficientNet-B0 (Tan & Le, 2019)"),
    "efficientnet_v2_b0": BackboneSpec(
        "efficientnet_v2_b0", "EfficientNetV2B0", (0.0, 255.0), None, None, False, "included",
        224, 32, (224,), (1.0,), "EfficientNetV2-B0 (Tan & Le, 2021)"),
    "resnet50": BackboneSpec(
        "resnet50", "ResNet50", (0.0, 255.0), (103.939, 116.779, 123.68), None, True, "caffe",
        224, 32, (224,), (1.0,), "ResNet-50 (He et al., 2016)"),
    "zoo_mobilenet_shapes": BackboneSpec(
        "zoo_mobilenet_shapes", None, (0.0, 1.0), None, None, False, "none", 32, 32, (32,),
        (1.0,), "zoo's MobileNetV2-style net pretrained on textured shapes (saved_models/)"),
}


def get_spec(name: str) -> BackboneSpec:
    if name not in SPECS:
        import difflib

        close = difflib.get_close_matches(str(name), list(SPECS), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"zoo.backbone: unknown backbone {name!r}.{hint} "
                         f"Known: {', '.join(SPECS)}")
    return SPECS[name]


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
