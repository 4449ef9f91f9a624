"""Mixed precision: the measured policy picks float32 on CPU, `zoo train --precision` builds the
model in the chosen policy (a LossScaleOptimizer for float16), it trains, reloads, and the
global dtype policy is put back."""

import json

import pytest

import keras

import zoo
from zoo import cli
from zoo.train.policy import precision, precision_scope


def test_policy_and_bad_names(monkeypatch):
    monkeypatch.delenv("ZOO_PRECISION", raising=False)
    assert precision("auto") == "float32"  # measured on this kind of CPU: bf16 slower
    assert precision("mixed_bfloat16") == "mixed_bfloat16"
    monkeypatch.setenv("ZOO_PRECISION", "mixed_float16")
    assert precision("auto") == "mixed_float16"
    with pytest.raises(ValueError, match=r"precision must be 'auto' or one of .*got 'fp8'"):
        precision("fp8")
    with pytest.raises(RuntimeError), precision_scope("mixed_bfloat16"):
        raise RuntimeError("the scope restores the policy even on errors")
    assert keras.config.dtype_policy().name == "float32"


def test_zoo_train_in_mixed_float16(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "mlp", "--epochs", "2", "--set", "hidden_units=(32,)",
                     "--precision", "mixed_float16", "--no-tensorboard", "--out", str(out)]) == 0
    assert keras.config.dtype_policy().name == "float32"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["precision"] == "mixed_float16"
    assert metrics["test"]["accuracy"] > 0.5  # it learned (10 classes: chance is 0.1)
    model = zoo.load(out)
    dense = [layer for layer in model.layers if layer.weights][0]
    assert dense.dtype_policy.name == "mixed_float16" and dense.kernel.dtype == "float32"
    from zoo.train.run import _precision_of  # what a resumed run reports in metrics.json

    assert model.dtype_policy.name == "float32" and _precision_of(model) == "mixed_float16"
    # recompiled (as a resumed run is), the reloaded float16 model gets its loss scaling back
    zoo.train.compile_model(model, optimizer=model.optimizer)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    zoo.train.compile_model(model, optimizer="adam")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
