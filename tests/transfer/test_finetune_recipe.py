"""The fine-tuning recipe's moving parts, each checked on a few digits: the phase that wins is
the one the model keeps, BatchNorm trains or keeps its statistics as asked, `learning_rate=
"auto"` runs the range test, and the command line ends with its one summary line."""

import json

import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.data import Splits

BACKBONE = "zoo_mobilenet_synthetic"


@pytest.fixture(scope="module")
def few_digits():
    data = zoo.data.digits(image_size=32, channels=3, as_numpy=True, seed=0)
    (x, y), (xv, yv), (xt, yt) = data.train, data.validation, data.test
    pick = lambda labels, k: np.concatenate(  # noqa: E731
        [np.flatnonzero(labels == c)[:k] for c in range(10)])
    i, iv, it = pick(y, 8), pick(yv, 4), pick(yt, 4)
    return Splits(train=(x[i], y[i]), validation=(xv[iv], yv[iv]), test=(xt[it], yt[it]),
                  info=data.info)


def _moving_means(model):
    import keras

    return [keras.ops.convert_to_numpy(layer.moving_mean).copy()
            for layer in zoo.transfer.leaf_layers(model)
            if isinstance(layer, keras.layers.BatchNormalization)]


def test_a_diverging_phase_2_loses_and_the_model_keeps_phase_1(few_digits):
    """Phase 2 at rate 50 wrecks the backbone; the model must end with phase 1's weights."""
    result = zoo.finetune(BACKBONE, few_digits, epochs=(2, 2), batch_size=16,
                          learning_rate=3e-3, finetune_learning_rate=50.0, augment=None,
                          patience=100, refit="never", probe="never", verbose=0)
    assert result.winner == "phase1"
    assert result.metrics["phase2"]["val_accuracy"] < result.metrics["phase1"]["val_accuracy"]
    kept = result.model.evaluate(*few_digits.validation, verbose=0, return_dict=True)
    assert kept["accuracy"] == pytest.approx(result.metrics["phase1"]["val_accuracy"])
    assert "phase1 won" in result.summary()
    assert "refit" not in result.history and result.refit_examples == 0  # refit="never"
    assert "refitted" not in result.summary()


@pytest.mark.parametrize("batchnorm", ["inference", "train"])
def test_batchnorm_statistics_train_only_when_asked(few_digits, batchnorm, capsys):
    """"train" runs with the defaults (rate from the range test); "inference" at a fixed rate."""
    import keras

    pretrained = _moving_means(zoo.backbone(BACKBONE))
    rate = "auto" if batchnorm == "train" else 1e-3
    result = zoo.finetune(BACKBONE, few_digits, epochs=(1, 1), batch_size=16,
                          learning_rate=rate, augment=None, batchnorm=batchnorm,
                          refit="never", probe="never", verbose=1)
    if result.winner == "phase1":  # phase 2's statistics were rolled back with its weights
        pytest.fail("phase 2 at its default rate should not lose on digits here")
    after = _moving_means(result.model)
    changed = [not np.allclose(a, b) for a, b in zip(pretrained, after)]
    if batchnorm == "inference":
        assert not any(changed)
    else:
        assert all(changed)
    assert keras.ops.convert_to_numpy(result.model.get_layer("predictions").kernel).any()
    printed = capsys.readouterr().out
    if rate == "auto":  # the range test ran and its pick is phase 1's rate
        assert "learning-rate range test" in printed
        suggested = float(printed.split("suggested ")[1].split()[0])
        assert result.learning_rate == pytest.approx(suggested, rel=0.05)
        assert 1e-4 <= result.learning_rate <= 0.1
    else:
        assert "learning-rate range test" not in printed and result.learning_rate == 1e-3


def test_small_folders_refit_the_winner_and_average_it_with_a_linear_probe(few_digits,
                                                                            tmp_path):
    """8 training images per class (< REFIT_BELOW, < PROBE_BELOW): refit="auto" trains the
    winning recipe again on train + validation (phase 1's epochs, then phase 2's up to its best
    epoch); probe="auto" averages the model with a linear probe fitted on the same images, and
    the run's model.keras is that one plain model (safe-mode `keras.saving.load_model`)."""
    import keras

    from zoo.transfer.finetune import PROBE_BELOW, REFIT_BELOW

    assert 8 < min(REFIT_BELOW, PROBE_BELOW)
    result = zoo.finetune(BACKBONE, few_digits, epochs=(1, 1), batch_size=16,
                          learning_rate=3e-3, augment=None, patience=100, refit="auto",
                          probe="auto", out=tmp_path / "run", verbose=0)
    n = len(few_digits.train[1]) + len(few_digits.validation[1])
    assert result.refit_examples == n == 120
    assert f"refitted on train + validation ({n} images)" in result.summary()
    refit_epochs = len(result.history["refit"]["loss"])
    chosen = 1 if result.winner == "phase2" else 0  # patience 100: phase 2's last epoch
    assert refit_epochs == 1 + chosen

    # the probe: the model is the mean of the fine-tuned model's and the probe's probabilities
    assert result.probe_examples == n
    alone = result.metrics["test_finetuned"]["accuracy"]
    assert f"averaged with a linear probe ({n} images; alone it scored {alone:.4f})" in \
        result.summary()
    x = few_digits.test[0][:16]
    finetuned = result.model.get_layer(f"{BACKBONE}_finetuned")
    probe_part = keras.Model(result.model.inputs, result.model.get_layer("probe").output)
    np.testing.assert_allclose(
        result.model.predict(x, verbose=0),
        (finetuned.predict(x, verbose=0) + probe_part.predict(x, verbose=0)) / 2, atol=1e-5)
    assert result.metrics["test"]["accuracy"] == pytest.approx(
        result.model.evaluate(*few_digits.test, verbose=0, return_dict=True)["accuracy"])
    loaded = keras.saving.load_model(tmp_path / "run" / "model.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), result.model.predict(x, verbose=0),
                               atol=1e-5)
    card = (tmp_path / "run" / "README.md").read_text()
    assert "averaged with a linear probe" in card and f"{alone:.4f}" in card
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["probe"] == "auto" and config["training"]["probed"] is True
    # Grad-CAM reads the fine-tuned backbone, by default and by a name both backbones hold
    from zoo.inference.explain import find_layer
    from zoo.transfer.model_parts import leaf_layers

    mine = {id(layer) for layer in leaf_layers(finetuned)}
    assert id(find_layer(loaded)) not in mine  # `loaded` is another model: nothing shared
    assert {id(find_layer(result.model)), id(find_layer(result.model, "stem_conv"))} <= mine
    files = []
    for i, image in enumerate(few_digits.test[0][:2]):
        files.append(str(tmp_path / f"digit{i}.png"))
        keras.utils.save_img(files[-1], image * 255.0, scale=False)
    explained = zoo.explain(tmp_path / "run", files, write=False)
    assert explained.layer == "head_relu6" and np.isfinite(explained.maps).all()
    assert explained.maps.shape == (2, 32, 32) and explained.maps.max() > 0

    with pytest.raises(ValueError, match="refit must be one of .*got 'sometimes'"):
        zoo.finetune(BACKBONE, few_digits, refit="sometimes", verbose=0)
    with pytest.raises(ValueError, match="probe must be one of .*got 'yes'"):
        zoo.finetune(BACKBONE, few_digits, probe="yes", verbose=0)


@pytest.mark.parametrize("bad", [0, -1e-3, "fast"])
def test_bad_learning_rate_is_named(few_digits, bad):
    with pytest.raises(ValueError, match="learning_rate"):
        zoo.finetune(BACKBONE, few_digits, learning_rate=bad, verbose=0)
    with pytest.raises(ValueError, match="batchnorm"):
        zoo.finetune(BACKBONE, few_digits, batchnorm="frozen", verbose=0)


def test_cli_ends_with_one_summary_line_and_keeps_an_existing_run(tmp_path, capsys):
    import keras

    data = zoo.data.digits(image_size=24, channels=1, as_numpy=True, seed=0,
                           validation_split=0.0, test_split=0.0)
    x, y = data.train
    for c in range(3):  # a user's folder: three classes, 12 PNGs each
        folder = tmp_path / "images" / f"digit_{c}"
        folder.mkdir(parents=True)
        for i in np.flatnonzero(y == c)[:12]:
            keras.utils.save_img(folder / f"{i}.png", x[i] * 255.0, scale=False)
    out = tmp_path / "run"
    argv = ["finetune", "--data", str(tmp_path / "images"), "--out", str(out),
            "--epochs", "1", "--finetune-epochs", "1"]
    assert main(argv) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("zoo finetune: test accuracy ")
    assert " won " in last and str(out / "model.keras") in last and str(out / "README.md") in last
    metadata = json.loads((out / "metadata.json").read_text())
    assert f"{metadata['metrics']['test']['accuracy']:.4f}" in last
    before = (out / "model.keras").read_bytes()
    assert main(argv) == 2  # no --overwrite: refused, the run folder untouched
    assert "already holds a model" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == before
    with pytest.raises(SystemExit) as exit_info:  # argparse: a bad rate is named, exit 2
        main(argv + ["--learning-rate", "-1", "--overwrite"])
    assert exit_info.value.code == 2
    assert "must be a number > 0 or 'auto'" in capsys.readouterr().err


def test_cli_augment_picks_the_layers_and_names_a_bad_one(tmp_path, monkeypatch, capsys):
    import importlib

    recipe = importlib.import_module("zoo.transfer.finetune")  # the module, not the function
    seen = {}

    def fake_finetune(backbone, data, **kwargs):  # the CLI's arguments, no training
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(recipe, "finetune", fake_finetune)
    argv = ["finetune", "--data", str(tmp_path), "--out", str(tmp_path / "run")]
    for extra, expected in (([], ("translate", "zoom")),
                            (["--augment", "rotate", "flip"], ("rotate", "flip")),
                            (["--no-augment"], ())):
        with pytest.raises(SystemExit):
            main(argv + extra)
        assert seen["augment"] == expected, extra
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--augment", "blur"])
    assert exit_info.value.code == 2 and "'blur'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # both: argparse names the conflict
        main(argv + ["--augment", "rotate", "--no-augment"])
    assert exit_info.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_cli_choices_are_the_librarys_own_lists():
    """The command line spells out its choices (so `zoo --help` imports no TensorFlow); they
    must stay the lists zoo.finetune and zoo.export.check accept."""
    from zoo.cli import build_parser
    from zoo.export.check import FORMATS
    from zoo.transfer.finetune import AUGMENTATIONS, PROBES, REFITS

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    options = {name: {opt: action for action in sub[name]._actions
                      for opt in action.option_strings} for name in ("finetune", "export")}
    assert tuple(options["finetune"]["--augment"].choices) == AUGMENTATIONS
    assert tuple(options["finetune"]["--probe"].choices) == PROBES
    assert tuple(options["finetune"]["--refit"].choices) == REFITS
    import inspect

    from zoo.transfer.finetune import finetune

    library = inspect.signature(finetune).parameters
    for flag in ("probe", "refit"):  # the command line and Python share the measured default
        assert options["finetune"][f"--{flag}"].default == library[flag].default
    assert tuple(options["finetune"]["--export"].choices) == FORMATS
    assert tuple(options["export"]["--format"].choices) == FORMATS
