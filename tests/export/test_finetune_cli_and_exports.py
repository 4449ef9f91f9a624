"""`zoo finetune` on an image folder (a sub-folder per class, built from zoo.data.shapes) makes a
run folder above a stated accuracy, and its SavedModel / TFLite / ONNX exports predict like the
Keras model: float32 max |diff| < 1e-4, float16 < 2e-2, int8 top-1 agreement >= 90%."""

import contextlib
import io
import json

import numpy as np
import pytest

import zoo
from zoo.cli import main

CLASSES = ("circle", "square", "triangle")
MIN_ACCURACY = 0.80  # measured 0.9x (seed 0, 3 classes, 36 test images)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import keras

    root = tmp_path_factory.mktemp("finetune")
    data = zoo.data.shapes(n=240, image_size=32, classes=CLASSES, noise=0.05, seed=3,
                           validation_split=0.0, test_split=0.0, as_numpy=True)
    x, y = data.train
    for i, (image, label) in enumerate(zip(x, y)):
        folder = root / "images" / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        keras.utils.save_img(folder / f"{i:04d}.png", image * 255.0, scale=False)
    out = root / "run"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        rc = main(["finetune", "--data", str(root / "images"), "--out", str(out),
                   "--image-size", "32", "--epochs", "4", "--finetune-epochs", "4",
                   "--learning-rate", "3e-3", "--batch-size", "16",
                   "--export", "savedmodel", "--export", "tflite-float32",
                   "--export", "tflite-float16", "--export", "tflite-int8",
                   "--export", "onnx"])
    assert rc == 0
    splits = zoo.data.image_folder(root / "images", image_size=32, as_numpy=True, seed=0)
    return out, splits, printed.getvalue()


@pytest.mark.slow
def test_finetune_run_folder_is_complete_and_accurate(run):
    out, splits, _ = run
    for name in ("model.keras", "config.json", "metadata.json", "README.md", "history.json",
                 "confusion_matrix.png"):
        assert (out / name).is_file(), name
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["preprocessing"]["input_range"] == [0.0, 255.0]  # folder pixels
    assert metadata["metrics"]["test"]["accuracy"] >= MIN_ACCURACY
    config = json.loads((out / "config.json").read_text())
    assert config["backbone"]["name"] == "zoo_mobilenet_synthetic"  # the CLI default
    model = zoo.load(out)  # safe mode
    x, y = splits.test
    accuracy = np.mean(np.argmax(model.predict(x, verbose=0), -1) == y)
    assert accuracy >= MIN_ACCURACY
    assert "test accuracy" in (out / "README.md").read_text()


@pytest.mark.slow
def test_exports_agree_with_keras_model(run):
    from zoo.export.onnx import predict_onnx
    from zoo.export.savedmodel import serve
    from zoo.export.tflite import predict_tflite

    out, splits, _ = run
    model = zoo.load(out)
    x = splits.test[0][:32]
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(serve(out / "saved_model", x), expected, atol=1e-5)
    np.testing.assert_allclose(predict_tflite(out / "model_float32.tflite", x), expected,
                               atol=1e-4)
    np.testing.assert_allclose(predict_tflite(out / "model_float16.tflite", x), expected,
                               atol=2e-2)
    np.testing.assert_allclose(predict_onnx(out / "model.onnx", x), expected, atol=1e-4)
    int8 = predict_tflite(out / "model_int8.tflite", x)
    agreement = np.mean(np.argmax(int8, -1) == np.argmax(expected, -1))
    assert agreement >= 0.90, agreement
    sizes = {p: (out / f"model_{p}.tflite").stat().st_size for p in ("float32", "int8")}
    assert sizes["int8"] < sizes["float32"] / 2


@pytest.mark.slow
def test_each_export_prints_its_parity_and_the_summary_line_names_it(run):
    out, _, printed = run
    lines = printed.strip().splitlines()
    for kind, name in (("savedmodel", "saved_model"), ("tflite-float32", "model_float32.tflite"),
                       ("tflite-float16", "model_float16.tflite"),
                       ("tflite-int8", "model_int8.tflite"), ("onnx", "model.onnx")):
        parity = [line for line in lines if line.startswith(f"export: {kind} ok: ")]
        assert len(parity) == 1, (kind, lines[-8:])
        assert "training images" in parity[0] and parity[0].endswith(str(out / name))
        assert f"; {kind} ok" in lines[-1]
    assert lines[-1].startswith("zoo finetune: test accuracy ")
    assert not list(out.glob("*.failed"))


def test_an_unknown_export_is_refused_before_any_training(tmp_path):
    with pytest.raises(ValueError, match=r"unknown export\(s\) \['tflite-int4'\]"):
        zoo.finetune("zoo_mobilenet_synthetic", tmp_path / "no-such-folder", out=tmp_path,
                     exports=["tflite-int4"])
    with pytest.raises(ValueError, match="exports need out="):
        zoo.finetune("zoo_mobilenet_synthetic", tmp_path / "no-such-folder",
                     exports=["onnx"])


@pytest.mark.slow
def test_predict_reads_a_finetune_runs_classes_and_pixel_range(run, capsys):
    """`zoo predict` on a fine-tuned run: the class names and the [0, 255] range come from the
    run's metadata.json, and its answers are the Keras model's on the same files."""
    out, splits, _ = run
    files = splits.info["files"]["test"][:12]
    assert main(["predict", str(out), *files, "--top-k", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "zoo predict: 12 predicted, 0 skipped"
    expected = np.argmax(zoo.load(out).predict(splits.test[0][:12], verbose=0), -1)
    names = sorted(CLASSES)  # the folder's class order, as the run recorded it
    for line, file, label in zip(lines[:-1], files, expected):
        assert line.startswith(f"{file}  {names[label]} ")
