"""keras-tuner searches: every builder is tunable, searches find better models, resume works."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import keras_tuner
import pytest

import zoo
from zoo import cli
from zoo.registry import Choice, Float, Int
from zoo.tune import search, search_space


def _random_draw(hm, seed):
    hp = keras_tuner.HyperParameters()
    hm.declare(hp)
    for i, parameter in enumerate(hp.space):
        hp.values[parameter.name] = parameter.random_sample(seed + i)
    return hp


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_builder_builds_from_a_random_draw(name):
    hm = zoo.hypermodel(name)
    for seed in (0,):
        hp = _random_draw(hm, seed)
        model = hm.build(hp)
        assert isinstance(model, keras.Model) and model.name == name
        assert model.compiled
        build_kwargs, training = hm.decode(hp.values)
        assert set(training) == {"optimizer", "learning_rate", "batch_size"}
        assert zoo.build(name, **build_kwargs).count_params() == model.count_params()


def test_search_space_comes_from_declarations_and_signature():
    space, fixed = search_space("mlp")
    assert space["hidden_units"] == zoo.registry.get("mlp").search_space["hidden_units"]
    assert isinstance(space["batch_norm"], Choice)          # a bool default is tunable
    assert {"optimizer", "learning_rate", "batch_size"} <= set(space)
    assert "input_shape" not in space and "num_classes" not in space and fixed == {}
    space, fixed = search_space("mlp", dropout=Float(0.0, 0.2), activation="gelu")
    assert space["dropout"] == Float(0.0, 0.2) and "activation" not in space
    assert fixed == {"activation": "gelu"}


@pytest.mark.parametrize("fixed, message", [
    ({"dropuot": 0.1}, r"unknown hyperparameter\(s\) \['dropuot'\]"),
    ({"dropout": Float(0.5, 0.1)}, r"dropout is empty: min_value=0.5 > max_value=0.1"),
    ({"hidden_units": Choice(())}, r"hidden_units is an empty Choice"),
    ({"l2": Float(0.0, 1e-2, sampling="log")}, r"log sampling for l2 needs min_value > 0"),
    ({"batch_size": Int(64, 8)}, r"batch_size is empty"),
])
def test_invalid_search_requests_fail_before_any_trial(tmp_path, fixed, message):
    out = tmp_path / "search"
    with pytest.raises(ValueError, match=message):
        search("mlp", max_trials=2, epochs=1, out=out, fixed=fixed)
    assert not out.exists()


def test_missing_tensorboard_is_caught_before_the_first_trial(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # makes `import tensorboard` fail
    out = tmp_path / "search"
    with pytest.raises(RuntimeError, match="missing tensorboard.*pip install tensorboard"):
        search("mlp", max_trials=2, epochs=1, out=out)
    assert not out.exists()


@pytest.mark.slow
def test_random_search_finds_a_clearly_better_config_and_best_json_rebuilds(tmp_path, capsys):
    out = tmp_path / "search"
    result = search("mlp", data="digits", max_trials=6, epochs=3, out=out, seed=0)
    scores = [t.score for t in result.trials if t.score is not None]
    assert len(scores) == 6
    assert max(scores) - min(scores) >= 0.05, scores
    table = capsys.readouterr().out
    assert table.count("completed") == 6 and "val_accuracy" in table

    best = json.loads((out / "best.json").read_text())
    assert best["objective"]["value"] == pytest.approx(max(scores))
    saved = zoo.load(out / "best_model.keras")
    rebuilt = zoo.build("mlp", **best["hyperparameters"])
    assert rebuilt.count_params() == saved.count_params()
    # the best model is a complete file that a fresh process loads (keras-tuner #933, #982)
    x = np.random.default_rng(0).uniform(size=(4, 8, 8)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    script = (f"import numpy as np, zoo; m = zoo.load({str(out / 'best_model.keras')!r}); "
              f"np.save({str(tmp_path / 'y.npy')!r}, m.predict(np.load("
              f"{str(tmp_path / 'x.npy')!r}), verbose=0))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), saved.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)

    # the CLI accepts best.json as a training config
    assert cli.main(["train", "mlp", "--config", str(out / "best.json"), "--epochs", "1",
                         "--out", str(tmp_path / "retrain")]) == 0
    config = json.loads((tmp_path / "retrain" / "config.json").read_text())
    assert config["hidden_units"] == best["hyperparameters"]["hidden_units"]


def _log_events(out):
    path = out / "trials.log"
    return path.read_text().split("\n") if path.exists() else []


@pytest.mark.slow
def test_killed_search_resumes_without_redoing_finished_trials(tmp_path):
    out = tmp_path / "search"
    command = [sys.executable, "-m", "zoo", "tune", "mlp", "--max-trials", "4", "--epochs", "4",
               "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and "end 1 completed" not in " ".join(_log_events(out)):
        time.sleep(0.2)
        assert proc.poll() is None, "search ended before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {line.split()[1] for line in _log_events(out) if line.startswith("end ")}
    assert {"0", "1"} <= finished and len(finished) < 4

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = _log_events(out)
    first_run_end = max(i for i, line in enumerate(events) if line.startswith("end 1 "))
    begun_after = [line.split()[1] for line in events[first_run_end + 1:]
                   if line.startswith("begin ")]
    assert not finished & set(begun_after), f"redid finished trials: {events}"
    best = json.loads((out / "best.json").read_text())
    assert best["trials"] == {"completed": 4, "total": 4}


def test_overwrite_starts_afresh(tmp_path):
    out = tmp_path / "search"
    search("mlp", max_trials=1, epochs=1, out=out, fixed={"hidden_units": (16,)})
    # a marker line: it survives only if --overwrite failed to clear the folder
    (out / "trials.log").write_text((out / "trials.log").read_text() + "begin 0 tuner0\n")
    result = search("mlp", max_trials=1, epochs=1, out=out, overwrite=True,
                    fixed={"hidden_units": (16,)})
    assert len(result.trials) == 1
    assert _log_events(out).count("begin 0 tuner0") == 1


def test_torn_tuner_files_give_a_clear_way_to_recover(tmp_path):
    out = tmp_path / "search"
    search("mlp", max_trials=1, epochs=1, out=out, fixed={"hidden_units": (16,)})
    from keras_tuner.src import utils

    assert utils.save_json.__module__ == "zoo.tune.search"  # keras-tuner's writes are atomic

    trial = out / "search" / "trial_0" / "trial.json"
    good = trial.read_text()
    trial.write_text(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match=r"trial_0/trial.json' is torn .* delete the folder"):
        search("mlp", max_trials=3, epochs=1, out=out, fixed={"hidden_units": (16,)})
    trial.write_text(good)

    oracle = out / "search" / "oracle.json"
    oracle.write_text(oracle.read_text()[:10])
    with pytest.raises(RuntimeError, match=r"oracle.json' is torn .* --overwrite"):
        search("mlp", max_trials=3, epochs=1, out=out, fixed={"hidden_units": (16,)})
