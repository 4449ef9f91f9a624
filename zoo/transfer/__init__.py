"""Transfer learning: pretrained backbones with preprocessing inside, multi-scale features,
freeze policy, two-phase fine-tuning, and zoo's own offline-pretrained backbones.

    zoo.backbone("mobilenet_v2", input_shape=(96, 96, 3), weights="imagenet", features=[3, 4, 5])
    zoo.freeze(model, until="block_13"); zoo.unfreeze(model, top=20, learning_rate=1e-4)
    zoo.layerwise_lr(model, 1e-4, decay=0.8)  # each stage down trains 0.8x slower
    zoo.finetune("zoo_mobilenet_shapes", "photos/", out="runs/ft", exports=["tflite-int8"])

Modules: specs.py (input range, mean/std, sizes, ImageNet weight files), backbone.py,
freeze.py, layerwise.py (layer-wise learning-rate decay), finetune.py, pretrained.py (shipped
weights, sha256-checked), source_task.py.
"""

from zoo.transfer.backbone import (
    backbone, classifier, feature_layers, output_strides, stage_levels,
)
from zoo.transfer.finetune import FinetuneResult, finetune
from zoo.transfer.freeze import freeze, leaf_layers, recompile_model, trainable_count, unfreeze
from zoo.transfer.layerwise import depth_groups, layer_depths, layerwise_lr
from zoo.transfer.specs import SPECS, BackboneSpec, WeightsNotFoundError, get_spec


def check_input_range(model, x):
    """A message if NumPy images `x` do not fit the input_range `model`'s preprocessing
    layer was built for (None if they do, or if it has none)."""
    import numpy as np

    from zoo.layers.preprocessing import ImagePreprocessing, range_problem

    for layer in leaf_layers(model):
        if isinstance(layer, ImagePreprocessing):
            x = np.asarray(x)
            return range_problem(float(x.min()), float(x.max()), layer.input_range)
    return None


__all__ = [
    "SPECS", "BackboneSpec", "FinetuneResult", "WeightsNotFoundError", "backbone",
    "check_input_range", "classifier", "depth_groups", "feature_layers", "finetune", "freeze",
    "get_spec", "layer_depths", "layerwise_lr", "leaf_layers", "output_strides",
    "recompile_model", "stage_levels", "trainable_count", "unfreeze",
]
