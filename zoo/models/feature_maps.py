"""Where a functional model's feature maps are: each layer's output stride, found by walking
the graph, and the last layer of each stride level ("P3": stride 8, ...). `zoo.backbone(...,
features=)` takes its multi-scale outputs from here; `zoo.layerwise_lr` counts depth in these
stages. Reads any Keras functional model; builds nothing, so no Keras import of its own.
"""

from __future__ import annotations


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
