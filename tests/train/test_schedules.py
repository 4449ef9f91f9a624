"""Learning-rate schedules by name: their shapes, their errors, and `zoo train` using one
(the rate per epoch in history.csv, TensorBoard logs, a safe-mode reload of the schedule)."""

import csv
import json

import numpy as np
import pytest

import zoo
from zoo import cli
from zoo.train.run import run
from zoo.train.schedules import schedule


def _rates(lr, steps):
    return np.array([float(lr(step)) for step in range(steps + 1)])


def test_schedule_shapes():
    cosine = _rates(schedule("cosine", learning_rate=0.1, total_steps=50), 50)
    assert cosine[0] == pytest.approx(0.1) and cosine[-1] == pytest.approx(0.0, abs=1e-7)
    assert np.all(np.diff(cosine) <= 1e-7)  # never rises

    warm = _rates(schedule("warmup_cosine", learning_rate=0.1, total_steps=50,
                           warmup_steps=10), 50)
    assert warm[0] == pytest.approx(0.0) and warm[10] == pytest.approx(0.1)
    assert np.all(np.diff(warm[:11]) > 0) and np.all(np.diff(warm[10:]) <= 1e-7)

    cycle = _rates(schedule("one-cycle", learning_rate=0.1, total_steps=50), 50)
    peak = int(np.argmax(cycle))
    assert peak == 15 and cycle[peak] == pytest.approx(0.1)  # 30% of the steps up
    assert cycle[0] == pytest.approx(0.1 / 25) and cycle[-1] < cycle[0] / 1000
    assert schedule("constant", learning_rate=0.1, total_steps=5) == 0.1


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "linear"}, r"lr_schedule must be one of .*got 'linear'"),
    ({"total_steps": 0}, r"total_steps must be an int >= 1, got 0"),
    ({"warmup_steps": 50}, r"warmup_steps must be an int in \[0, 50\), got 50"),
    ({"learning_rate": -1.0}, r"learning_rate must be > 0, got -1.0"),
])
def test_bad_schedules_are_named(kwargs, message):
    args = {"name": "cosine", "learning_rate": 0.1, "total_steps": 50, **kwargs}
    with pytest.raises(ValueError, match=message):
        schedule(args.pop("name"), **args)


def test_zoo_train_with_a_schedule_logs_its_rate_and_reloads(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "mlp", "--epochs", "3", "--set", "hidden_units=(16,)",
                     "--lr-schedule", "warmup-cosine", "--warmup-epochs", "1",
                     "--learning-rate", "0.01", "--out", str(out)]) == 0
    assert "history.json/.csv" in capsys.readouterr().out
    with open(out / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    rates = [float(r["learning_rate"]) for r in rows]
    assert rates[0] == pytest.approx(0.01, rel=1e-5)  # end of the warm-up epoch: the peak
    assert rates[0] > rates[1] > rates[2] >= 0.0  # then cosine decay
    assert {"loss", "val_loss", "accuracy"} <= set(rows[0])
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))
    reloaded = zoo.load(out)  # the schedule is in the optimizer, reloaded in safe mode
    assert float(reloaded.optimizer.learning_rate) == pytest.approx(rates[-1], rel=1e-5)


def test_warmup_needs_the_warmup_schedule(tmp_path):
    with pytest.raises(ValueError, match=r"warmup_epochs=1 applies to lr_schedule "
                                         r"'warmup_cosine' only"):
        run("mlp", epochs=2, warmup_epochs=1, out=tmp_path / "x")


def test_early_stopping_keeps_the_best_epoch(tmp_path):
    # a learning rate this high makes the validation loss worse after the first epochs
    result = run("mlp", epochs=12, patience=2, learning_rate=0.3,
                               overrides={"hidden_units": (16,)}, out=tmp_path / "run",
                               verbose=0, tensorboard=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    stopped = metrics["stopped"]
    assert stopped["reason"] == "early stopping" and stopped["epoch"] < 12
    val = result.history["val_loss"]
    assert len(val) == stopped["epoch"] and stopped["best_epoch"] == int(np.argmin(val)) + 1
    assert stopped["epoch"] - stopped["best_epoch"] == 2  # the patience
    best = zoo.load(tmp_path / "run" / "best.keras")
    for a, b in zip(best.get_weights(), zoo.load(tmp_path / "run").get_weights()):
        np.testing.assert_array_equal(a, b)  # the saved model is the best epoch's
    with pytest.raises(ValueError, match="patience must be an int >= 1, got 0"):
        run("mlp", epochs=2, patience=0, out=tmp_path / "x")
