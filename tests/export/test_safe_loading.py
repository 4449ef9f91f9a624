"""zoo.load refuses model files that would run code, read local files or exhaust resources,
with a clear error, before Keras deserializes anything; and safe mode stays on afterwards."""

import json
import os
import zipfile

import h5py
import keras
import numpy as np
import pytest
from keras.src.saving import serialization_lib

import zoo
from zoo.export.safety import UnsafeModelError


@pytest.fixture
def good_model(tmp_path):
    model = zoo.build("mlp", hidden_units=(8,), input_shape=(4,), num_classes=3)
    path = tmp_path / "good.keras"
    zoo.save(model, path)
    return model, path


def _rewrite(src, dst, *, config=None, members=None):
    """Copy a .keras archive, editing config.json and/or replacing/adding members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "config.json" and config is not None:
                data = json.dumps(config(json.loads(data))).encode()
            if members and info.filename in members:
                data = members.pop(info.filename)
            zout.writestr(info.filename, data)
        for name, data in (members or {}).items():
            zout.writestr(name, data)
    return dst


def _dense_layer(config):
    return next(layer for layer in config["config"]["layers"]
                if layer["class_name"] == "Dense")


def _assert_refused(path, message, marker=None):
    with pytest.raises(UnsafeModelError, match=message):
        zoo.load(path)
    assert serialization_lib.in_safe_mode() is not False, "safe mode was turned off"
    if marker is not None:
        assert not os.path.exists(marker), "the file ran code"


def test_a_good_model_still_loads(good_model):
    model, path = good_model
    x = np.random.default_rng(0).uniform(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(zoo.load(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def _lambda_model(marker):
    inputs = keras.Input((4,))
    touch = keras.layers.Lambda(lambda x: x + float(len(open(marker, "w").write("ran") * "x")))
    return keras.Model(inputs, keras.layers.Dense(2)(touch(inputs)))


def test_lambda_layer_in_keras_file_is_refused(tmp_path):
    marker = str(tmp_path / "marker")
    model = _lambda_model(marker)
    if os.path.exists(marker):
        os.remove(marker)  # building the model ran the lambda once, here, knowingly
    path = tmp_path / "lambda.keras"
    model.save(path)
    _assert_refused(path, r"is a Lambda, which runs arbitrary Python code", marker)


def test_lambda_layer_in_legacy_h5_is_refused_even_when_h5_is_allowed(tmp_path):
    marker = str(tmp_path / "marker")
    model = _lambda_model(marker)
    os.remove(marker)
    path = tmp_path / "lambda.h5"
    model.save(path)
    with pytest.raises(ValueError, match="refusing legacy HDF5 full-model file"):
        zoo.load(path)
    with pytest.raises(UnsafeModelError, match="Lambda"):
        zoo.load(path, allow_legacy_h5=True)
    assert not os.path.exists(marker)
    assert serialization_lib.in_safe_mode() is not False


@pytest.mark.parametrize("edit, message", [
    (lambda c: _dense_layer(c)["config"].update(activation={
        "module": "builtins", "class_name": "function", "config": "exec",
        "registered_name": "function"}), r"names the function builtins\.exec"),
    (lambda c: _dense_layer(c)["config"].update(kernel_initializer={
        "module": "keras.utils", "class_name": "function", "config": "get_file",
        "registered_name": "function"}), r"names the function keras\.utils\.get_file"),
    (lambda c: _dense_layer(c).update(module="subprocess", class_name="Popen",
                                      registered_name="Popen"),
     r"names the class subprocess\.Popen, which is neither Keras nor zoo"),
    (lambda c: _dense_layer(c)["config"].update(
        name="keras.config.enable_unsafe_deserialization"),
     r"mentions enable_unsafe_deserialization"),
    (lambda c: c["config"]["layers"].append({
        "module": "keras.layers", "class_name": "TFSMLayer", "registered_name": None,
        "config": {"filepath": "/tmp/somewhere", "name": "tfsm"}}),
     r"is a TFSMLayer, which loads a TensorFlow SavedModel"),
    (lambda c: c["config"]["layers"].append({
        "module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
        "config": {"vocabulary": "/etc/passwd", "name": "lookup"}}),
     r"StringLookup whose vocabulary is the file path '/etc/passwd'"),
])
def test_crafted_config_json_is_refused(good_model, tmp_path, edit, message):
    def mutate(config):
        edit(config)
        return config

    path = _rewrite(good_model[1], tmp_path / "crafted.keras", config=mutate)
    _assert_refused(path, message)


@pytest.mark.parametrize("kind", ["external", "soft"])
def test_hdf5_links_in_weights_are_refused(good_model, tmp_path, kind):
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.arange(3.0)
    weights = tmp_path / "weights.h5"
    with zipfile.ZipFile(good_model[1]) as z:
        weights.write_bytes(z.read("model.weights.h5"))
    with h5py.File(weights, "a") as f:
        if kind == "external":
            f["stolen"] = h5py.ExternalLink(str(secret), "/data")
        else:
            f["alias"] = h5py.SoftLink("/layers")
    path = _rewrite(good_model[1], tmp_path / "linked.keras",
                    members={"model.weights.h5": weights.read_bytes()})
    _assert_refused(path, rf"is an HDF5 {kind} link")


def test_member_escaping_the_folder_is_refused_and_nothing_is_written(good_model, tmp_path):
    path = _rewrite(good_model[1], tmp_path / "escape.keras",
                    members={"../../evil.py": b"print('pwned')"})
    before = set(os.listdir(tmp_path.parent))
    _assert_refused(path, r"member '\.\./\.\./evil\.py' escapes the archive folder")
    assert set(os.listdir(tmp_path.parent)) == before


def test_truncated_and_non_zip_files_are_refused(good_model, tmp_path):
    data = good_model[1].read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    _assert_refused(truncated, r"not a zip file \(or a truncated one\)")
    text = tmp_path / "text.keras"
    text.write_text("not a model")
    _assert_refused(text, r"not a \.keras archive")


def test_zip_bomb_is_refused_quickly(good_model, tmp_path):
    path = tmp_path / "bomb.keras"
    _rewrite(good_model[1], path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("assets/zeros.bin", b"\0" * (64 * 2**20))  # 64 MiB -> ~64 KiB compressed
    _assert_refused(path, r"refused as a zip bomb")


def test_savedmodel_folders_are_never_loaded(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\0")
    with pytest.raises(ValueError, match="TensorFlow SavedModel; zoo never loads"):
        zoo.load(tmp_path)


def test_hdf5_dataset_declaring_a_huge_size_is_refused_quickly(good_model, tmp_path):
    weights = tmp_path / "weights.h5"
    with zipfile.ZipFile(good_model[1]) as z:
        weights.write_bytes(z.read("model.weights.h5"))
    with h5py.File(weights, "a") as f:  # declares 16 TiB; stores nothing
        f.create_dataset("huge", shape=(2**42,), dtype="float32", chunks=(1024,))
    path = _rewrite(good_model[1], tmp_path / "huge.keras",
                    members={"model.weights.h5": weights.read_bytes()})
    _assert_refused(path, r"dataset /huge declares 17,592,186,044,416 bytes")
