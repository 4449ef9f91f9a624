"""Layer-wise learning-rate decay: one SGD step moves a variable at depth d by decay**d times
what plain SGD moves it (head 1, deepest backbone stage decay, ... stem decay**3 for
zoo_mobilenet_shapes); the decay survives freeze/unfreeze, saves with the model, and
zoo.finetune / `zoo finetune` accept it; a decay outside (0, 1] is a ValueError naming it."""

import doctest
import json

import numpy as np
import pytest

import zoo
from zoo.transfer import layerwise

DECAY, LR = 0.5, 0.1


def _values(variables):
    import keras

    return {v.path: keras.ops.convert_to_numpy(v).copy() for v in variables}


def _one_sgd_step(model, x, y, start, optimizer_fn):
    import keras

    for v in model.variables:
        v.assign(start[v.path])
    # eager: one step does not pay for tracing a train function
    zoo.train.compile_model(model, optimizer=keras.optimizers.SGD(LR), run_eagerly=True)
    optimizer_fn(model)
    model.train_on_batch(x, y)
    now = _values(model.trainable_variables)
    return {path: value - start[path] for path, value in now.items()}


def test_one_step_moves_each_depth_by_decay_to_the_depth():
    model = zoo.build("zoo_mobilenet_shapes", num_classes=3, dropout=0.0)
    rng = np.random.default_rng(0)
    head = model.get_layer("predictions")  # zero-initialised: give the backbone a gradient
    head.kernel.assign(rng.normal(0.0, 0.1, head.kernel.shape).astype("float32"))
    x = rng.uniform(0, 1, (8, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 3, 8).astype("int32")
    start = _values(model.variables)

    plain = _one_sgd_step(model, x, y, start, lambda m: None)
    decayed = _one_sgd_step(model, x, y, start,
                            lambda m: zoo.layerwise_lr(m, decay=DECAY, verbose=False))
    depths = zoo.transfer.layer_depths(model)
    assert (depths["predictions"], depths["head_conv"], depths["stack2_block1_depthwise_conv"],
            depths["stack2_block1_expand_conv"], depths["stem_conv"]) == (0, 1, 2, 3, 3)
    # head; then the stages at strides 4, 2, 1 (a stride-2 block's expansion is still at 1)
    ratios = {}
    for path, step in plain.items():
        if np.linalg.norm(step) < 1e-4:
            continue  # float32 noise, e.g. the beta of a BatchNorm that feeds another one
        ratios[path] = np.linalg.norm(decayed[path]) / np.linalg.norm(step)
        np.testing.assert_allclose(ratios[path], DECAY ** depths[path.split("/")[0]],
                                   rtol=1e-3, err_msg=path)
    assert {depths[path.split("/")[0]] for path in ratios} == {0, 1, 2, 3}
    assert len(ratios) > 0.8 * len(plain)
    # bottom vs top of the backbone: two stages apart
    np.testing.assert_allclose(ratios["stem_conv/kernel"] / ratios["head_conv/kernel"],
                               DECAY ** 2, rtol=1e-3)

    # freeze/unfreeze recompile with a new rate and keep the decay
    zoo.unfreeze(model, learning_rate=0.2, verbose=False)
    opt = model.optimizer
    stem = model.get_layer("zoo_mobilenet_shapes").get_layer("stem_conv").kernel
    assert float(opt._optimizer_map(stem).learning_rate) == pytest.approx(0.2 * DECAY ** 3)

    # the docstring example
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder(recurse=False).find(layerwise.layerwise_lr,
                                                          globs={"zoo": zoo}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.5, float("nan"), True, "0.8", None])
def test_decay_outside_zero_one_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match=r"decay must be a number in \(0, 1\].*got " +
                       repr(bad).replace("(", r"\(")):
        layerwise.check_decay(bad)
    if bad is not None:
        with pytest.raises(ValueError, match=r"layer_decay"):
            zoo.finetune("zoo_mobilenet_shapes", "digits", layer_decay=bad, verbose=0)


@pytest.mark.filterwarnings("ignore:Even though the `tf.config.experimental_run_functions")
def test_finetune_layer_decay_saves_with_the_run(tmp_path):
    import keras
    import tensorflow as tf

    from zoo.data import Splits

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 32, 32, 3)).astype("float32")
    y = np.arange(16, dtype="int32") % 2
    data = Splits(train=(x, y), validation=(x[:4], y[:4]), test=(x[:4], y[:4]),
                  info={"name": "noise", "task": "classification", "num_classes": 2,
                        "input_shape": (32, 32, 3), "class_names": ["a", "b"],
                        "value_range": (0.0, 1.0)})
    tf.config.run_functions_eagerly(True)  # one step per phase: tracing would cost far more
    try:
        result = zoo.finetune("zoo_mobilenet_shapes", data, out=tmp_path / "run",
                              epochs=(1, 1), batch_size=16, learning_rate=1e-2,
                              layer_decay=DECAY, augment=None, verbose=0,
                              probe="never")  # the probe-averaged model gets a plain Adam
    finally:
        tf.config.run_functions_eagerly(False)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["layer_decay"] == DECAY

    def peak_rates(model):  # phase 2's warm-up target, for the stem and for the head
        opt = model.optimizer
        assert isinstance(opt, keras.optimizers.MultiOptimizer)
        stem = model.get_layer("zoo_mobilenet_shapes").get_layer("stem_conv").kernel
        head = model.get_layer("predictions").kernel
        return [opt._optimizer_map(v).get_config()["learning_rate"]["config"]["warmup_target"]
                for v in (stem, head)]

    stem, head = peak_rates(result.model)
    assert head == pytest.approx(1e-3)  # learning_rate / 10
    assert stem == pytest.approx(head * DECAY ** 3)
    reloaded = zoo.load(tmp_path / "run")
    assert peak_rates(reloaded) == pytest.approx([stem, head])
    zoo.unfreeze(reloaded, learning_rate=1e-4, verbose=False)  # the decay is read back
    stem_variable = reloaded.get_layer("zoo_mobilenet_shapes").get_layer("stem_conv").kernel
    assert float(reloaded.optimizer._optimizer_map(stem_variable).learning_rate) == \
        pytest.approx(1e-4 * DECAY ** 3)


def test_cli_passes_layer_decay(monkeypatch, tmp_path):
    import importlib

    from zoo.cli import main

    finetune_module = importlib.import_module("zoo.transfer.finetune")  # not the function

    seen = {}

    class Result:
        out = tmp_path
        exports_ok = True  # no exports asked for

        def summary(self):
            return "zoo finetune: (stub)"

    def fake(*args, **kwargs):
        seen.update(kwargs)
        return Result()

    monkeypatch.setattr(finetune_module, "finetune", fake)
    assert main(["finetune", "--data", "digits", "--out", str(tmp_path),
                 "--layer-decay", "0.7"]) == 0
    assert seen["layer_decay"] == 0.7
