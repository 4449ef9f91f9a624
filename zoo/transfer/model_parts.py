"""The parts of a transfer model that `freeze` and `layerwise_lr` both work on: its leaf layers,
which of them are the backbone and which the head, and recompiling it with a new optimizer.

A transfer model is `zoo.models.backbones.classifier(base)`: the backbone nested as one
functional model, the head around it; a flat model counts everything but "predictions" as
backbone.
"""

from __future__ import annotations


def is_container(layer) -> bool:
    """Whether `layer` is a model holding layers of its own (Functional, Sequential)."""
    return hasattr(layer, "layers") and hasattr(layer, "inputs")


def leaf_layers(model) -> list:
    """Every layer of `model` in graph order, nested functional models expanded."""
    leaves = []
    for layer in model.layers:
        if is_container(layer):
            leaves.extend(leaf_layers(layer))
        elif not layer.__class__.__name__ == "InputLayer":
            leaves.append(layer)
    return leaves


def backbone_layers(model) -> list:
    """The layers of the nested backbone model(s); if none is nested, all but the head."""
    nested = [layer for layer in model.layers if is_container(layer)]
    if nested:
        return [leaf for sub in nested for leaf in leaf_layers(sub)]
    return [layer for layer in leaf_layers(model) if layer.name != "predictions"]


def head_layers(model, backbone=None) -> list:
    """The leaf layers of `model` outside its backbone (`backbone_layers`, unless given)."""
    backbone_ids = {id(layer) for layer in (backbone_layers(model) if backbone is None
                                            else backbone)}
    return [layer for layer in leaf_layers(model) if id(layer) not in backbone_ids]


def compile_with(model, optimizer):
    """Compile `model` again with the loss, metrics and settings it was compiled with, and
    `optimizer`."""
    config = dict(model._compile_config.config)  # the objects compile() was given
    config["optimizer"] = optimizer
    model.compile(**config)
    return model
