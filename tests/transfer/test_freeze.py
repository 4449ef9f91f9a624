"""Freeze policy: phase 1 trains only the head; backbone BatchNorm statistics never move;
freeze/unfreeze recompile and report the trainable-parameter change."""

import numpy as np
import pytest

import zoo
from zoo.transfer.freeze import leaf_layers, trainable_count


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 1, (n, 32, 32, 3)).astype("float32"),
            rng.integers(0, 3, n).astype("int32"))


def _snapshot(layers):
    return {f"{layer.name}/{i}": np.array(w) for layer in layers
            for i, w in enumerate(layer.weights)}


def _bn_stats(model):
    import keras

    return {f"{layer.name}/{w.path}": np.array(w) for layer in leaf_layers(model)
            if isinstance(layer, keras.layers.BatchNormalization)
            for w in (layer.moving_mean, layer.moving_variance)}


def test_phase1_changes_only_head_and_bn_statistics_never_change(capsys):
    model = zoo.build("zoo_mobilenet_shapes", num_classes=3)
    zoo.train.compile_model(model, learning_rate=1e-2)
    zoo.freeze(model)
    assert "trainable params:" in capsys.readouterr().out
    head = [model.get_layer("predictions")]
    backbone_before = _snapshot([l for l in leaf_layers(model) if l not in head])
    head_before, bn_before = _snapshot(head), _bn_stats(model)
    assert bn_before
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for key, value in _snapshot([l for l in leaf_layers(model) if l not in head]).items():
        np.testing.assert_array_equal(value, backbone_before[key], err_msg=key)
    assert any(not np.array_equal(v, head_before[k]) for k, v in _snapshot(head).items())

    # phase 2: the top of the backbone trains, BatchNorm statistics still do not move
    zoo.unfreeze(model, top=12, learning_rate=1e-3)
    out = capsys.readouterr().out
    before, after = (int(s.replace(",", "")) for s in out.split(":")[1].split("->"))
    assert after > before
    conv_before = _snapshot([l for l in leaf_layers(model)[-12:] if l.trainable and l.weights])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for key, value in _bn_stats(model).items():
        np.testing.assert_array_equal(value, bn_before[key], err_msg=key)
    assert any(not np.array_equal(np.array(w), conv_before[f"{l.name}/{i}"])
               for l in leaf_layers(model)[-12:] if l.trainable and l.weights
               for i, w in enumerate(l.weights))


def test_freeze_until_block_and_unfreeze_from_block():
    import keras

    model = zoo.build("mobilenet_v2", num_classes=3)
    zoo.freeze(model, "block_13", verbose=False)
    layers = leaf_layers(model)
    names = [l.name for l in layers]
    last13 = max(i for i, n in enumerate(names) if n.startswith("block_13_"))
    assert not any(l.trainable for l in layers[:last13 + 1])
    assert any(l.trainable for l in layers[last13 + 1:] if l.weights)
    assert not any(l.trainable for l in layers if isinstance(l, keras.layers.BatchNormalization))
    total = trainable_count(model)
    zoo.unfreeze(model, from_block="block_10", verbose=False)
    assert trainable_count(model) > total
    with pytest.raises(ValueError, match="block_99"):
        zoo.freeze(model, "block_99", verbose=False)


def test_recompile_makes_the_change_effective():
    """Without a recompile a trained-once model would keep its old trainable set."""
    model = zoo.build("zoo_mobilenet_shapes", num_classes=3)
    zoo.train.compile_model(model, learning_rate=1e-2)
    x, y = _data(16)
    model.fit(x, y, epochs=1, verbose=0)  # traces a train function with everything trainable
    zoo.freeze(model, verbose=False)
    stem = model.get_layer("zoo_mobilenet_shapes").get_layer("stem_conv")
    before = np.array(stem.kernel)
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(np.array(stem.kernel), before)
