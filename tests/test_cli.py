"""The `zoo` command: fast listing, info, and a training run that leaves its files."""

import json
import shutil
import subprocess
import sys

from zoo import cli

ZOO = shutil.which("zoo")


def test_list_and_help_do_not_import_tensorflow_or_keras():
    script = ("import sys; from zoo import cli; cli.main(['list']);"
              "heavy = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules];"
              "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "mlp" in proc.stdout


def test_console_script_lists_models():
    assert ZOO is not None, "the `zoo` console script is not on PATH: pip install -e . first"
    proc = subprocess.run([ZOO, "list", "mlp*", "--family", "dense"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()] == ["mlp", "mlp_regressor"]


def test_list_unknown_family_is_an_error(capsys):
    assert cli.main(["list", "--family", "dnse"]) == 2
    assert "family must be one of" in capsys.readouterr().err


def test_info_prints_params_and_defaults(capsys):
    assert cli.main(["info", "mlp"]) == 0
    out = capsys.readouterr().out
    assert "family       dense" in out and "params       50,826" in out
    assert "hidden_units = (256, 128)" in out
    assert cli.main(["info", "mlp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == 50826


def test_info_unknown_model_suggests(capsys):
    assert cli.main(["info", "mpl"]) == 2
    assert "Did you mean: mlp" in capsys.readouterr().err


def test_train_writes_model_history_curves_and_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    rc = cli.main(["train", "mlp", "--data", "digits", "--epochs", "2", "--batch-size", "64",
                   "--out", str(out), "--set", "hidden_units=(32,)", "--set", "dropout=0.0"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "test: " in printed and "accuracy=" in printed
    for f in ("model.keras", "history.json", "metrics.json", "config.json", "curves.png"):
        assert (out / f).is_file(), f
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 2 and len(history["val_accuracy"]) == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    assert config["hidden_units"] == [32] and config["input_shape"] == [8, 8]

    import zoo

    model = zoo.load(out)
    assert model.name == "mlp" and model.output_shape == (None, 10)

    # the saved config rebuilds the same architecture
    rebuilt = zoo.build("mlp", **config)
    assert rebuilt.count_params() == model.count_params()

    # a finished run is never overwritten by accident
    before = (out / "model.keras").read_bytes()
    assert cli.main(["train", "mlp", "--data", "digits", "--epochs", "1", "--out", str(out)]) == 2
    assert "already holds a model.keras" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == before


def test_train_rejects_bad_arguments_before_training(tmp_path, capsys):
    out = tmp_path / "bad"
    assert cli.main(["train", "mlp", "--data", "digits", "--set", "dropuot=0.1",
                     "--out", str(out)]) == 2
    assert "unknown hyperparameter dropuot=0.1" in capsys.readouterr().err
    assert cli.main(["train", "mlp", "--epochs", "0", "--out", str(out)]) == 2
    assert "epochs must be an int >= 1, got 0" in capsys.readouterr().err
    assert cli.main(["train", "mlp", "--data", "digitz", "--out", str(out)]) == 2
    assert "digitz" in capsys.readouterr().err
    assert not (out / "model.keras").exists()


def test_train_accepts_config_file(tmp_path, capsys):
    config = tmp_path / "best.json"
    config.write_text(json.dumps({"hyperparameters": {"hidden_units": [16], "dropout": 0.0}}))
    out = tmp_path / "run"
    assert cli.main(["train", "mlp", "--epochs", "1", "--config", str(config),
                     "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["hidden_units"] == [16]
