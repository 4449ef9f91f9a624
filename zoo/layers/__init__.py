"""Reusable custom layers, one concept per file, each registered serializable under package "zoo".

Importing this package registers them, so `.keras` files using them load in safe mode.

Layers (classes): `SqueezeExcite` (squeeze_excite.py), `FireModule` (fire.py),
`LastStep` (last_step.py), `PaddingMask` (padding_mask.py),
`GridPooling2D` (grid_pooling.py: the mean of each cell of a grid over a feature map),
`ImagePreprocessing` (preprocessing.py: a backbone's input range, mean/std, channel order).
Blocks as functional sub-graphs of standard layers (`apply_*(x, ..., name=)`):
`apply_residual_block` (residual.py), `apply_inception_block` (inception.py),
`apply_inverted_residual_block` and `apply_separable_block` (inverted_residual.py),
`apply_temporal_block` and its `receptive_field` (temporal_block.py).
`GaussianSampling` (sampling.py: a VAE's reparameterisation).
The output head every builder ends with: `prediction_layers` (Sequential) and
`apply_prediction_head` (functional), with `HEAD_INITIALIZER` and `output_activation` (heads.py).
"""

from zoo.layers.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from zoo.layers.class_token import ClassToken, FirstStep
from zoo.layers.fire import FireModule
from zoo.layers.grid_pooling import GridPooling2D
from zoo.layers.heads import (
    HEAD_INITIALIZER, apply_prediction_head, output_activation, prediction_layers,
)
from zoo.layers.inception import apply_inception_block
from zoo.layers.inverted_residual import apply_inverted_residual_block, apply_separable_block
from zoo.layers.last_step import LastStep
from zoo.layers.padding_mask import PaddingMask
from zoo.layers.position import PositionEmbedding, sinusoidal_position_encoding
from zoo.layers.preprocessing import ImagePreprocessing
from zoo.layers.residual import apply_residual_block
from zoo.layers.sampling import GaussianSampling, kl_divergence
from zoo.layers.squeeze_excite import SqueezeExcite
from zoo.layers.temporal_block import apply_temporal_block, receptive_field
from zoo.layers.transformer_block import TransformerBlock, TransformerDecoderBlock

__all__ = [
    "MultiHeadAttention", "causal_mask", "scaled_dot_product_attention", "ClassToken",
    "FirstStep", "PositionEmbedding", "sinusoidal_position_encoding", "TransformerBlock",
    "TransformerDecoderBlock",
    "GaussianSampling", "kl_divergence",
    "FireModule", "GridPooling2D", "SqueezeExcite", "apply_inception_block",
    "apply_inverted_residual_block",
    "apply_residual_block", "apply_separable_block",
    "ImagePreprocessing", "LastStep", "PaddingMask", "apply_temporal_block", "receptive_field",
    "HEAD_INITIALIZER", "apply_prediction_head", "output_activation", "prediction_layers",
]
