"""The arithmetic behind benchmarks/gpu_finetune_vs_timm.py's roofline (the timing itself runs
on a GPU machine; `--smoke` runs the zoo half on CPU)."""

import keras
import pytest

from benchmarks.gpu_finetune_vs_timm import (activation_elements, hbm_bytes_s,
                                             roofline_images_s)


def test_activation_elements_fused_counts_weight_layers_unfused_every_layer():
    model = keras.Sequential([
        keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"),
        keras.layers.BatchNormalization(), keras.layers.ReLU(),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2),
    ])
    assert activation_elements(model) == {"fused": 8 * 8 * 4 + 2,
                                          "unfused": 3 * 8 * 8 * 4 + 4 + 2}


def test_roofline_is_bandwidth_over_bytes_per_image():
    roof = roofline_images_s({"fused": 100, "unfused": 300}, "train", 1e9)
    assert roof["fused_bytes_per_image"] == 100 * 2 * 5  # bf16, 5 passes per training step
    assert roof["fused"] == pytest.approx(1e9 / 1000)
    assert roofline_images_s({"fused": 100, "unfused": 300}, "frozen", 1e9)["fused"] == \
        pytest.approx(1e9 / 400)  # forward only: written once, read once
    assert roofline_images_s({"fused": 1, "unfused": 1}, "train", None)["fused"] is None


@pytest.mark.parametrize("device, expected", [
    ("gpu NVIDIA H200", 4.8e12), ("NVIDIA H100 80GB HBM3", 3.35e12),
    ("NVIDIA H100 PCIe", 2.0e12), ("cpu", None)])
def test_hbm_bandwidth_by_device_name(device, expected):
    assert hbm_bytes_s(device) == expected
    assert hbm_bytes_s(device, override_gbs=1000) == 1e12
