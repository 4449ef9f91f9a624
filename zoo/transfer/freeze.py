"""Freeze policy for transfer learning: which layers train, BatchNorm kept in inference mode,
and the recompile that makes a `trainable` change take effect.

Keras only reads `trainable` when a model is compiled (keras #7965, #9940): change it after
`compile()` and training silently keeps the old set. `freeze`/`unfreeze` recompile for you
(fresh optimizer state, same loss and metrics) and print "trainable params: A -> B".
In Keras 3 a BatchNormalization layer with `trainable=False` runs in inference mode (moving
statistics used, never updated), which is what fine-tuning a pretrained network needs.
A model under `layerwise_lr` keeps its layer-wise optimizer through the recompile (so this
module sits above `layerwise.py`).
"""

from __future__ import annotations

from zoo.transfer.layerwise import decay_of, layerwise_lr
from zoo.transfer.model_parts import (
    backbone_layers, compile_with, head_layers, is_container, leaf_layers,
)

BATCHNORM_POLICIES = ("inference", "train")


def trainable_count(model) -> int:
    total = 0
    for weight in model.trainable_weights:
        size = 1
        for d in weight.shape:
            size *= int(d)
        total += size
    return total


def _index_of(layers, block: str, *, last: bool) -> int:
    hits = [i for i, layer in enumerate(layers)
            if layer.name == block or layer.name.startswith(f"{block}_")]
    if not hits:
        names = sorted({layer.name.rsplit("_", 1)[0] for layer in layers})[:40]
        raise ValueError(f"zoo.freeze: no layer named {block!r} or starting with "
                         f"'{block}_' in the backbone; some names: {names}")
    return hits[-1] if last else hits[0]


def _set_trainable(model, trainable_layers, batchnorm):
    import keras

    if batchnorm not in BATCHNORM_POLICIES:
        raise ValueError(f"zoo.freeze: batchnorm must be one of {BATCHNORM_POLICIES}, "
                         f"got {batchnorm!r}")
    for layer in model.layers:  # containers must be trainable for their leaves to count
        if is_container(layer):
            layer.trainable = True
    trainable_ids = {id(layer) for layer in trainable_layers}
    for layer in leaf_layers(model):
        inference_bn = (batchnorm == "inference"
                        and isinstance(layer, keras.layers.BatchNormalization))
        layer.trainable = id(layer) in trainable_ids and not inference_bn


def _finish(model, before, recompile, learning_rate, verbose):
    if recompile and getattr(model, "compiled", False):
        recompile_model(model, learning_rate=learning_rate)
    after = trainable_count(model)
    if verbose:
        print(f"trainable params: {before:,} -> {after:,}")
    return after


def freeze(model, until=None, *, batchnorm="inference", recompile=True, verbose=True):
    """Freeze the backbone of `model` (all of it, or its layers up to and including block
    `until`, a layer name or name prefix such as "block_13"); the rest trains.

    BatchNorm layers of the backbone are frozen too (inference mode) with
    `batchnorm="inference"`. A compiled model is recompiled. Returns the trainable count.
    """
    before = trainable_count(model)
    backbone = backbone_layers(model)
    head = head_layers(model, backbone)
    keep = [] if until is None else backbone[_index_of(backbone, until, last=True) + 1:]
    _set_trainable(model, head + keep, batchnorm)
    return _finish(model, before, recompile, None, verbose)


def unfreeze(model, *, top=None, from_block=None, batchnorm="inference", learning_rate=None,
             recompile=True, verbose=True):
    """Unfreeze the backbone's top `top` layers, or every layer from block `from_block` on, or
    (neither given) the whole backbone; the head stays trainable, BatchNorm stays in inference
    mode. A compiled model is recompiled, with `learning_rate` if given.
    """
    if top is not None and from_block is not None:
        raise ValueError("zoo.unfreeze: pass top= or from_block=, not both")
    before = trainable_count(model)
    backbone = backbone_layers(model)
    head = head_layers(model, backbone)
    if top is not None:
        if not isinstance(top, int) or top < 0:
            raise ValueError(f"zoo.unfreeze: top must be an int >= 0, got {top!r}")
        keep = backbone[len(backbone) - top:] if top else []
    elif from_block is not None:
        keep = backbone[_index_of(backbone, from_block, last=False):]
    else:
        keep = backbone
    _set_trainable(model, head + keep, batchnorm)
    return _finish(model, before, recompile, learning_rate, verbose)


def recompile_model(model, *, learning_rate=None):
    """Compile `model` again with its loss, metrics and settings, and a fresh optimizer of
    the same class and configuration (`learning_rate` replaces the rate or schedule).

    A model under `zoo.layerwise_lr` gets a fresh layer-wise optimizer with the same decay,
    its depths recounted (with `learning_rate` as the head's rate if given).
    """
    import keras

    optimizer = inner = model.optimizer
    while isinstance(inner, keras.optimizers.LossScaleOptimizer):  # mixed_float16 wraps it
        inner = inner.inner_optimizer
    if isinstance(inner, keras.optimizers.MultiOptimizer):
        decay = decay_of(inner)
        if decay is None:
            raise ValueError(
                f"zoo.freeze: {model.name!r} is compiled with a MultiOptimizer that "
                "zoo.layerwise_lr did not make, so zoo cannot rebuild it; pass "
                "recompile=False and compile the model yourself")
        layerwise_lr(model, learning_rate, decay=decay, verbose=False)
        return model
    opt_config = optimizer.get_config()
    if learning_rate is not None:
        opt_config["learning_rate"] = keras.optimizers.schedules.serialize(learning_rate) \
            if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule) \
            else float(learning_rate)
    return compile_with(model, optimizer.__class__.from_config(opt_config))

