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
      the last layer output at stride 2**level, of spatial size input / 2**level (rounded
      as the network pads; `feature_layers` lists them). The keras.applications networks have P1..P5;
      zoo_mobilenet_shapes downsamples 4x in all, so it has P1 and P2 only.
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


def graph_outputs(model) -> dict:
    """{layer name: its output tensor in `model`'s own graph}, in graph order.

    Not `layer.output`: a layer shared with another model (zoo's own backbones reuse the
    layers of the network they were loaded into) answers with its first graph's tensor.
    """
    tensors = {}
    for depth in sorted(model._nodes_by_depth, reverse=True):  # Functional's graph, inputs first
        for node in model._nodes_by_depth[depth]:
            if node.operation is not None and node.outputs:
                tensors[node.operation.name] = node.outputs[0]
    return {layer.name: tensors[layer.name] for layer in model.layers if layer.name in tensors}


def output_strides(model) -> dict:
    """{layer name: the stride of its output map relative to `model`'s input}, following the
    graph: a layer's declared `strides` multiply (transposed convolutions and upsampling
    divide), padding and cropping keep the stride, and any other layer (a nested model, a
    custom layer) is read from its input and output sizes, so sizes that round either way
    (33 -> 17 -> 8) come out exact. None for outputs that are not image maps and for maps
    after a global pooling (the 1x1 maps of squeeze-excite branches).
    """
    return {name: stride for name, (stride, _) in _trace_strides(model).items()}


def _trace_strides(model) -> dict:
    """{layer name: (output stride or None, whether the layer pads its input)}."""
    import math

    strides, by_layer = {}, {}
    for depth in sorted(model._nodes_by_depth, reverse=True):  # inputs first
        for node in model._nodes_by_depth[depth]:
            layer, out = node.operation, (node.outputs or [None])[0]
            if layer is None or out is None:
                continue
            stride, padded = None, False
            if node.is_input:
                stride = 1 if len(out.shape) == 4 else None
            else:
                known = [(strides[id(x)], x) for x in node.input_tensors
                         if strides.get(id(x)) is not None]
                if (known and len(out.shape) == 4
                        and not type(layer).__name__.startswith("Global")):
                    stride, x = max(known, key=lambda pair: pair[0])
                    before, after = x.shape[1], out.shape[1]
                    kind = type(layer).__name__
                    declared = getattr(layer, "strides", None)
                    if isinstance(declared, (tuple, list)):
                        declared = declared[0]
                    if "Padding" in kind or "Cropping" in kind:
                        padded = "Padding" in kind  # a padded copy: same stride, not a feature
                    elif isinstance(declared, int) and "Transpose" in kind:
                        stride /= declared
                    elif isinstance(declared, int):
                        stride *= declared
                    elif "UpSampling" in kind:
                        stride /= layer.size[0]
                    elif before and after and after < before:
                        stride *= 2 ** round(math.log2(before / after))
                    elif before and after and after >= 2 * before:
                        stride /= round(after / before)
            for tensor in node.outputs:
                strides[id(tensor)] = stride
            by_layer[layer.name] = (stride, padded)
    return by_layer


def _level(stride):
    """k for stride 2**k, else None."""
    if stride is None or stride < 1 or stride != int(stride) or int(stride) & (int(stride) - 1):
        return None
    return int(stride).bit_length() - 1


def stage_levels(model) -> list:
    """[(layer, k)] for `model.layers` in graph order: k = the stride level (stride 2**k) of
    the stage the layer belongs to: its own output's (`output_strides`), or for a layer whose
    output is no image map (a squeeze-excite branch, pooling, a head) the level of the last
    map before it. None while no map has been seen.
    """
    strides, level, found = output_strides(model), None, []
    for layer in model.layers:
        own = _level(strides.get(layer.name))
        level = own if own is not None else level
        found.append((layer, level))
    return found


def feature_layers(model) -> dict:
    """{"P<k>": layer name}: the last layer (in graph order) whose output map is at stride
    2**k (k >= 1), by `output_strides`; padding layers are skipped.

    At 224x224 MobileNetV2 gives P3 block_6_expand_relu, P4 block_13_expand_relu, P5
    out_relu, and ResNet50 conv3_block4_out, conv4_block6_out, conv5_block3_out; a map at P<k>
    has spatial size input / 2**k (rounded up or down, as the network pads). The levels are
    the architecture's: zoo_mobilenet_shapes (stem and first stack at stride 1, then two
    stride-2 stacks) has P1 and P2 only, at any input size.
    """
    traced, found = _trace_strides(model), {}
    for layer in model.layers:
        stride, padded = traced.get(layer.name, (None, False))
        level = _level(stride)
        if level and not padded:
            found[f"P{level}"] = layer.name
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
