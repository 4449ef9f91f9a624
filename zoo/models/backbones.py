"""Backbone family: pretrained feature extractors (`zoo.backbone`) and classifiers built on them.

`backbone(name, ...)` is one flat functional model: `inputs` (the user's range) ->
`preprocessing` (`zoo.layers.ImagePreprocessing`) -> the network (keras.applications, or zoo's
own pretrained one from saved_models/) -> [pooling] or multi-scale feature maps by name
({"P3": ..., "P4": ..., "P5": ...}). No Lambda layers, so it saves and reloads in Keras' safe
mode. `classifier(base, ...)` puts a new head on one; freezing and fine-tuning it is
`zoo.transfer`'s. What each network expects: `backbone_specs.py`; where its weights come from:
`backbone_weights.py`; where its feature maps are: `feature_maps.py`.

The registered entries build `backbone(...)` + `classifier(...)` at small, fast defaults (32x32
inputs, `weights=None`, narrow widths) so every model check stays quick;
`zoo.backbone(name, weights="imagenet", ...)` is the user-facing way to get real weights.
MobileNetV3-Large, EfficientNet-B0/V2-B0 and ResNet50 are available through `zoo.backbone`
but not registered (3-24 M parameters would slow the per-model checks). Keras is imported on
first use: `zoo list` imports this module.
"""

from __future__ import annotations

from zoo import validation as check
from zoo import registry
from zoo._lazy import keras
from zoo.models.backbone_specs import get_spec
from zoo.models.backbone_weights import (
    ZOO_PRETRAINED, find_imagenet_weights, imagenet_file, load_weights_file, verified_path,
    weights_path,
)
from zoo.models.feature_maps import feature_layers, graph_outputs
from zoo.registry import Choice, Float, Preset, register

POOLINGS = (None, "avg", "max", "grid")


def _application_kwargs(name, alpha, minimalistic):
    if name in ("mobilenet_v1", "mobilenet_v2"):
        return {"alpha": alpha}
    if name.startswith("mobilenet_v3"):
        return {"alpha": alpha, "minimalistic": minimalistic, "include_preprocessing": True}
    if name == "efficientnet_v2_b0":
        return {"include_preprocessing": True}
    return {}


def backbone(name: str, *, input_shape=None, weights="default", trainable: bool = False,
             pooling=None, features=None, input_range=(0.0, 1.0), alpha=None,
             minimalistic: bool = False, allow_download=None, model_name=None):
    """A pretrained feature extractor `name` (see `zoo.models.backbone_specs.SPECS`).

    weights: "default" (ImageNet for keras.applications networks, the shipped weights for
      zoo's own), "imagenet" (from the Keras cache; offline it fails at once naming the file,
      URL and folder), None (random), a path to a weights-only file (`.weights.h5`, or an
      `.h5` in the legacy Keras layout keras.applications ships its ImageNet files in), or the
      name of a zoo-pretrained backbone under saved_models/ (sha256-checked). A file that is
      not HDF5 weights, or does not fit the network, fails naming it and what would fit.
    input_range: the range of the pixels you will feed; preprocessing to the network's own
      range (and mean/std, channel order) happens inside the model.
    features: stage levels, e.g. [3, 4, 5]: the model returns {"P3": ..., "P4": ..., "P5": ...},
      the last layer output at stride 2**level, of spatial size input / 2**level (rounded
      as the network pads; `feature_layers` lists them). The keras.applications networks have
      P1..P5; zoo_mobilenet_shapes downsamples 4x in all, so it has P1 and P2 only.
    pooling: None (the feature map; zoo's own backbones end in their global average pool),
      "avg", "max", or "grid": the mean of each cell of a 2x2 grid, concatenated (4 x the
      channels; keeps where a feature fired, `zoo.layers.GridPooling2D`).
    trainable=False freezes every layer (BatchNorm then runs in inference mode).

    Example:
        >>> import zoo
        >>> m = zoo.backbone("mobilenet_v2", input_shape=(32, 32, 3), weights=None, alpha=0.35)
        >>> m.output_shape
        (None, 1, 1, 1280)
    """
    spec = get_spec(name)
    _check_arguments(name, input_shape, weights, trainable, input_range, alpha, minimalistic)
    if pooling not in POOLINGS:
        raise ValueError(f"zoo.backbone: pooling must be one of {POOLINGS}, got {pooling!r}")
    if features is not None and pooling is not None:
        raise ValueError("zoo.backbone: features= returns feature maps; leave pooling=None")
    if features is not None and (
            not isinstance(features, (list, tuple)) or not features
            or any(not isinstance(k, int) or isinstance(k, bool) or k < 1 for k in features)
            or len(set(features)) != len(features)):
        raise ValueError(f"zoo.backbone({name!r}): features must be a non-empty list of distinct "
                         f"stage levels >= 1 (P<k> has stride 2**k), e.g. [3, 4, 5]; "
                         f"got {features!r}")
    size = spec.default_size
    input_shape = tuple(input_shape or (size, size, 3))
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"zoo.backbone: input_shape must be (H, W, 3), got {input_shape!r}")
    if min(input_shape[:2]) < spec.min_size:
        raise ValueError(f"zoo.backbone({name!r}): input_shape must be at least "
                         f"{spec.min_size}x{spec.min_size}, got {input_shape!r}")
    alpha = 1.0 if alpha is None else float(alpha)

    from zoo.layers.preprocessing import ImagePreprocessing  # imports Keras

    inputs = keras.Input(input_shape, name="inputs")
    x = ImagePreprocessing(input_range=input_range, output_range=spec.input_range,
                           mean=spec.mean, std=spec.std, bgr=spec.bgr,
                           name="preprocessing")(inputs)
    if spec.application is None:
        net = _zoo_network(name, input_shape, weights, x, keep_map=pooling == "grid")
    else:
        net = _keras_application(spec, name, input_shape, weights, x, alpha, minimalistic,
                                 allow_download)
    outputs = net
    if features is not None:
        model = keras.Model(inputs, net)
        layer_names, tensors = feature_layers(model), graph_outputs(model)
        missing = [f"P{level}" for level in features if f"P{level}" not in layer_names]
        if missing:
            available = sorted(layer_names, key=lambda p: int(p[1:]))
            deepest = int(available[-1][1:]) if available else 0
            raise ValueError(
                f"zoo.backbone({name!r}): no stage {', '.join(missing)}: its deepest feature "
                f"map is at stride {2 ** deepest}, so the levels it has are "
                f"{', '.join(available) or 'none'} (the architecture's, at any input size); "
                f"got features={list(features)}")
        outputs = {f"P{level}": tensors[layer_names[f"P{level}"]] for level in features}
    elif len(net.shape) == 2:
        pass  # zoo's own backbones end in their global average pool
    elif pooling == "avg":
        outputs = keras.layers.GlobalAveragePooling2D(name="avg_pool")(net)
    elif pooling == "max":
        outputs = keras.layers.GlobalMaxPooling2D(name="max_pool")(net)
    elif pooling == "grid":
        from zoo.layers.grid_pooling import GridPooling2D

        outputs = GridPooling2D(grid=2, name="grid_pool")(net)
    model = keras.Model(inputs, outputs, name=model_name or name)
    if not trainable:
        model.trainable = False
    return model


def _keras_application(spec, name, input_shape, weights, x, alpha, minimalistic,
                       allow_download):
    import keras as real_keras

    load_after = None
    app_weights = None
    if weights == "default":
        weights = "imagenet"
    if weights == "imagenet":
        # the cached file, loaded by zoo (keras.applications would re-download a cached file
        # whose hash differs from its own); None: not cached, download allowed, keras fetches it
        load_after = find_imagenet_weights(name, size=input_shape[0], alpha=alpha,
                                           minimalistic=minimalistic,
                                           allow_download=allow_download)
        if load_after is None:
            app_weights = "imagenet"
    elif weights is not None:
        load_after = weights_path(weights)  # before building: a bad path fails at once
    build = getattr(real_keras.applications, spec.application)
    net = build(include_top=False, weights=app_weights, input_tensor=x,
                input_shape=input_shape, **_application_kwargs(name, alpha, minimalistic))
    if load_after is not None:
        load_weights_file(net, load_after, owner=f"zoo.backbone({name!r})",
                          expected=_expected_application_weights(
                              spec, name, input_shape, alpha, minimalistic))
    return net.output


def _expected_application_weights(spec, name, input_shape, alpha, minimalistic):
    """What fits keras.applications' `name` with these arguments: its no-top weights, in the
    layout of the ImageNet file keras.applications would load for them."""
    arguments = []
    if name.startswith("mobilenet_"):
        arguments.append(f"alpha={alpha}")
    if name.startswith("mobilenet_v3"):
        arguments.append(f"minimalistic={minimalistic}")
    file, _ = imagenet_file(name, size=input_shape[0], alpha=alpha, minimalistic=minimalistic)
    return (f"the no-top weights of keras.applications.{spec.application}"
            f"({', '.join(arguments)}), as in keras.applications' own file {file!r}")


def _zoo_network(name, input_shape, weights, x, keep_map=False):
    """zoo's own network on `x`, ending in its global average pool (keep_map: in the feature
    map before it)."""
    entry = ZOO_PRETRAINED[name]
    core = registry.build(entry["builder"], **{**entry["kwargs"], "input_shape": input_shape},
                          name=name)
    if weights == "imagenet":
        raise ValueError(f"zoo.backbone({name!r}): zoo's own backbones have no ImageNet "
                         "weights; use weights='default' (the shipped ones) or None")
    path = None
    if weights in ("default", name):
        path = verified_path(entry["weights"])
    elif weights is not None:
        path = weights_path(weights)
    if path is not None:
        load_weights_file(core, path, owner=f"zoo.backbone({name!r})",
                          expected=f"the weights of zoo's {name} network, as in "
                                   f"saved_models/{entry['weights']}")
    if keep_map and isinstance(core.layers[-1], keras.layers.GlobalAveragePooling2D):
        core = keras.Model(core.inputs, core.layers[-1].input, name=core.name)
    return _rewire(core, x)


def _rewire(model, x):
    """Apply `model`'s layers (shared, with their weights) to tensor `x`, flat, no nesting."""
    # Functional's own graph walk, calling each (shared) layer on the new tensors
    return model._run_through_graph(x, operation_fn=lambda layer: layer)


def _check_arguments(name, input_shape, weights, trainable, input_range, alpha, minimalistic):
    import math
    import os

    owner = f"zoo.backbone({name!r})"
    if input_shape is not None:
        check.shape(owner, "input_shape", input_shape, min_rank=3, max_rank=3)
    check.choice(owner, "trainable", trainable, (False, True))
    check.choice(owner, "minimalistic", minimalistic, (False, True))
    if weights is not None and (not isinstance(weights, (str, os.PathLike))
                                or not os.fspath(weights)):
        raise ValueError(f"{owner}: weights must be 'default', 'imagenet', None, a zoo backbone "
                         f"name or a weights file path (.weights.h5, or a keras.applications "
                         f"style .h5), got {weights!r}")
    ok = (isinstance(input_range, (tuple, list)) and len(input_range) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  for v in input_range) and input_range[0] < input_range[1])
    if not ok:
        raise ValueError(f"{owner}: input_range must be (low, high) with finite low < high, "
                         f"got {input_range!r}")
    if alpha is not None:
        check.number(owner, "alpha", alpha, min_value=1e-3)
        if not math.isfinite(alpha):
            raise ValueError(f"{owner}: alpha must be a finite number > 0, got {alpha!r}")


def classifier(base, *, num_classes: int, dropout: float = 0.2, augmentation=None,
               frozen_batchnorm: bool = True, name=None):
    """inputs -> [augmentation] -> base(training=False) -> [avg pool] -> dropout -> predictions.

    The backbone is called with `training=False`, so its BatchNorm layers stay in inference
    mode even after they are unfrozen (the Keras transfer-learning rule);
    `frozen_batchnorm=False` calls it plainly, so unfrozen BatchNorm layers train.
    """
    from zoo.layers.heads import ZERO_START, apply_prediction_head

    inputs = keras.Input(base.inputs[0].shape[1:], name="image")
    x = inputs
    if augmentation:
        x = augmentation(x)
    x = base(x, training=False) if frozen_batchnorm else base(x)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = apply_prediction_head(x, num_classes, dropout=dropout, initializer=ZERO_START)
    return keras.Model(inputs, outputs, name=name or f"{base.name}_classifier")


_make_backbone = backbone  # the builder's `backbone=` argument (a name) shadows the function

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
        "zoo_mobilenet_synthetic": Preset(
            description="zoo's own MobileNetV2-style backbone, pretrained offline on 52 "
            "rendered letters + 48 IFS fractal classes (saved_models/zoo_mobilenet_synthetic.md), "
            "new head; zoo finetune's default.",
            backbone="zoo_mobilenet_synthetic", weights="default", alpha=None),
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
    check.integer(name, "num_classes", num_classes, min_value=2)
    check.number(name, "dropout", dropout, min_value=0.0, max_value=1.0, max_exclusive=True)
    base = _make_backbone(backbone, input_shape=input_shape, weights=weights,
                          trainable=trainable, alpha=alpha, minimalistic=minimalistic,
                          input_range=input_range)
    return classifier(base, num_classes=num_classes, dropout=dropout, name=name)
