"""zoo.backbone: preprocessing inside the model, specs, multi-scale features, the instant
offline "imagenet" error, and sha256-checked shipped weights."""

import time
import warnings

import numpy as np
import pytest

import zoo
from zoo.models import backbone_specs, backbone_weights
from zoo.models.feature_maps import feature_layers


def test_imagenet_offline_fails_fast_naming_file_url_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("ZOO_ALLOW_DOWNLOAD", raising=False)
    start = time.perf_counter()
    with pytest.raises(backbone_weights.WeightsNotFoundError) as err:
        zoo.backbone("mobilenet_v2", input_shape=(96, 96, 3), weights="imagenet", alpha=0.35)
    assert time.perf_counter() - start < 5
    message = str(err.value)
    file = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    assert file in message
    assert f"https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/{file}" \
        in message
    assert str(tmp_path / "models") in message


def test_imagenet_uses_a_cached_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    file, _ = backbone_weights.imagenet_file("mobilenet_v3_small", size=224, alpha=1.0)
    assert file == "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / file).write_bytes(b"")
    assert backbone_weights.find_imagenet_weights("mobilenet_v3_small", size=224) == \
        tmp_path / "models" / file


@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_small", "resnet50"])
def test_preprocessing_matches_keras_applications(name):
    """[0, 1] inputs through zoo's layer equal [0, 255] inputs through keras' preprocess_input."""
    import keras

    module = {"mobilenet_v2": keras.applications.mobilenet_v2,
              "mobilenet_v3_small": keras.applications.mobilenet_v3,
              "resnet50": keras.applications.resnet50}[name]
    model = zoo.backbone(name, input_shape=(32, 32, 3), weights=None)
    layer = model.get_layer("preprocessing")
    x = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    ours = np.asarray(layer(x))
    theirs = np.asarray(module.preprocess_input(x * 255.0))
    if name == "mobilenet_v3_small":  # MobileNetV3 rescales inside: it wants [0, 255]
        theirs = x * 255.0
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-3)


def test_wrong_input_range_warns_on_first_call():
    model = zoo.backbone("zoo_mobilenet_shapes", input_shape=(32, 32, 3))
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    with pytest.warns(UserWarning, match=r"input_range=\(0.0, 1.0\)"):
        model(x)
    assert "input_range" in zoo.transfer.check_input_range(model, x)
    assert zoo.transfer.check_input_range(model, x / 255.0) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoo.backbone("zoo_mobilenet_shapes")(x / 255.0)


def test_multi_scale_features_by_stage_name():
    # sizes that do not divide: P<k> is ceil(size / 2**k) on each axis
    model = zoo.backbone("mobilenet_v2", input_shape=(72, 100, 3), weights=None, alpha=0.35,
                         features=[3, 4, 5])
    outputs = model(np.zeros((1, 72, 100, 3), "float32"))
    assert {k: tuple(v.shape[1:3]) for k, v in outputs.items()} == \
        {"P3": (9, 13), "P4": (5, 7), "P5": (3, 4)}
    resnet = zoo.backbone("resnet50", input_shape=(224, 224, 3), weights=None)
    assert {k: v for k, v in feature_layers(resnet).items() if k in ("P3", "P4", "P5")} == \
        {"P3": "conv3_block4_out", "P4": "conv4_block6_out", "P5": "conv5_block3_out"}
    # MobileNet v1 rounds odd sizes down (33 -> 17 -> 8 -> 4 -> 2 -> 1), and pads before each
    # stride: strides come from the graph, so neither the rounding nor a padded map misleads
    v1 = zoo.backbone("mobilenet_v1", input_shape=(33, 33, 3), weights=None, alpha=0.25)
    assert feature_layers(v1) == {"P1": "conv_pw_1_relu", "P2": "conv_pw_3_relu",
                                  "P3": "conv_pw_5_relu", "P4": "conv_pw_11_relu",
                                  "P5": "conv_pw_13_relu"}


def test_zoo_backbone_features_and_the_levels_it_has():
    """zoo_mobilenet_shapes (stem and first stack at stride 1, two stride-2 stacks) has P1 and
    P2; its layers are shared with the network its weights were loaded into, and the feature
    model still takes its maps from its own graph."""
    model = zoo.backbone("zoo_mobilenet_shapes", input_shape=(40, 56, 3), features=[1, 2])
    outputs = model(np.random.default_rng(0).uniform(0, 1, (2, 40, 56, 3)).astype("float32"))
    assert {k: tuple(v.shape) for k, v in outputs.items()} == \
        {"P1": (2, 20, 28, 96), "P2": (2, 10, 14, 128)}  # (40, 56) / 2**level
    assert np.all(np.isfinite(outputs["P2"])) and float(np.std(outputs["P2"])) > 0
    with pytest.raises(ValueError, match=r"no stage P3, P4, P5.*stride 4.*P1, P2.*\[3, 4, 5\]"):
        zoo.backbone("zoo_mobilenet_shapes", features=[3, 4, 5])
    with pytest.raises(ValueError, match=r"features must be .* got \[0, 1\]"):
        zoo.backbone("zoo_mobilenet_shapes", features=[0, 1])


def test_every_spec_builds_and_pools():
    for name, spec in backbone_specs.SPECS.items():
        if name == "resnet50":
            continue  # built above
        model = zoo.backbone(name, input_shape=(32, 32, 3),
                             weights="default" if spec.application is None else None,
                             pooling="avg")
        assert len(model.output_shape) == 2, name
        assert not model.trainable_weights  # trainable=False by default


def test_shipped_weights_are_verified(tmp_path):
    manifest = backbone_weights.read_manifest()
    weights = backbone_weights.ZOO_PRETRAINED["zoo_mobilenet_shapes"]["weights"]
    assert manifest[weights] == backbone_weights.sha256(backbone_weights.SAVED_MODELS / weights)
    assert (backbone_weights.SAVED_MODELS / weights).stat().st_size < 3_000_000
    (tmp_path / weights).write_bytes(b"tampered")
    (tmp_path / "MANIFEST.sha256").write_text(f"{manifest[weights]}  {weights}\n")
    with pytest.raises(ValueError, match="sha256"):
        backbone_weights.verified_path(weights, folder=tmp_path)


def test_unknown_backbone_suggests():
    with pytest.raises(ValueError, match="mobilenet_v2"):
        zoo.backbone("mobilenet_v22")
