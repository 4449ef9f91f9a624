"""`zoo predict RUN INPUT...` the way a user runs it: on a `zoo train` run folder trained on a
folder of digit PNGs the test writes, over held-out files and a folder, with a corrupt file among
them (named, skipped, counted), a CSV with a header, class names from the run itself; the
Python twin gives the same answers; bad input is one clear line and exit code 2."""

import csv

import numpy as np
import pytest

import zoo
from zoo.cli import main

CLASSES = ("zero", "one", "two")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    import keras

    root = tmp_path_factory.mktemp("predict")
    data = zoo.data.digits(image_size=32, channels=1, validation_split=0.0, test_split=0.0,
                           as_numpy=True, seed=0)
    x, y = data.train
    keep = np.flatnonzero(y < 3)[:150]
    truth = {}
    for i, (image, label) in enumerate(zip(x[keep], y[keep])):
        split = "held_out" if i < 24 else "images"
        folder = root / split / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        keras.utils.save_img(folder / f"{i:04d}.png", image * 255.0, scale=False)
        truth[str(folder / f"{i:04d}.png")] = CLASSES[label]
    out = root / "run"
    assert main(["train", "cnn", "--data", str(root / "images"), "--out", str(out),
                 "--epochs", "8", "--image-size", "32", "--no-tensorboard"]) == 0
    return root, out, truth


def test_predict_cli_names_classes_skips_corrupt_files_and_writes_csv(trained, capsys):
    root, run, truth = trained
    corrupt = root / "held_out" / "zero" / "broken.png"
    corrupt.write_bytes(b"not an image")
    table = root / "preds.csv"
    capsys.readouterr()
    assert main(["predict", str(run), str(root / "held_out"), "--top-k", "2",
                 "--out", str(table)]) == 0
    captured = capsys.readouterr()
    assert f"skipped {corrupt}" in captured.err
    assert captured.out.strip().splitlines()[-1] == (
        f"zoo predict: 24 predicted, 1 skipped; wrote {table}")
    rows = list(csv.reader(table.open()))
    assert rows[0] == ["input", "label_1", "probability_1", "label_2", "probability_2"]
    assert len(rows) == 25
    correct = sum(row[1] == truth[row[0]] for row in rows[1:])
    assert correct / 24 >= 0.8  # the class names are the run's own, in its order
    for row in rows[1:]:
        assert float(row[2]) >= float(row[4])
    corrupt.unlink()


def test_python_twin_matches_and_bad_input_is_one_line(trained, capsys, tmp_path):
    root, run, truth = trained
    files = sorted(truth)[:5]
    result = zoo.predict(run, files, top_k=1)
    assert result.files == files and not result.skipped
    lines = list(result.lines())
    assert all(line.startswith(f) for line, f in zip(lines, files))
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(tmp_path), files[0]]) == 2  # a folder without a model
    assert "without model.keras" in capsys.readouterr().err
    assert main(["predict", str(run), str(tmp_path / "empty")]) == 2
    assert "holds no images" in capsys.readouterr().err
    with pytest.raises(ValueError, match="top_k"):
        zoo.predict(run, files, top_k=0)


def test_evaluate_matches_scikit_learn_and_writes_its_files(trained, capsys):
    import json

    from sklearn.metrics import classification_report

    root, run, truth = trained
    assert main(["evaluate", str(run), "--data", str(root / "held_out")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("zoo evaluate: accuracy ")
    folder = run / "evaluation"
    for name in ("evaluation.json", "confusion_matrix.png", "reliability.png"):
        assert (folder / name).is_file(), name
    record = json.loads((folder / "evaluation.json").read_text())
    # the same predictions, scored by scikit-learn
    result = zoo.predict(run, [root / "held_out"], top_k=1)
    names = record["class_names"]
    y = [names.index(truth[f]) for f in result.files]
    predicted = [names.index(top[0][0]) for top in result.top]
    reference = classification_report(y, predicted, labels=list(range(len(names))),
                                      target_names=names, output_dict=True, zero_division=0)
    assert record["accuracy"] == pytest.approx(reference["accuracy"])
    for name in names:
        for key in ("precision", "recall", "f1-score", "support"):
            ours = record["per_class"][name]["f1" if key == "f1-score" else key]
            assert ours == pytest.approx(reference[name][key]), (name, key)
    assert np.sum(record["confusion_matrix"]) == 24
    bins = record["calibration_bins"]
    assert sum(b["count"] for b in bins) == 24
    ece = sum(b["count"] / 24 * abs(b["accuracy"] - b["confidence"]) for b in bins)
    assert record["expected_calibration_error"] == pytest.approx(ece)
    assert 0.0 <= ece <= 1.0


def test_evaluate_names_a_folder_of_other_classes(trained, tmp_path, capsys):
    import shutil

    root, run, truth = trained
    shutil.copytree(root / "held_out" / "zero", tmp_path / "cats")
    assert main(["evaluate", str(run), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown: ['cats']" in err and "zoo evaluate: error:" in err


@pytest.mark.parametrize("fmt", ["savedmodel", "tflite-float32", "tflite-int8"])
def test_export_any_run_checks_parity_on_the_runs_own_images(trained, capsys, fmt):
    root, run, truth = trained
    assert main(["export", str(run), "--format", fmt]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"zoo export: {fmt} ok: max |diff| ")
    assert "on 126 images" in last  # the run's own training folder (150 - 24 held out)
    name = "saved_model" if fmt == "savedmodel" else f"model_{fmt[7:]}.tflite"
    assert (run / "exports" / name).exists()


def test_a_broken_export_is_not_called_a_success(trained, capsys, monkeypatch, tmp_path):
    from zoo.export import check

    root, run, truth = trained
    monkeypatch.setitem(check.BARS, "tflite-float16", ("max_abs_diff", -1.0))  # unmeetable
    out = tmp_path / "m.tflite"
    assert main(["export", str(run), "--format", "tflite-float16", "--out", str(out),
                 "--data", str(root / "held_out")]) == 1
    assert "tflite-float16 FAILED" in capsys.readouterr().out
    assert not out.exists() and (tmp_path / "m.tflite.failed").is_file()
