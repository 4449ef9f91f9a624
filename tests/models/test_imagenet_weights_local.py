"""ImageNet weights stay first-class offline (issue #17): a weights file in the legacy Keras
HDF5 layout that keras.applications ships, written here from a MobileNetV2 (alpha 0.35, 96x96)
whose every variable is a seeded random tensor, loads exactly, with no download attempted,
through `weights="imagenet"` (the file in the Keras cache), `weights=PATH`, `zoo.finetune` and
`zoo finetune --weights PATH`; a corrupt, mismatched or full-model file fails with a ValueError
naming the file and what would fit."""

import h5py
import keras
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.models import backbone_weights

SHAPE = (96, 96, 3)
ALPHA = 0.35
FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"


def _randomized_mobilenet_v2(alpha, seed):
    """keras.applications' no-top MobileNetV2 with every variable set to a seeded random
    tensor: BatchNorm scales and variances in [0.5, 1.5], the rest near their initial scale
    (so training on it stays finite), none equal to Keras' initial values."""
    model = keras.applications.MobileNetV2(include_top=False, weights=None, alpha=alpha,
                                           input_shape=SHAPE)
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if variable.path.endswith(("gamma", "moving_variance")):
            value = rng.uniform(0.5, 1.5, shape)
        elif variable.path.endswith(("beta", "moving_mean")):
            value = rng.normal(0.0, 0.1, shape)
        else:
            value = rng.normal(0.0, max(float(np.std(variable.numpy())), 0.01), shape)
        variable.assign(value.astype("float32"))
    return model


def _write_legacy_h5(model, path):
    """The legacy Keras HDF5 weights layout (a `layer_names` attribute, a group per layer with
    `weight_names`): the layout of keras.applications' ImageNet files, written by Keras' own
    writer (Keras 3 `save_weights` only writes `.weights.h5`)."""
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def _values(model):
    """{layer name: [its weights as arrays]} for the layers of `model` that have weights."""
    return {layer.name: [np.asarray(w) for w in layer.weights]
            for layer in model.layers if layer.weights}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """(legacy .h5 of alpha 0.35, its {layer: values}, legacy .h5 of alpha 0.5)."""
    folder = tmp_path_factory.mktemp("weights")
    reference = _randomized_mobilenet_v2(ALPHA, seed=7)
    path = _write_legacy_h5(reference, folder / "mobilenet_v2_035_96_mine.h5")
    other = _write_legacy_h5(_randomized_mobilenet_v2(0.5, seed=8), folder / "alpha_050.h5")
    values = _values(reference)
    # recognisably not Keras' initial values
    assert not np.allclose(values["bn_Conv1"][3], 1.0)  # moving_variance starts at 1
    assert not np.allclose(values["bn_Conv1"][2], 0.0)  # moving_mean starts at 0
    return path, values, other


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty Keras cache at tmp_path/keras/models; any download attempt fails the test."""
    from keras.src.utils import file_utils

    def no_download(*args, **kwargs):
        raise AssertionError(f"a download was attempted: get_file{args}")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    monkeypatch.setattr(file_utils, "get_file", no_download)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("ZOO_ALLOW_DOWNLOAD", raising=False)
    cache = tmp_path / "keras" / "models"
    cache.mkdir(parents=True)
    return cache


def _assert_holds(model, values):
    """`model` (or a nested backbone in it) holds exactly `values` for every layer named there."""
    ours = _values(model)
    assert set(values) <= set(ours), sorted(set(values) - set(ours))[:5]
    for name, arrays in values.items():
        assert len(ours[name]) == len(arrays), name
        for got, want in zip(ours[name], arrays):
            np.testing.assert_array_equal(got, want, err_msg=name)


def test_imagenet_from_the_keras_cache_loads_the_cached_file(written, offline):
    path, values, _ = written
    assert backbone_weights.imagenet_file("mobilenet_v2", size=96, alpha=ALPHA)[0] == FILE
    (offline / FILE).write_bytes(path.read_bytes())
    model = zoo.backbone("mobilenet_v2", weights="imagenet", input_shape=SHAPE, alpha=ALPHA)
    _assert_holds(model, values)
    assert len(values) == 104  # every conv and BatchNorm layer of MobileNetV2 was compared


def test_weights_path_to_a_legacy_h5_file(written, offline):
    path, values, _ = written
    model = zoo.backbone("mobilenet_v2", weights=str(path), input_shape=SHAPE, alpha=ALPHA)
    _assert_holds(model, values)


def test_weights_path_to_a_keras3_weights_file_still_loads(written, offline, tmp_path):
    path, values, _ = written
    source = keras.applications.MobileNetV2(include_top=False, weights=None, alpha=ALPHA,
                                            input_shape=SHAPE)
    source.load_weights(path)  # Keras' own reader of the legacy layout
    _assert_holds(source, values)
    source.save_weights(tmp_path / "mine.weights.h5")
    model = zoo.backbone("mobilenet_v2", weights=tmp_path / "mine.weights.h5",
                         input_shape=SHAPE, alpha=ALPHA)
    _assert_holds(model, values)
    # layouts are told apart by content: a legacy file under a Keras 3 name still loads, a
    # Keras 3 file under a plain .h5 name (which Keras would misread) is refused, saying so
    (tmp_path / "legacy.weights.h5").write_bytes(path.read_bytes())
    _assert_holds(zoo.backbone("mobilenet_v2", weights=tmp_path / "legacy.weights.h5",
                               input_shape=SHAPE, alpha=ALPHA), values)
    (tmp_path / "keras3.h5").write_bytes((tmp_path / "mine.weights.h5").read_bytes())
    with pytest.raises(ValueError, match=r"keras3\.h5.*Keras 3 weights layout .* rename it"):
        zoo.backbone("mobilenet_v2", weights=tmp_path / "keras3.h5", input_shape=SHAPE,
                     alpha=ALPHA)


def _tiny_splits(n=16, seed=0):
    rng = np.random.default_rng(seed)

    def split(count):
        return (rng.uniform(0, 1, (count,) + SHAPE).astype("float32"),
                np.arange(count, dtype=np.int32) % 2)

    info = {"name": "tiny", "task": "classification", "num_classes": 2, "input_shape": SHAPE,
            "class_names": ["a", "b"], "value_range": (0.0, 1.0)}
    return zoo.data.Splits(split(n), split(8), split(8), info=info)


def test_finetune_starts_from_the_cached_imagenet_file(written, offline):
    """Phase 1 only (the backbone frozen, its BatchNorm in inference mode): every backbone
    variable in the fine-tuned model, kernels and BatchNorm statistics alike, is the file's."""
    path, values, _ = written
    (offline / FILE).write_bytes(path.read_bytes())
    result = zoo.finetune("mobilenet_v2", _tiny_splits(), weights="imagenet", input_shape=SHAPE,
                          alpha=ALPHA, epochs=(1, 0), batch_size=8, verbose=0)
    assert "phase1" in result.history
    # under 50 images per class the model is averaged with a linear probe (probe="auto"): the
    # fine-tuned classifier and the probe's backbone are nested in it, both from the file
    assert result.probe_examples
    for part in ("mobilenet_v2_finetuned", "probe_backbone"):
        inner = result.model.get_layer(part)
        _assert_holds(inner.get_layer("mobilenet_v2") if part.endswith("finetuned") else inner,
                      values)


def test_cli_finetune_with_a_legacy_h5_weights_file(written, offline, tmp_path):
    path, values, _ = written
    folder = tmp_path / "images"
    rng = np.random.default_rng(1)
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
        for i in range(10):
            image = rng.integers(0, 256, (24, 24, 3)).astype("float32")
            keras.utils.save_img(folder / label / f"{i}.png", image, scale=False)
    out = tmp_path / "run"
    rc = main(["finetune", "--backbone", "mobilenet_v2", "--weights", str(path),
               "--alpha", str(ALPHA), "--data", str(folder), "--out", str(out),
               "--image-size", "96", "--epochs", "1", "--finetune-epochs", "0",
               "--batch-size", "8", "--no-augment"])
    assert rc == 0
    # the saved run (safe-mode reload): phase 1 only, so the whole backbone is still the file's
    loaded = zoo.load(out)  # averaged with a linear probe (10 images per class)
    _assert_holds(loaded.get_layer("mobilenet_v2_finetuned").get_layer("mobilenet_v2"), values)
    _assert_holds(loaded.get_layer("probe_backbone"), values)


def test_a_corrupt_file_fails_naming_it_and_the_expected_file(offline, tmp_path):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError) as err:
        zoo.backbone("mobilenet_v2", weights=str(corrupt), input_shape=SHAPE, alpha=ALPHA)
    message = str(err.value)
    assert str(corrupt) in message and "not an HDF5 file" in message
    assert FILE in message and "alpha=0.35" in message
    # the same file in the cache, as "imagenet": the same clear error, naming the cached file
    (offline / FILE).write_bytes(corrupt.read_bytes())
    with pytest.raises(ValueError, match="not an HDF5 file") as err:
        zoo.backbone("mobilenet_v2", weights="imagenet", input_shape=SHAPE, alpha=ALPHA)
    assert str(offline / FILE) in str(err.value)


def test_a_file_for_another_width_fails_naming_it_and_the_expected_file(written, offline):
    _, _, other = written
    with pytest.raises(ValueError) as err:
        zoo.backbone("mobilenet_v2", weights=str(other), input_shape=SHAPE, alpha=ALPHA)
    message = str(err.value)
    assert str(other) in message and "does not match the network" in message
    # the first layer that differs (the stem has 16 filters at both widths)
    assert "layer #10 ('block_1_project') weight 'block_1_project/kernel' has shape " \
        "(1, 1, 48, 8), the file's block_1_project/block_1_project/kernel has (1, 1, 48, 16)" \
        in message
    assert FILE in message and "alpha=0.35" in message
    assert "Traceback" not in message


def test_a_full_model_file_and_other_formats_are_refused(offline, tmp_path):
    full = tmp_path / "full_model.h5"
    tiny = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    tiny.save(full)  # the legacy full-model HDF5 file: config and weights
    with pytest.raises(ValueError, match=r"full Keras model file .*weights only") as err:
        zoo.backbone("mobilenet_v2", weights=str(full), input_shape=SHAPE, alpha=ALPHA)
    assert str(full) in str(err.value)
    npz = tmp_path / "weights.npz"
    npz.write_bytes(b"0")
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5 .* or \.h5"):
        zoo.backbone("mobilenet_v2", weights=str(npz), input_shape=SHAPE, alpha=ALPHA)
