"""`zoo export` on any run, the way a user runs it: an image run (`zoo train` on a folder of digit
PNGs the test writes) exported to ONNX, and a sequence run (`zoo train lstm_regressor` on
sequences:adding) to SavedModel and TFLite float32 -- each checked on the run's own data, the
files then run by ONNX Runtime / LiteRT here and compared with the Keras model independently.
A converter that writes garbage, or a model that is not the run's, is FAILED (exit code 1),
never a success; mistakes are one line and exit code 2."""

import re

import numpy as np
import pytest

import zoo
from zoo.cli import main

CLASSES = ("zero", "one", "two")


def _last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def _number(line, label) -> float:
    return float(re.search(rf"{label} ([0-9.e+-]+)", line).group(1))


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    import keras

    root = tmp_path_factory.mktemp("export_image")
    data = zoo.data.digits(image_size=16, channels=1, validation_split=0.0, test_split=0.0,
                           as_numpy=True, seed=0)
    x, y = data.train
    for i in np.flatnonzero(y < 3)[:60]:
        folder = root / "images" / CLASSES[y[i]]
        folder.mkdir(parents=True, exist_ok=True)
        keras.utils.save_img(folder / f"{i:04d}.png", x[i] * 255.0, scale=False)
    out = root / "run"
    assert main(["train", "cnn", "--data", str(root / "images"), "--out", str(out),
                 "--epochs", "2", "--image-size", "16", "--no-tensorboard"]) == 0
    return root, out


@pytest.fixture(scope="module")
def sequence_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("export_sequence") / "run"
    assert main(["train", "lstm_regressor", "--data", "sequences:adding", "--out", str(out),
                 "--epochs", "1", "--no-tensorboard"]) == 0
    return out


def test_image_run_to_onnx_matches_keras(image_run, capsys):
    import onnxruntime

    root, run = image_run
    capsys.readouterr()
    assert main(["export", str(run), "--format", "onnx"]) == 0
    line = _last_line(capsys)
    assert line.startswith("zoo export: onnx ok: max |diff| ")
    assert "on 60 images of" in line  # the run's own training folder
    assert _number(line, r"max \|diff\|") <= 1e-4
    assert _number(line, "top-1 agreement") == 1.0
    # independently: ONNX Runtime on the file against the Keras model
    session = onnxruntime.InferenceSession(str(run / "exports" / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    model = zoo.load(run)
    x = np.random.default_rng(1).random((16, *model.inputs[0].shape[1:]), dtype=np.float32)
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-4)


@pytest.mark.parametrize("fmt", ["savedmodel", "tflite-float32"])
def test_sequence_run_exports_with_parity_on_its_own_data(sequence_run, capsys, fmt):
    capsys.readouterr()
    assert main(["export", str(sequence_run), "--format", fmt]) == 0
    line = _last_line(capsys)
    assert line.startswith(f"zoo export: {fmt} ok: max |diff| ")
    # the test split of the dataset metrics.json records (2000 * 0.15 = 300; 200 drawn)
    assert "on 200 examples of sequences:adding (test split)" in line
    assert _number(line, "relative error") <= 1e-4  # a regression output: no top-1
    assert "top-1" not in line
    name = "saved_model" if fmt == "savedmodel" else "model_float32.tflite"
    assert (sequence_run / "exports" / name).exists()


def test_sequence_tflite_runs_in_litert_like_keras(sequence_run):
    from ai_edge_litert.interpreter import Interpreter

    file = sequence_run / "exports" / "model_float32.tflite"
    if not file.exists():
        assert main(["export", str(sequence_run), "--format", "tflite-float32"]) == 0
    x = zoo.data.load("sequences:adding", seed=0, as_numpy=True).test[0][:10]
    runner = Interpreter(model_path=str(file)).get_signature_runner()
    name = next(iter(runner.get_input_details()))
    got = np.concatenate([next(iter(runner(**{name: x[i:i + 1]}).values())) for i in range(10)])
    np.testing.assert_allclose(got, zoo.load(sequence_run).predict(x, verbose=0), atol=1e-4)


def test_a_converter_that_writes_garbage_is_failed(sequence_run, capsys, monkeypatch, tmp_path):
    import zoo.export.tflite

    def garbage(model, path, **kwargs):
        path.write_bytes(b"not a flatbuffer")
        return path

    monkeypatch.setattr(zoo.export.tflite, "export_tflite", garbage)
    out = tmp_path / "m.tflite"
    capsys.readouterr()
    assert main(["export", str(sequence_run), "--format", "tflite-float32",
                 "--out", str(out)]) == 1
    line = _last_line(capsys)
    assert line.startswith("zoo export: tflite-float32 FAILED")
    assert " ok" not in line
    assert not out.exists() and (tmp_path / "m.tflite.failed").read_bytes() == b"not a flatbuffer"


def test_an_onnx_file_of_another_model_fails_parity(image_run, capsys, monkeypatch, tmp_path):
    import keras

    import zoo.export.onnx

    root, run = image_run
    def another_model(model):  # the same architecture with fresh weights
        clone = keras.models.clone_model(model)
        clone(np.zeros((1, *model.inputs[0].shape[1:]), "float32"))
        return clone

    monkeypatch.setattr(zoo.export.onnx, "float32_model", another_model)
    out = tmp_path / "m.onnx"
    capsys.readouterr()
    assert main(["export", str(run), "--format", "onnx", "--out", str(out)]) == 1
    line = _last_line(capsys)
    assert line.startswith("zoo export: onnx FAILED: max |diff| ")
    assert _number(line, r"max \|diff\|") > 1e-4
    assert not out.exists() and (tmp_path / "m.onnx.failed").is_file()


def test_mistakes_are_one_line_and_exit_2(sequence_run, image_run, capsys):
    root, run = image_run
    assert main(["export", str(sequence_run), "--format", "savedmodel",
                 "--data", str(root / "images")]) == 2
    assert "is an image folder, but" in capsys.readouterr().err
    assert main(["export", str(sequence_run), "--format", "savedmodel", "--data", "digits"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo export: error:") and len(err.strip().splitlines()) == 1
    assert "'digits' gives inputs of shape (8, 8)" in err
    assert "takes (None, 20, 2)" not in err and "takes (20, 2)" in err
    assert main(["export", str(sequence_run / "model.keras"), "--format", "onnx"]) == 2
    assert "records no data" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: an unknown format
        main(["export", str(sequence_run), "--format", "coreml"])


def test_a_mixed_precision_model_exports_from_its_float32_copy(tmp_path):
    """Keras' ONNX export (and TFLite's kernels) need float32 layers: a mixed_bfloat16 model
    is copied into float32 with its weights, and the ONNX file computes what the copy does."""
    from zoo.export.onnx import export_onnx, float32_model, predict_onnx
    from zoo.train.policy import precision_scope

    with precision_scope("mixed_bfloat16"):
        model = zoo.build("mlp", input_shape=(8, 8), num_classes=4)
    copy = float32_model(model)
    assert {layer.dtype_policy.name for layer in copy._flatten_layers()} == {"float32"}
    for ours, theirs in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    x = np.random.default_rng(0).random((8, 8, 8), dtype=np.float32)
    expected = np.asarray(model.predict(x, verbose=0), np.float32)
    np.testing.assert_allclose(copy.predict(x, verbose=0), expected, atol=2e-2)
    got = predict_onnx(export_onnx(model, tmp_path / "m.onnx"), x)
    np.testing.assert_allclose(got, copy.predict(x, verbose=0), atol=1e-5)
    assert float32_model(copy) is copy  # already float32: itself
