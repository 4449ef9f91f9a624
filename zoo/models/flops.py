"""FLOPs per forward pass of one example, counted analytically from layer shapes.

Convention (the one behind "ResNet-50: 4.1 GMACs = 8.2 GFLOPs"):
- one multiply-add counts as 2 FLOPs; the multiply-adds counted are those between inputs and
  weights: Dense / EinsumDense, Conv1D/2D/3D (groups included), DepthwiseConv1D/2D,
  SeparableConv1D/2D, Conv1D/2D/3DTranspose, SimpleRNN / GRU / LSTM (`gates * units *
  (input_dim + units)` per step), through Bidirectional and TimeDistributed, and any layer that
  defines `flops(input_shape) -> int` (zoo's own layers do: FireModule, SqueezeExcite);
- and attention's two matmuls, though between activations, as they dominate it at long
  sequences: for zoo's MultiHeadAttention, TransformerBlock and TransformerDecoderBlock, the
  query / key / value / output projections, then `Q K^T` and `A V` (`2 * T * S * num_heads *
  key_dim` FLOPs each for T queries over S keys: the whole T x S matrix, as computed, even
  under a causal mask), and the blocks' MLP; a decoder block's cross-attention is over the
  encoder's S steps, its second input (`attention_flops` is the formula);
- counted as 0 by design, being cheap next to those or foldable into them at inference: bias
  adds, activations, softmax, batch/layer normalization, pooling, element-wise add / multiply /
  concatenate (learned position embeddings and class tokens included), reshapes, resizing,
  dropout, embedding lookups, and every other layer or `keras.ops` operation without weights;
- a layer WITH weights and no rule counts 0 and is listed in `FlopsReport.uncounted` (e.g.
  Keras' own MultiHeadAttention), so an incomplete count says so.
Nested models are counted through; a layer shared between calls is counted once per call. The
batch dimension is 1; a layer with an unknown (None) non-batch dimension, such as a sequence
of free length (or a decoder block whose encoder length is free), cannot be counted and is
listed as uncounted: build the model with a stated length to count it.

    >>> import keras
    >>> from zoo.models.flops import count_flops
    >>> model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    >>> count_flops(model)  # 2 * (6*6 positions) * (3*3*3 inputs) * 4 filters
    7776
"""

from __future__ import annotations

import dataclasses
import math

# layers that cost nothing by the convention above (beyond their bias adds)
ZERO_COST = {
    "InputLayer", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "RMSNormalization", "Normalization", "Rescaling", "Resizing", "CenterCrop",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "Identity",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Embedding", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
    "RandomContrast", "RandomBrightness", "RandomCrop",
    "PositionEmbedding", "ClassToken",  # zoo's: a learned vector added / put in front
}


@dataclasses.dataclass
class FlopsReport:
    """`total` FLOPs; `per_layer` {layer name: FLOPs}; `uncounted` names of layers with no
    rule (counted as 0), as `"name (ClassName)"`."""

    total: int
    per_layer: dict
    uncounted: list


def _prod(dims) -> int:
    return math.prod(int(d) for d in dims)


def _positions(shape) -> int:
    """Spatial positions of a channels-last (batch, *spatial, channels) shape."""
    return _prod(shape[1:-1])


def _dense(layer, inp, out):
    # every output unit takes one multiply-add per input feature, at every leading position
    return 2 * _prod(inp[1:]) * int(out[-1])


def _einsum_dense(layer, inp, out):
    return 2 * _prod(inp[1:-1]) * _prod(layer.kernel.shape)


def _conv(layer, inp, out):
    # C_out * (K_h * K_w * C_in / groups) multiply-adds at each output position
    groups = getattr(layer, "groups", 1) or 1
    return 2 * _positions(out) * int(out[-1]) * _prod(layer.kernel_size) * int(inp[-1]) // groups


def _conv_transpose(layer, inp, out):
    # each input position scatters K_h * K_w * C_out multiply-adds per input channel
    return 2 * _positions(inp) * int(inp[-1]) * _prod(layer.kernel_size) * int(out[-1])


def _depthwise(layer, inp, out):
    return 2 * _positions(out) * int(out[-1]) * _prod(layer.kernel_size)


def _separable(layer, inp, out):
    depthwise_channels = int(inp[-1]) * int(layer.depth_multiplier)
    depthwise = 2 * _positions(out) * depthwise_channels * _prod(layer.kernel_size)
    return depthwise + 2 * _positions(out) * depthwise_channels * int(out[-1])


def _recurrent(layer, inp, out):
    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[type(layer).__name__]
    units = int(layer.units)
    return 2 * int(inp[1]) * gates * units * (int(inp[-1]) + units)


def _bidirectional(layer, inp, out):
    return sum(layer_flops(rnn, inp, None) or 0
               for rnn in (layer.forward_layer, layer.backward_layer))


def _time_distributed(layer, inp, out):
    inner = layer_flops(layer.layer, (inp[0], *inp[2:]), (out[0], *out[2:]))
    return int(inp[1]) * (inner or 0)


def attention_flops(query_length, key_length, *, num_heads, key_dim, query_dim,
                    value_dim=None) -> int:
    """FLOPs of multi-head attention of `query_length` queries of width `query_dim` over
    `key_length` keys/values of width `value_dim` (default `query_dim`), with `num_heads`
    heads of width `key_dim`, projected back to `query_dim`.

        >>> attention_flops(10, 10, num_heads=2, key_dim=4, query_dim=8)  # 2*(4*10*8*8 + 2*10*10*8)
        8320
    """
    value_dim = query_dim if value_dim is None else value_dim
    inner = num_heads * key_dim  # the heads concatenated
    # Q and the output projection at every query; K and V at every key
    projections = 2 * query_length * query_dim * inner + 2 * key_length * value_dim * inner
    # per head Q K^T, (T, hs) x (hs, S), and A V, (T, S) x (S, hs)
    products = 2 * query_length * key_length * inner
    return 2 * (projections + products)


def _attention(layer, inp, out, context=None):
    if not hasattr(layer, "query_kernel"):  # Keras' MultiHeadAttention: no rule (yet)
        return None
    context = inp if context is None else context
    if not _known(context):
        return None
    query_dim, num_heads, key_dim = (int(d) for d in layer.query_kernel.shape)
    return attention_flops(_prod(inp[1:-1]), _prod(context[1:-1]), num_heads=num_heads,
                           key_dim=key_dim, query_dim=query_dim, value_dim=int(context[-1]))


def _mlp(block, inp, out):
    hidden = (*inp[:-1], block.mlp_dim)
    return _dense(block.mlp_hidden, inp, hidden) + _dense(block.mlp_output, hidden, out)


def _transformer_block(layer, inp, out, context=None):
    return _attention(layer.attention, inp, out) + _mlp(layer, inp, out)


def _transformer_decoder_block(layer, inp, out, context=None):
    cross = _attention(layer.cross_attention, inp, out, context)  # over the encoder's S steps
    if cross is None:
        return None
    return _attention(layer.self_attention, inp, out) + cross + _mlp(layer, inp, out)


# layer class name -> rule(layer, input_shape, output_shape); other families may add rules
RULES = {
    "Dense": _dense,
    "EinsumDense": _einsum_dense,
    "Conv1D": _conv, "Conv2D": _conv, "Conv3D": _conv,
    "Conv1DTranspose": _conv_transpose, "Conv2DTranspose": _conv_transpose,
    "Conv3DTranspose": _conv_transpose,
    "DepthwiseConv1D": _depthwise, "DepthwiseConv2D": _depthwise,
    "SeparableConv1D": _separable, "SeparableConv2D": _separable,
    "SimpleRNN": _recurrent, "GRU": _recurrent, "LSTM": _recurrent,
    "Bidirectional": _bidirectional, "TimeDistributed": _time_distributed,
}
# rules for layers that attend: rule(layer, input_shape, output_shape, context_shape), the
# context being the keys/values' source (a second input of the call), None for self-attention
ATTENTION_RULES = {
    "MultiHeadAttention": _attention,
    "TransformerBlock": _transformer_block,
    "TransformerDecoderBlock": _transformer_decoder_block,
}


def _shape(tensor):
    return tuple(tensor.shape)


def _known(shape) -> bool:
    return all(d is not None for d in shape[1:])


def _nodes(model):
    """(operation, input shapes, output shapes) for every call in a functional/sequential graph."""
    graph = getattr(model, "_functional", None) or model  # a Sequential holds a Functional
    by_depth = getattr(graph, "_nodes_by_depth", None)
    if by_depth is None:
        return None
    calls = []
    for depth in sorted(by_depth, reverse=True):  # inputs first
        for node in by_depth[depth]:
            calls.append((node.operation, [_shape(t) for t in node.input_tensors],
                          [_shape(t) for t in node.output_tensors]))
    return calls


def _context(inputs):
    """A call's second input when shaped like its first: what an attention layer attends over
    (the encoder's outputs); a padding mask (B, T) is not one."""
    if len(inputs) > 1 and None not in inputs[:2] and len(inputs[1]) == len(inputs[0]):
        return inputs[1]
    return None


def layer_flops(layer, input_shape, output_shape, context_shape=None):
    """FLOPs of one call of `layer`, or None when there is no rule for it (or a dimension it
    needs is unknown); `context_shape` is what an attention layer attends over, if not itself."""
    kind = type(layer).__name__
    if kind in ZERO_COST or not getattr(layer, "weights", None):
        return 0
    shapes = [s for s in (input_shape, output_shape) if s is not None]
    if not shapes or not all(_known(s) for s in shapes):
        return None
    if hasattr(layer, "flops") and callable(layer.flops):
        return int(layer.flops(input_shape))
    if kind in ATTENTION_RULES:
        value = ATTENTION_RULES[kind](layer, input_shape, output_shape, context_shape)
        return None if value is None else int(value)
    if kind in RULES:
        return int(RULES[kind](layer, input_shape, output_shape))
    return None


def flops_report(model) -> FlopsReport:
    """Per-layer FLOPs of `model` (any built Keras model); see the module docstring."""
    per_layer, uncounted = {}, []
    calls = _nodes(model)
    if calls is None:  # a subclassed model: only its layers' recorded shapes are known
        calls = []
        for layer in model.layers:
            try:
                calls.append((layer, [_shape(layer.input)], [_shape(layer.output)]))
            except (AttributeError, ValueError):
                calls.append((layer, [None], [None]))
    for op, inputs, outputs in calls:
        name = getattr(op, "name", type(op).__name__)
        if type(op).__name__ == "InputLayer":
            continue
        if hasattr(op, "layers") and _nodes(op) is not None:  # a nested functional model
            inner = flops_report(op)
            per_layer.update({f"{name}/{k}": v for k, v in inner.per_layer.items()})
            uncounted.extend(f"{name}/{u}" for u in inner.uncounted)
            continue
        value = layer_flops(op, inputs[0] if inputs else None, outputs[0] if outputs else None,
                            _context(inputs))
        if value is None:
            uncounted.append(f"{name} ({type(op).__name__})")
            value = 0
        per_layer[name] = per_layer.get(name, 0) + value
    return FlopsReport(total=sum(per_layer.values()), per_layer=per_layer, uncounted=uncounted)


def count_flops(model) -> int:
    """FLOPs of one forward pass of one example through `model` (2 per multiply-add)."""
    return flops_report(model).total
