"""Backbone family: pretrained-style feature extractors with a classification head.

The registered entries build `zoo.backbone(...)` + `zoo.transfer.classifier(...)` at small,
fast defaults (32x32 inputs, `weights=None`, narrow widths) so every model check stays quick;
`zoo.backbone(name, weights="imagenet", ...)` is the user-facing way to get real weights.
MobileNetV3-Large, EfficientNet-B0/V2-B0 and ResNet50 are available through `zoo.backbone`
but not registered (3-24 M parameters would slow the per-model checks). Keras is imported inside the builder.
"""

from zoo.models import _checks
from zoo.registry import Choice, Float, Preset, register

BACKBONE_SEARCH_SPACE = {
    "dropout": Float(0.0, 0.5, step=0.1),
    "trainable": Choice((False, True)),
}


@register(
    family="backbone",
    task="classification",
    dataset="shapes",
    name="mobilenet_v2",
    search_space=BACKBONE_SEARCH_SPACE,
    presets={
        "mobilenet_v1": Preset(
            description="keras.applications MobileNet v1 (depthwise-separable convolutions) "
            "with zoo preprocessing and a new head; alpha 0.25 at 32x32 by default.",
            backbone="mobilenet_v1", alpha=0.25),
        "mobilenet_v3_small": Preset(
            description="keras.applications MobileNetV3-Small (minimalistic) with zoo "
            "preprocessing and a new head.",
            backbone="mobilenet_v3_small", alpha=0.75, minimalistic=True),
        "zoo_mobilenet_shapes": Preset(
            description="zoo's own MobileNetV2-style backbone, pretrained offline on 28 "
            "textured-shape classes (saved_models/zoo_mobilenet_shapes.md), new head.",
            backbone="zoo_mobilenet_shapes", weights="default", alpha=None),
    },
)
def backbone_classifier(
    *,
    backbone="mobilenet_v2",
    input_shape=(32, 32, 3),
    num_classes=4,
    weights=None,
    alpha=0.35,
    minimalistic=False,
    trainable=True,
    dropout=0.2,
    input_range=(0.0, 1.0),
    name="mobilenet_v2",
):
    """keras.applications MobileNetV2 (alpha 0.35 at 32x32 by default) behind zoo's
    preprocessing layer, with a new head: average pool -> dropout -> "predictions".

    Use it for transfer learning on small images: `weights="imagenet"` (from the Keras cache)
    or a zoo-pretrained backbone; the backbone is called with `training=False`, so its
    BatchNorm stays in inference mode. `input_range` is the range of the pixels you feed.

    Example:
        >>> import zoo
        >>> zoo.build("mobilenet_v2", num_classes=3).output_shape
        (None, 3)
        >>> zoo.build("zoo_mobilenet_shapes").get_layer("zoo_mobilenet_shapes").output_shape
        (None, 128)
    """
    from zoo.transfer.backbone import backbone as make_backbone, classifier

    _checks.integer(name, "num_classes", num_classes, min_value=2)
    _checks.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    base = make_backbone(backbone, input_shape=input_shape, weights=weights,
                         trainable=trainable, alpha=alpha, minimalistic=minimalistic,
                         input_range=input_range)
    return classifier(base, num_classes=num_classes, dropout=dropout, name=name)
