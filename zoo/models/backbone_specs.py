"""One spec per `zoo.backbone` network: the keras.applications class that builds it, the input
it expects, its default and smallest size, and the sizes and widths its ImageNet weights exist
for (`zoo.models.backbone_weights` names the files).

`input_range` here is the range the *network* wants after zoo's `ImagePreprocessing` layer;
users feed whatever `input_range` they build the backbone with ([0, 1] for zoo's datasets).
"""

from __future__ import annotations

import dataclasses


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
    "zoo_mobilenet_synthetic": BackboneSpec(
        "zoo_mobilenet_synthetic", None, (0.0, 1.0), None, None, False, "none", 32, 32, (32,),
        (1.0,), "zoo's MobileNetV2-style net pretrained on rendered letters and IFS fractals "
        "(saved_models/)"),
}


def get_spec(name: str) -> BackboneSpec:
    if name not in SPECS:
        import difflib

        close = difflib.get_close_matches(str(name), list(SPECS), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"zoo.backbone: unknown backbone {name!r}.{hint} "
                         f"Known: {', '.join(SPECS)}")
    return SPECS[name]
