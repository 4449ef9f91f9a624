"""Runs lose nothing: a killed `zoo train` resumes (twice, in two different epochs, with the
epoch counter never going back) and ends with the weights of an uninterrupted run; a loss that
turns NaN stops with finite weights kept."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import zoo
from zoo import cli
from zoo.train.run import run


def _epochs_done(out):
    try:
        return json.loads((out / ".resume" / "state.json").read_text())["epochs_done"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def test_train_killed_twice_resumes_and_finishes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "zoo", "train", "mlp", "--epochs", "6", "--batch-size", "8",
               "--set", "hidden_units=(384, 384)", "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    seen = []
    for round_number in (1, 2):  # two kills, each after this process finished an epoch
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if round_number == 2:  # wait until the second process has resumed
            line = ""
            while "resuming mlp" not in line:
                line = proc.stdout.readline()
                assert line or proc.poll() is None, "the second run ended without resuming"
        start = _epochs_done(out)
        deadline = time.time() + 180
        while _epochs_done(out) <= start and time.time() < deadline:
            assert proc.poll() is None, "the run finished before it could be killed"
            seen.append(_epochs_done(out))
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.append(_epochs_done(out))
    assert seen == sorted(seen), f"the epoch counter went back: {seen}"
    assert 2 <= seen[-1] < 6, seen

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
    assert f"resuming mlp in {str(out)!r} after epoch {seen[-1]}/6" in final.stdout
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 6 and len(history["val_loss"]) == 6
    assert not (out / ".resume").exists()
    assert zoo.load(out).name == "mlp" and zoo.load(out / "best.keras").name == "mlp"

    # the same run, never interrupted: the resumed one trained on the same batches (epoch-seeded
    # order), with the same optimizer and dropout-seed state, so its weights are the same bits
    straight = run("mlp", epochs=6, batch_size=8, overrides={"hidden_units": (384, 384)},
                   out=tmp_path / "straight", verbose=0)
    resumed = zoo.load(out)
    assert len(resumed.get_weights()) == len(straight.model.get_weights())
    for w_resumed, w_straight in zip(resumed.get_weights(), straight.model.get_weights()):
        np.testing.assert_array_equal(w_resumed, w_straight)


def test_changed_hyperparameters_do_not_resume_silently(tmp_path):
    out = tmp_path / "run"
    state = out / ".resume"
    state.mkdir(parents=True)
    zoo.save(zoo.build("mlp", hidden_units=(8,)), state / "model.keras")
    (state / "state.json").write_text(json.dumps(
        {"config": {"hidden_units": [8]}, "epochs_done": 1, "history": {}}))
    try:
        run("mlp", epochs=2, out=out, overrides={"hidden_units": (16,)}, verbose=0)
    except ValueError as err:
        assert "interrupted run with other hyperparameters" in str(err)
    else:
        raise AssertionError("resumed a run with different hyperparameters")
    result = run("mlp", epochs=1, out=out, overrides={"hidden_units": (16,)}, verbose=0,
                 resume=False)
    assert result.stopped_at is None and len(result.history["loss"]) == 1


def test_another_precision_does_not_resume_silently(tmp_path):
    """A run interrupted in mixed_bfloat16 is not continued in float32 (the reloaded model would
    keep its saved policy while the command asked for another): the error names both, and the
    interrupted run is left as it was."""
    out = tmp_path / "run"
    state = out / ".resume"
    state.mkdir(parents=True)
    zoo.save(zoo.build("mlp", hidden_units=(8,)), state / "model.keras")
    from zoo import registry
    from zoo.train.run import fit_to_data, jsonable

    config = jsonable(fit_to_data(registry.get("mlp"), zoo.data.load("digits").info,
                                  {"hidden_units": (8,)}))  # the same hyperparameters
    saved = json.dumps({"config": config, "precision": "mixed_bfloat16", "epochs_done": 1,
                        "history": {}})
    (state / "state.json").write_text(saved)
    with pytest.raises(ValueError, match="precision 'mixed_bfloat16', not 'float32'"):
        run("mlp", epochs=2, out=out, overrides={"hidden_units": (8,)}, precision="float32",
            verbose=0)
    assert (state / "state.json").read_text() == saved and (state / "model.keras").exists()


def test_nan_loss_stops_and_keeps_the_last_finite_weights(tmp_path, capsys):
    out = tmp_path / "run"
    rc = cli.main(["train", "mlp", "--epochs", "3", "--learning-rate", "1e30", "--out", str(out)])
    assert rc == 1
    captured = capsys.readouterr()
    assert "loss became" in captured.out and "last finite weights" in captured.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["stopped"]["reason"] == "non-finite loss" and metrics["stopped"]["step"] >= 1
    for w in zoo.load(out).get_weights():
        assert np.all(np.isfinite(w))


def test_xla_policy_follows_the_measured_table(monkeypatch):
    from zoo.train.policy import family_of, jit_compile

    monkeypatch.delenv("ZOO_JIT_COMPILE", raising=False)  # the suite turns XLA off by default
    lstm, mlp = zoo.build("rnn"), zoo.build("mlp")
    assert family_of(lstm) == "rnn" and family_of(mlp) == "dense"
    assert family_of(zoo.build("tcn")) is None  # convolutional: the LSTM figure does not apply
    # measured on a 2-core CPU under TensorFlow: XLA 2.0x faster for the LSTM, not for the rest
    assert zoo.train.compile_model(lstm).jit_compile is True
    assert zoo.train.compile_model(mlp).jit_compile is False
    # and 1.76x / 1.57x faster for the conv autoencoder and the DCGAN (benchmarks xla_policy/*)
    assert zoo.train.compile_model(zoo.build("conv_autoencoder"),
                                   task="autoencoder").jit_compile is True
    assert zoo.train.compile_model(zoo.build("dcgan"), task="generative").jit_compile is True
    assert zoo.train.compile_model(zoo.build("cnn")).jit_compile is False
    assert jit_compile(True, family="dense") is True  # the user's choice wins
    assert zoo.train.compile_model(mlp, jit_compile=True).jit_compile is True


def test_resumed_runs_keep_the_best_checkpoint_and_early_stopping_counters(tmp_path):
    from zoo.train.callbacks import AtomicModelCheckpoint, EarlyStopping

    best = zoo.build("mlp", hidden_units=(4,))
    zoo.save(best, tmp_path / "best.keras")
    checkpoint = AtomicModelCheckpoint(tmp_path / "best.keras")
    checkpoint.resume_from({"best": 0.25, "saved_epoch": 3})
    checkpoint.set_model(zoo.build("mlp", hidden_units=(4,)))
    checkpoint.on_epoch_end(4, {"val_loss": 0.5})  # worse than the run's best: not saved
    assert checkpoint.saved_epoch == 3
    for a, b in zip(zoo.load(tmp_path / "best.keras").get_weights(), best.get_weights()):
        np.testing.assert_array_equal(a, b)

    early = EarlyStopping(3, best_path=tmp_path / "best.keras")
    early.resume_from({"wait": 2, "best": 0.25, "best_epoch": 3})
    early.set_model(zoo.build("mlp", hidden_units=(4,)))
    early.on_train_begin()
    assert (early.wait, early.best, early.best_epoch) == (2, 0.25, 3)
    for a, b in zip(early.best_weights, best.get_weights()):
        np.testing.assert_array_equal(a, b)
    early.on_epoch_end(4, {"val_loss": 0.5})  # the third epoch without improvement: stop
    assert early.model.stop_training and early.stopped_epoch == 4
