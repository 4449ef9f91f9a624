"""Layer-wise learning-rate decay (LLRD) for fine-tuning, as in ELECTRA and BEiT: the head
trains at the full rate, the backbone's deepest stage at rate * decay, the stage below at
rate * decay**2, ... down to the stem. Depth is counted in stages (the stride levels of
`zoo.models.feature_maps.stage_levels`), not in single layers: MobileNetV2 and ResNet50 have 5
(strides 2 to 32), zoo_mobilenet_shapes 3 (strides 1, 2, 4).

Keras 3 optimizers have one learning rate for all variables, so `layerwise_lr` builds a
`keras.optimizers.MultiOptimizer`: one copy of the model's optimizer per depth (same class and
settings, its learning rate or schedule scaled), mapped to the exact paths of that depth's
variables. It holds nothing but Keras classes, so it saves inside `model.keras` (optimizer
state included) and reloads in safe mode, with or without zoo (checked on TensorFlow and JAX).
Callbacks that read or set `optimizer.learning_rate` (ReduceLROnPlateau, LearningRateScheduler)
cannot drive a MultiOptimizer; pass a schedule instead.
"""

from __future__ import annotations

import math
import re

from zoo.models.feature_maps import stage_levels
from zoo.transfer.model_parts import backbone_layers, compile_with, is_container, leaf_layers

# Keras schedules whose value is linear in these rates (every other field is a step count,
# an exponent or a fraction), so scaling them scales the whole schedule
_SCHEDULE_RATES = ("initial_learning_rate", "warmup_target", "end_learning_rate", "values")
_KERAS_SCHEDULES = ("CosineDecay", "CosineDecayRestarts", "ExponentialDecay",
                    "InverseTimeDecay", "PiecewiseConstantDecay", "PolynomialDecay")


def check_decay(decay, owner="zoo.layerwise_lr"):
    """`decay` as a float, or ValueError: it must be a number in (0, 1]."""
    ok = (isinstance(decay, (int, float)) and not isinstance(decay, bool)
          and math.isfinite(decay) and 0 < decay <= 1)
    if not ok:
        raise ValueError(f"{owner}: decay must be a number in (0, 1] (1: no decay; 0.8: each "
                         f"stage down trains at 0.8x the one above), got {decay!r}")
    return float(decay)


def depth_groups(model) -> list:
    """[(depth, label, layers)] for the layers of `model` that hold weights: depth 0 is the
    head (every layer outside the backbone), depth 1 the backbone's deepest stage, and so on
    down to the stem; label names the stage ("head", "stride 32", ...)."""
    containers = [layer for layer in model.layers if is_container(layer)] or [model]
    level_of = {}
    for container in containers:
        for layer, level in stage_levels(container):
            for leaf in leaf_layers(layer) if is_container(layer) else [layer]:
                level_of[id(leaf)] = level
    backbone = {id(layer) for layer in backbone_layers(model)}
    weighted = [layer for layer in leaf_layers(model) if layer.weights]
    unplaced = [layer.name for layer in weighted
                if id(layer) in backbone and level_of.get(id(layer)) is None]
    if unplaced:
        raise ValueError(f"zoo.layerwise_lr: no image feature map leads to {unplaced[:5]} in "
                         f"{model.name!r}; stages are counted by stride, so layer-wise decay "
                         "needs a convolutional backbone with a fixed (H, W, C) input")
    levels = sorted({level_of[id(layer)] for layer in weighted if id(layer) in backbone},
                    reverse=True)
    groups = [(0, "head", [layer for layer in weighted if id(layer) not in backbone])]
    for depth, level in enumerate(levels, start=1):
        groups.append((depth, f"stride {2 ** level}",
                       [layer for layer in weighted
                        if id(layer) in backbone and level_of[id(layer)] == level]))
    return [group for group in groups if group[2]]


def layer_depths(model) -> dict:
    """{layer name: depth} for every layer with weights (see `depth_groups`); a layer at depth
    d trains at learning_rate * decay**d under `layerwise_lr`."""
    return {layer.name: depth for depth, _, layers in depth_groups(model) for layer in layers}


def scale_learning_rate(learning_rate, factor):
    """`learning_rate` (a float or one of Keras' schedules) times `factor`."""
    import keras

    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        kind = type(learning_rate).__name__
        if kind not in _KERAS_SCHEDULES or type(learning_rate) is not getattr(
                keras.optimizers.schedules, kind):
            raise ValueError(f"zoo.layerwise_lr: cannot scale a {kind} schedule; use a float "
                             f"or one of keras.optimizers.schedules.{_KERAS_SCHEDULES}")
        config = learning_rate.get_config()
        for key in _SCHEDULE_RATES:
            if isinstance(config.get(key), (list, tuple)):
                config[key] = [float(v) * factor for v in config[key]]
            elif config.get(key) is not None:
                config[key] = float(config[key]) * factor
        return type(learning_rate).from_config(config)
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        return float(learning_rate) * factor
    raise ValueError(f"zoo.layerwise_lr: learning_rate must be a float or a Keras schedule, "
                     f"got {learning_rate!r}")


def decay_of(optimizer):
    """The decay of an optimizer made by `layerwise_lr`, read back from the rates of its depth-0
    and depth-1 copies (so it survives saving and reloading); None for any other optimizer."""
    import keras

    if not isinstance(optimizer, keras.optimizers.MultiOptimizer):
        return None
    rates = {}
    for sub in optimizer.optimizers:
        match = re.search(r"_depth(\d+)$", sub.name)
        if match:
            rate = sub.get_config()["learning_rate"]
            rates[int(match.group(1))] = rate.get("config", rate) if isinstance(rate, dict) \
                else {"learning_rate": rate}
    if 0 not in rates or 1 not in rates:
        return None
    for key in ("learning_rate",) + _SCHEDULE_RATES:
        top, below = rates[0].get(key), rates[1].get(key)
        if isinstance(top, (list, tuple)):
            top, below = top[0], below[0]
        if top:
            return round(float(below) / float(top), 6)
    return None


def _template(optimizer):
    """The plain optimizer to copy per depth: unwrapped from loss scaling, or the head's
    (depth 0) optimizer of an earlier `layerwise_lr`."""
    import keras

    while isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    if isinstance(optimizer, keras.optimizers.MultiOptimizer):
        optimizer = optimizer._optimizer_map.default_optimizer
    return optimizer


def layerwise_lr(model, learning_rate=None, *, decay=0.8, optimizer=None, recompile=True,
                 verbose=True):
    """Layer-wise learning-rate decay: layers at depth d (`depth_groups`: 0 the head, 1 the
    deepest backbone stage, ... the stem last) train at learning_rate * decay**d.

    learning_rate: a float or a Keras schedule (scaled per depth); None keeps the optimizer's.
    optimizer: the optimizer to copy per depth (class and settings); None: the model's own
      (it must be compiled). decay: in (0, 1]; 1 returns one plain optimizer.
    A compiled model is recompiled with the result (same loss and metrics) unless
    recompile=False; `zoo.freeze`/`zoo.unfreeze` keep the decay when they recompile (also
    after a reload: `decay_of` reads it back from the saved rates).
    Returns the optimizer (a keras.optimizers.MultiOptimizer when decay < 1).

    Example:
        >>> import zoo
        >>> model = zoo.build("zoo_mobilenet_shapes", num_classes=3)
        >>> _ = zoo.train.compile_model(model, optimizer="sgd", learning_rate=0.1)
        >>> opt = zoo.layerwise_lr(model, decay=0.5, verbose=False)
        >>> zoo.transfer.layer_depths(model)["stem_conv"]  # strides 4, 2, 1 below the head
        3
        >>> sorted(round(float(o.learning_rate), 4) for o in opt.optimizers)
        [0.0125, 0.025, 0.05, 0.1]
    """
    import keras

    decay = check_decay(decay)
    compiled = getattr(model, "compiled", False) and getattr(model, "optimizer", None)
    if optimizer is None and not compiled:
        raise ValueError(f"zoo.layerwise_lr: {model.name!r} is not compiled; compile it first "
                         "(zoo.train.compile_model) or pass optimizer=")
    template = _template(optimizer if optimizer is not None else model.optimizer)
    config = template.get_config()
    if learning_rate is None:
        learning_rate = config["learning_rate"]
        if isinstance(learning_rate, dict):
            learning_rate = keras.optimizers.schedules.deserialize(learning_rate)
    scale_learning_rate(learning_rate, 1.0)  # validates before anything is built

    base_name = re.sub(r"_depth\d+$", "", template.name)  # a copy of a copy keeps one suffix

    def copy(depth):
        return type(template).from_config({
            **config, "name": f"{base_name}_depth{depth}",
            "learning_rate": scale_learning_rate(learning_rate, decay ** depth)})

    groups = depth_groups(model)
    if decay == 1.0:
        result = copy(0)
    else:
        head = copy(0)
        by_pattern, owner = {}, {}
        for depth, label, layers in groups:
            for layer in layers:
                for variable in layer.weights:
                    if owner.setdefault(variable.path, depth) != depth:
                        raise ValueError(f"zoo.layerwise_lr: variable path {variable.path!r} "
                                         f"is used at depths {owner[variable.path]} and {depth};"
                                         " give the layers distinct names")
            if depth:
                paths = sorted({v.path for layer in layers for v in layer.weights})
                by_pattern["|".join(re.escape(p) for p in paths)] = copy(depth)
        result = keras.optimizers.MultiOptimizer(
            keras.optimizers.OptimizerMap(head, by_pattern), name="layerwise_lr")
    if verbose:
        rate = f"{learning_rate:.3g}" if isinstance(learning_rate, float) \
            else type(learning_rate).__name__
        print(f"layer-wise learning rate: {rate} x {decay:g}**depth: " + ", ".join(
            f"{label} ({len(layers)} layers) x{decay ** depth:.3g}"
            for depth, label, layers in groups))
    if recompile and compiled:
        compile_with(model, result)
    return result
