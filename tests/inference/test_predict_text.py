"""`zoo predict RUN INPUT...` on runs that do not take images, the way a user runs it: a text
classifier (`zoo train transformer_classifier` on text:modules) on a text file of lines and on
a literal string, tokenized with the run's own vocabulary.json; a sequence classifier and a
regressor on `.npy` arrays (one input, a batch, a folder); the answers equal the Keras model's
on the same inputs; unreadable or misshapen files are named, skipped and counted; input of the
wrong kind for the run is one clear line and exit code 2."""

import csv
import json

import numpy as np
import pytest

import zoo
from zoo.cli import main

TINY_TRANSFORMER = ["--set", "d_model=16", "--set", "num_heads=2", "--set", "num_layers=1",
                    "--set", "mlp_dim=32"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict_text")
    trainings = {
        "text": ["transformer_classifier", *TINY_TRANSFORMER],
        "parity": ["rnn", "--data", "sequences:parity", "--set", "vocab_size=None",
                   "--set", "mask_zero=False", "--set", "stackwise_units=(8,)"],
        "sine": ["mlp_regressor", "--set", "hidden_units=(16,)"],
        "image": ["mlp", "--data", "shapes", "--set", "hidden_units=(16,)"],
    }
    for name, argv in trainings.items():
        assert main(["train", *argv, "--epochs", "1", "--batch-size", "64",
                     "--out", str(root / name), "--no-tensorboard"]) == 0
    return root


def _predict(capsys, *argv):
    capsys.readouterr()
    code = main(["predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _model_probabilities(run, x):
    return zoo.load(run / "model.keras").predict(np.asarray(x), verbose=0)


def test_text_file_and_literal_are_tokenized_as_training_was(runs, tmp_path, capsys):
    run = runs / "text"
    data = zoo.data.load("text:modules", as_numpy=True, seed=0)  # what zoo train read
    record = json.loads((run / "vocabulary.json").read_text())
    assert record["tokens"] == data.info["vocab"] and record["level"] == "char"
    tokens = record["tokens"]
    # held-out lines, written back as text: those that round-trip exactly (no "<unk>", no
    # outer spaces cut at the 64-token window, one line)
    rows, lines = [], []
    for row in data.test[0]:
        text = "".join(tokens[i] for i in row if i != 0)
        if 1 not in row and text == text.strip() and len(text.splitlines()) == 1:
            rows.append(row)
            lines.append(text)
        if len(rows) == 12:
            break
    (tmp_path / "lines.txt").write_text("\n".join(lines[:6]) + "\n\n" + "\n".join(lines[6:]))
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x9c not utf-8")
    table = tmp_path / "preds.csv"
    literal = "self.assertEqual(result, expected)"
    code, out, err = _predict(capsys, str(run), str(tmp_path / "lines.txt"), literal,
                              str(tmp_path / "binary.txt"), "--top-k", "3", "--out", str(table))
    assert code == 0, err
    assert f"skipped {tmp_path / 'binary.txt'} (not UTF-8 text)" in err
    assert out.strip().splitlines()[-1] == f"zoo predict: 13 predicted, 1 skipped; wrote {table}"
    printed = out.strip().splitlines()[:-1]
    assert printed[0].startswith(json.dumps(lines[0]) + "  ")  # the text itself, quoted
    assert printed[-1].startswith(json.dumps(literal) + "  ")
    table_rows = list(csv.reader(table.open()))
    assert table_rows[0] == ["input", "label_1", "probability_1", "label_2", "probability_2",
                             "label_3", "probability_3"]
    assert [r[0] for r in table_rows[1:]] == lines + [literal]  # blank line skipped, in order
    expected = _model_probabilities(run, rows)
    for table_row, probabilities in zip(table_rows[1:], expected):
        best = int(np.argmax(probabilities))
        assert table_row[1] == data.info["class_names"][best]  # the run's own class names
        assert float(table_row[2]) == pytest.approx(probabilities[best], abs=1e-5)
        assert float(table_row[2]) >= float(table_row[4]) >= float(table_row[6])
    # token ids in a .npy are read as they are, through the Python twin
    np.save(tmp_path / "ids.npy", np.stack(rows[:3]))
    result = zoo.predict(run, [tmp_path / "ids.npy"], top_k=1)
    assert result.files == [f"{tmp_path / 'ids.npy'}[{i}]" for i in range(3)]
    assert [p for (_, p), in result.top] == pytest.approx(expected[:3].max(axis=1), abs=1e-6)


def test_npy_arrays_one_a_batch_and_a_folder(runs, tmp_path, capsys):
    run = runs / "parity"
    x = zoo.data.load("sequences:parity", as_numpy=True, seed=0).test[0]
    folder = tmp_path / "arrays"
    (folder / "more").mkdir(parents=True)
    np.save(folder / "batch.npy", x[:5])               # (5, 20, 1): five inputs
    np.save(folder / "more" / "one.npy", x[5])         # (20, 1): one input
    np.save(folder / "short.npy", x[:2, :7])           # (2, 7, 1): no shape this model takes
    (folder / "broken.npy").write_bytes(b"not numpy")
    table = tmp_path / "preds.csv"
    code, out, err = _predict(capsys, str(run), str(folder), "--top-k", "2", "--out", str(table))
    assert code == 0, err
    assert f"skipped {folder / 'short.npy'} (shape (2, 7, 1), not (20, 1) (one input) or " \
           "(N, 20, 1) (a batch))" in err
    assert f"skipped {folder / 'broken.npy'} (not a readable .npy array" in err
    assert out.strip().splitlines()[-1] == f"zoo predict: 6 predicted, 2 skipped; wrote {table}"
    table_rows = list(csv.reader(table.open()))[1:]
    assert [r[0] for r in table_rows] == [f"{folder / 'batch.npy'}[{i}]" for i in range(5)] + \
        [str(folder / "more" / "one.npy")]
    expected = _model_probabilities(run, x[:6])
    for table_row, probabilities in zip(table_rows, expected):
        odd = float(table_row[2] if table_row[1] == "odd" else table_row[4])
        assert {table_row[1], table_row[3]} == {"even", "odd"}
        assert odd == pytest.approx(probabilities[1], abs=1e-5)


def test_a_regressor_gives_its_values(runs, tmp_path, capsys):
    run = runs / "sine"
    x = zoo.data.load("sequences:sine", as_numpy=True, seed=0).test[0][:4]
    np.save(tmp_path / "windows.npy", x)
    table = tmp_path / "values.csv"
    code, out, err = _predict(capsys, str(run), str(tmp_path / "windows.npy"), "--out", str(table))
    assert code == 0, err
    table_rows = list(csv.reader(table.open()))
    assert table_rows[0] == ["input", "value_1"]
    values = [float(r[1]) for r in table_rows[1:]]
    assert values == pytest.approx(_model_probabilities(run, x)[:, 0], abs=1e-6)


def test_input_of_the_wrong_kind_is_one_line_and_exit_2(runs, tmp_path, capsys):
    code, out, err = _predict(capsys, str(runs / "image"), "a line of text")
    assert code == 2
    assert err.strip() == ("zoo predict: error: no file or folder at 'a line of "
                           f"text'; {str(runs / 'image')!r} takes images (32, 32, 3) (image "
                           "files and folders; text is read by text classifiers only)")
    code, out, err = _predict(capsys, str(runs / "parity"), "a line of text")
    assert code == 2 and "takes .npy arrays of shape (20, 1)" in err
    assert len(err.strip().splitlines()) == 1
    table = tmp_path / "never.csv"
    code, out, err = _predict(capsys, str(runs / "text"), "missing_file.txt", "--out", str(table))
    assert code == 2 and "no file at 'missing_file.txt'" in err
    assert not table.exists()
