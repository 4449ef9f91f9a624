"""Tuning a fine-tune keeps the recipe: every trial runs phase 1 on a frozen backbone and phase 2
with BatchNorm frozen, so the backbone's moving statistics never move."""

import keras
import keras_tuner
import numpy as np
import pytest

import zoo
from zoo.registry import Float
from zoo.tune import finetune_hypermodel


def _bn_stats(model):
    stats = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            stats[layer.name] = (np.array(layer.moving_mean), np.array(layer.moving_variance))
    return stats


@pytest.mark.slow
def test_search_over_finetunes_keeps_backbone_batchnorm_frozen(tmp_path):
    data = zoo.data.shapes(n=300, image_size=32, classes=("circle", "square", "triangle"),
                           as_numpy=True, seed=0)
    hm = finetune_hypermodel(num_classes=3, input_shape=(32, 32, 3), phase1_epochs=1,
                             unfreeze_top=30)
    reference = _bn_stats(hm.build(keras_tuner.HyperParameters()))
    assert reference, "the backbone has BatchNorm layers to watch"
    tuner = keras_tuner.RandomSearch(hm, objective="val_accuracy", max_trials=2, seed=0,
                                     directory=str(tmp_path), project_name="ft")
    (x, y), validation = data.train, data.validation
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    trials = [t for t in tuner.oracle.trials.values() if t.score is not None]
    assert len(trials) == 2
    best = tuner.get_best_models(1)[0]
    after = _bn_stats(best)
    assert set(after) == set(reference)
    for name, (mean, var) in reference.items():
        np.testing.assert_array_equal(after[name][0], mean, err_msg=name)
        np.testing.assert_array_equal(after[name][1], var, err_msg=name)
    assert best.get_layer("predictions").kernel.numpy().any(), "the head trained"


def test_invalid_finetune_search_requests_fail_at_once():
    with pytest.raises(ValueError, match=r"cannot tune or fix \['depth'\]"):
        finetune_hypermodel(num_classes=3, depth=3)
    with pytest.raises(ValueError, match=r"dropout is empty"):
        finetune_hypermodel(num_classes=3, dropout=Float(0.5, 0.1))
    with pytest.raises((ValueError, KeyError), match="mobilenet_v9"):
        finetune_hypermodel("mobilenet_v9", num_classes=3)
