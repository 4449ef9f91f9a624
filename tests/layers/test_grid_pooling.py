import numpy as np
import pytest

from zoo.layers import GridPooling2D
from zoo.layers.grid_pooling import grid_edges


def test_each_cell_is_the_mean_of_its_quarter_row_by_row():
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 3)).astype("float32")
    out = np.asarray(GridPooling2D(grid=2)(x))
    quarters = [x[:, :3, :2], x[:, :3, 2:], x[:, 3:, :2], x[:, 3:, 2:]]
    expected = np.concatenate([q.mean(axis=(1, 2)) for q in quarters], axis=-1)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_grid_one_is_global_average_pooling():
    x = np.random.default_rng(1).normal(size=(3, 5, 7, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(GridPooling2D(grid=1)(x)), x.mean(axis=(1, 2)),
                               rtol=1e-6, atol=1e-6)


def test_odd_sizes_split_into_non_empty_overlapping_cells():
    assert grid_edges(5, 2) == [(0, 3), (2, 5)]
    assert grid_edges(4, 2) == [(0, 2), (2, 4)]
    assert grid_edges(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert all(stop > start for start, stop in grid_edges(3, 3))


def test_a_map_smaller_than_the_grid_repeats_its_cells():
    """keras.applications backbones at 32x32 end in a 1x1 map: grid pooling must still work."""
    x = np.random.default_rng(3).normal(size=(2, 1, 1, 5)).astype("float32")
    np.testing.assert_allclose(np.asarray(GridPooling2D(grid=2)(x)),
                               np.tile(x[:, 0, 0], (1, 4)), rtol=1e-6)
    assert grid_edges(1, 2) == [(0, 1), (0, 1)]


def test_bad_grid_and_unknown_sizes_are_named():
    import keras

    with pytest.raises(ValueError, match="grid must be an int >= 1, got 0"):
        GridPooling2D(grid=0)
    with pytest.raises(ValueError, match="size must be known .* got Nonex8"):
        GridPooling2D()(keras.Input((None, 8, 3)))


def test_config_round_trips():
    layer = GridPooling2D(grid=3, name="cells")
    clone = GridPooling2D.from_config(layer.get_config())
    assert clone.grid == 3 and clone.name == "cells"


def test_a_backbone_with_grid_pooling_saves_and_loads_in_safe_mode(tmp_path):
    import keras

    import zoo
    from zoo.models.backbones import classifier

    base = zoo.backbone("zoo_mobilenet_synthetic", input_shape=(32, 32, 3), pooling="grid",
                        input_range=(0, 255))
    assert base.output_shape == (None, 4 * 256)  # 4 cells x the 256 channels of its last map
    model = classifier(base, num_classes=3)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")  # safe mode
    x = np.random.default_rng(2).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
