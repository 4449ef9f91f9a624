"""`zoo.backbone(...)`: pretrained feature extractors with their preprocessing built in,
multi-scale feature maps by name ({"P3": ..., "P4": ..., "P5": ...}) and a classifier head.

A backbone is one flat functional model: `inputs` (the user's range) -> `preprocessing`
(`zoo.layers.ImagePreprocessing`) -> the network -> [pooling]. No Lambda layers, so it saves
and reloads in Keras' safe mode.
"""

from __future__ import annotations

from zoo._lazy import keras
from zoo.transfer.specs import find_imagenet_weights, get_spec

POOLINGS = (None, "avg", "max")


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
    """A pretrained feature extractor `name` (see `zoo.transfer.specs.SPECS`).

    weights: "default" (ImageNet for keras.applications networks, the shipped weights for
      zoo's own), "imagenet" (from the Keras cache; offline it fails at once naming the file,
      URL and folder), None (random), a path to a `.weights.h5` file, or the name of a
      zoo-pretrained backbone under saved_models/ (sha256-checked).
    input_range: the range of the pixels you will feed; preprocessing to the network's own
      range (and mean/std, channel order) happens inside the model.
    features: stage levels, e.g. [3, 4, 5]: the model returns {"P3": ..., "P4": ..., "P5": ...},
      the last layer output at stride 2**level (`feature_layers` lists them).
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
    size = spec.default_size
    input_shape = tuple(input_shape or (size, size, 3))
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"zoo.backbone: input_shape must be (H, W, 3), got {input_shape!r}")
    if min(input_shape[:2]) < spec.min_size:
        raise ValueError(f"zoo.backbone({name!r}): input_shape must be at least "
                         f"{spec.min_size}x{spec.min_size}, got {input_shape!r}")
    alpha = 1.0 if alpha is None else float(alpha)

    inputs = keras.Input(input_shape, name="inputs")
    from zoo.layers.preprocessing import ImagePreprocessing

    x = ImagePreprocessing(input_range=input_range, output_range=spec.input_range,
                           mean=spec.mean, std=spec.std, bgr=spec.bgr,
                           name="preprocessing")(inputs)
    if spec.application is None:
        net = _zoo_network(name, input_shape, weights, x)
    else:
        net = _keras_application(spec, name, input_shape, weights, x, alpha, minimalistic,
                                 allow_download)
    outputs = net
    if features is not None:
        model = keras.Model(inputs, net)
        layer_names = feature_layers(model)
        missing = [f"P{level}" for level in features if f"P{level}" not in layer_names]
        if missing:
            raise ValueError(f"zoo.backbone({name!r}): no stage {missing} at input "
                             f"{input_shape[:2]}; available: {sorted(layer_names)}")
        outputs = {f"P{level}": model.get_layer(layer_names[f"P{level}"]).output
                   for level in features}
    elif len(net.shape) == 2:
        pass  # zoo's own backbones end in their global average pool
    elif pooling == "avg":
        outputs = keras.layers.GlobalAveragePooling2D(name="avg_pool")(net)
    elif pooling == "max":
        outputs = keras.layers.GlobalMaxPooling2D(name="max_pool")(net)
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
        find_imagenet_weights(name, size=input_shape[0], alpha=alpha, minimalistic=minimalistic,
                              allow_download=allow_download)
        app_weights = "imagenet"  # cached (or download allowed): keras.applications loads it
    elif weights is not None:
        load_after = weights
    build = getattr(real_keras.applications, spec.application)
    net = build(include_top=False, weights=app_weights, input_tensor=x,
                input_shape=input_shape, **_application_kwargs(name, alpha, minimalistic))
    if load_after is not None:
        net.load_weights(_weights_path(load_after))
    return net.output


def _zoo_network(name, input_shape, weights, x):
    from zoo.transfer import pretrained

    entry = pretrained.ZOO_PRETRAINED[name]
    import zoo

    core = zoo.build(entry["builder"], **{**entry["kwargs"], "input_shape": input_shape},
                     name=name)
    if weights in ("default", name):
        core.load_weights(pretrained.verified_path(entry["weights"]))
    elif weights == "imagenet":
        raise ValueError(f"zoo.backbone({name!r}): zoo's own backbones have no ImageNet "
                         "weights; use weights='default' (the shipped ones) or None")
    elif weights is not None:
        core.load_weights(_weights_path(weights))
    return _rewire(core, x)


def _rewire(model, x):
    """Apply `model`'s layers (shared, with their weights) to tensor `x`, flat, no nesting."""
    # Functional's own graph walk, calling each (shared) layer on the new tensors
    return model._run_through_graph(x, operation_fn=lambda layer: layer)


class WeightsFileNotFound(FileNotFoundError, ValueError):
    """`weights=` names no shipped backbone and no existing file (also a bad-argument error)."""


def _check_arguments(name, input_shape, weights, trainable, input_range, alpha, minimalistic):
    import math
    import os

    from zoo.models import _checks

    owner = f"zoo.backbone({name!r})"
    if input_shape is not None:
        _checks.shape(owner, "input_shape", input_shape, min_rank=3, max_rank=3)
    _checks.choice(owner, "trainable", trainable, (False, True))
    _checks.choice(owner, "minimalistic", minimalistic, (False, True))
    if weights is not None and (not isinstance(weights, (str, os.PathLike))
                                or not os.fspath(weights)):
        raise ValueError(f"{owner}: weights must be 'default', 'imagenet', None, a zoo backbone "
                         f"name or a .weights.h5 path, got {weights!r}")
    ok = (isinstance(input_range, (tuple, list)) and len(input_range) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  for v in input_range) and input_range[0] < input_range[1])
    if not ok:
        raise ValueError(f"{owner}: input_range must be (low, high) with finite low < high, "
                         f"got {input_range!r}")
    if alpha is not None:
        _checks.number(owner, "alpha", alpha, min_value=1e-3)
        if not math.isfinite(alpha):
            raise ValueError(f"{owner}: alpha must be a finite number > 0, got {alpha!r}")


def _weights_path(weights):
    from pathlib import Path

    from zoo.transfer import pretrained

    if isinstance(weights, str) and weights in pretrained.ZOO_PRETRAINED:
        return pretrained.verified_path(pretrained.ZOO_PRETRAINED[weights]["weights"])
    path = Path(weights)
    if not path.is_file():
        raise WeightsFileNotFound(f"zoo.backbone: weights must be 'imagenet', None, a zoo "
                                f"backbone name or a weights file; no file at {str(path)!r}")
    if not str(path).endswith(".weights.h5"):
        raise ValueError(f"zoo.backbone: a weights file must end in .weights.h5 (weights only, "
                         f"no code), got {str(path)!r}")
    return path


def feature_layers(model) -> dict:
    """{"P<k>": layer name}: the last layer (in graph order) whose output has stride 2**k.

    Padding layers (odd sizes) and squeeze-excite maps (1x1, smaller than the final map) are
    skipped, so at 224x224 MobileNetV2 gives P3 block_6_expand_relu, P4 block_13_expand_relu,
    P5 out_relu, and ResNet50 conv3_block4_out, conv4_block6_out, conv5_block3_out.
    """
    height = model.inputs[0].shape[1]
    maps = [layer for layer in model.layers
            if len(getattr(layer.output, "shape", ())) == 4 and layer.output.shape[1]]
    smallest = maps[-1].output.shape[1] if maps else 1
    found = {}
    for layer in maps:
        size = layer.output.shape[1]
        if size < smallest or height % size:
            continue
        stride = height // size
        if stride >= 2 and stride & (stride - 1) == 0:
            found[f"P{stride.bit_length() - 1}"] = layer.name
    return found


def classifier(base, *, num_classes: int, dropout: float = 0.2, augmentation=None,
               name=None):
    """inputs -> [augmentation] -> base(training=False) -> [avg pool] -> dropout -> predictions.

    The backbone is called with `training=False`, so its BatchNorm layers stay in inference
    mode even after they are unfrozen (the Keras transfer-learning rule).
    """
    inputs = keras.Input(base.inputs[0].shape[1:], name="image")
    x = inputs
    if augmentation:
        x = augmentation(x)
    x = base(x, training=False)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", kernel_initializer="zeros",
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name=name or f"{base.name}_classifier")
