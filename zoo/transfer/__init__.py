"""Transfer learning: freeze policy, layer-wise learning rates, two-phase fine-tuning, and the
source task zoo pretrains its own backbones on.

    zoo.backbone("mobilenet_v2", input_shape=(96, 96, 3), weights="imagenet", features=[3, 4, 5])
    zoo.freeze(model, until="block_13"); zoo.unfreeze(model, top=20, learning_rate=1e-4)
    zoo.layerwise_lr(model, 1e-4, decay=0.8)  # each stage down trains 0.8x slower
    zoo.finetune("zoo_mobilenet_synthetic", "photos/", out="runs/ft", exports=["tflite-int8"])

Modules: model_parts.py (a transfer model's backbone and head layers, recompiling),
layerwise.py (layer-wise learning-rate decay), freeze.py (freeze/unfreeze, above layerwise),
finetune.py (the two-phase recipe), source_task.py (textured shapes; letters + fractals).
Building backbones is `zoo.models`' (re-exported here): backbones.py (`backbone`, `classifier`),
backbone_specs.py (input range, mean/std, sizes), backbone_weights.py (ImageNet weight files,
zoo's shipped weights, sha256-checked), feature_maps.py (strides and stage levels).
"""

from zoo.models.backbone_specs import SPECS, BackboneSpec, get_spec
from zoo.models.backbone_weights import WeightsNotFoundError
from zoo.models.backbones import backbone, classifier
from zoo.models.feature_maps import feature_layers, output_strides, stage_levels
from zoo.transfer.finetune import FinetuneResult, finetune
from zoo.transfer.freeze import freeze, recompile_model, trainable_count, unfreeze
from zoo.transfer.layerwise import depth_groups, layer_depths, layerwise_lr
from zoo.transfer.model_parts import leaf_layers


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
