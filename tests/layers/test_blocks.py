"""The functional blocks: residual, inception, inverted residual and separable. Their widths,
shortcuts and parameter counts follow the papers' formulas."""

import keras
import pytest

from zoo.layers import (
    apply_inception_block, apply_inverted_residual_block, apply_residual_block,
    apply_separable_block,
)


def _block(apply, shape, *args, **kwargs):
    inputs = keras.Input(shape)
    return keras.Model(inputs, apply(inputs, *args, name="b", **kwargs))


def _conv_params(model):
    return {layer.name: layer.count_params() for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))}


def test_basic_block_identity_shortcut():
    model = _block(apply_residual_block, (8, 8, 16), 16)
    assert model.output_shape == (None, 8, 8, 16)
    assert "b_0_conv" not in [layer.name for layer in model.layers]
    assert _conv_params(model) == {"b_1_conv": 3 * 3 * 16 * 16, "b_2_conv": 3 * 3 * 16 * 16}


def test_basic_block_projection_shortcut_when_shape_changes():
    model = _block(apply_residual_block, (8, 8, 16), 32, strides=2)
    assert model.output_shape == (None, 4, 4, 32)
    assert _conv_params(model)["b_0_conv"] == 16 * 32


def test_bottleneck_block_expands():
    model = _block(apply_residual_block, (8, 8, 64), 16, bottleneck=True, expansion=4)
    assert model.output_shape == (None, 8, 8, 64)
    assert _conv_params(model) == {"b_1_conv": 64 * 16, "b_2_conv": 9 * 16 * 16,
                                   "b_3_conv": 16 * 64}


def test_inception_block_concatenates_four_paths():
    filters = (8, 6, 12, 2, 4, 4)
    model = _block(apply_inception_block, (10, 10, 16), filters, batch_norm=False)
    assert model.output_shape == (None, 10, 10, 8 + 12 + 4 + 4)
    # C_out * C_in * K * K + C_out per convolution
    assert _conv_params(model) == {
        "b_1x1_conv": 8 * 16 + 8, "b_3x3_reduce_conv": 6 * 16 + 6, "b_3x3_conv": 12 * 6 * 9 + 12,
        "b_5x5_reduce_conv": 2 * 16 + 2, "b_5x5_conv": 4 * 2 * 25 + 4,
        "b_pool_proj_conv": 4 * 16 + 4,
    }


def test_inception_block_needs_six_widths():
    with pytest.raises(ValueError, match="got \\(1, 2, 3\\)"):
        _block(apply_inception_block, (8, 8, 4), (1, 2, 3))


@pytest.mark.parametrize("strides, filters, has_add", [(1, 16, True), (2, 16, False),
                                                        (1, 24, False)])
def test_inverted_residual_shortcut_only_when_shape_is_kept(strides, filters, has_add):
    model = _block(apply_inverted_residual_block, (8, 8, 16), filters, expansion=4,
                   strides=strides, se_ratio=0.25)
    names = [layer.name for layer in model.layers]
    assert ("b_add" in names) == has_add
    assert "b_se" in names
    size = 8 // strides
    assert model.output_shape == (None, size, size, filters)
    assert _conv_params(model) == {"b_expand_conv": 16 * 64, "b_depthwise_conv": 9 * 64,
                                   "b_project_conv": 64 * filters}


def test_separable_block_costs_depthwise_plus_pointwise():
    model = _block(apply_separable_block, (8, 8, 16), 32)
    assert _conv_params(model) == {"b_depthwise_conv": 3 * 3 * 16, "b_pointwise_conv": 16 * 32}
