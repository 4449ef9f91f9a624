"""Batch norm after a short plain Keras fit: the moving statistics keep up with the weights, so a
model predicts in inference mode what it predicts in training mode, for every registered
classifier with batch norm; and the script of the issue that found it (a ResNet on digits)
scores on its test split about what it scores in training. `bn_momentum` is a validated
hyperparameter of every builder with batch norm."""

import math

import keras
import numpy as np
import pytest

import zoo
from zoo import registry
from zoo._normalization import BN_MOMENTUM

TRAIN_SIZE = 1400  # of the 1,797 digits; the other 397 are held out


def _layers(model):
    """Every layer of `model`, nested models' included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def _batch_norms(model):
    return [layer for layer in _layers(model) if isinstance(layer, keras.layers.BatchNormalization)]


def _with_batch_norm(entry):
    """Overrides that turn batch norm on where a builder has it as an option (cnn, mlp)."""
    return {"batch_norm": True} if "batch_norm" in entry.defaults else {}


def _digits(size, channels):
    """(x, y) of the 1,797 digits, (size, size[, channels]) in [0, 1]."""
    from sklearn.datasets import load_digits

    from zoo.data.images import resize_bilinear

    bunch = load_digits()
    x = bunch.images.astype("float32") / 16.0
    if size != 8:
        x = resize_bilinear(x, (size, size))
    if channels is not None:
        x = np.repeat(x[..., None], channels, axis=-1)
    return x, bunch.target.astype("int32")


# the pretrained-style backbones run their (keras.applications) batch norm in inference mode
# in training too, by design: frozen statistics, nothing to keep up
CLASSIFIERS = [name for name in zoo.list_models()
               if registry.get(name).task == "classification"
               and registry.get(name).family != "backbone"]
# a builder with batch norm declares its momentum (test below), so these are the ones with it
BN_CLASSIFIERS = [name for name in CLASSIFIERS if "bn_momentum" in registry.get(name).defaults]


def test_classifiers_without_a_bn_momentum_build_no_batch_norm():
    """So that BN_CLASSIFIERS misses none: the rest have no BatchNormalization at all."""
    with_bn = [name for name in CLASSIFIERS if name not in BN_CLASSIFIERS
               and _batch_norms(zoo.build(name, **_with_batch_norm(registry.get(name))))]
    assert not with_bn, f"classifiers with batch norm but no bn_momentum: {with_bn}"
# one entry per builder: the builders' own, not their presets
BUILDERS_WITH_MOMENTUM = [name for name in zoo.list_models()
                          if "bn_momentum" in registry.get(name).defaults
                          and not registry.get(name).preset]


@pytest.mark.parametrize("name", BUILDERS_WITH_MOMENTUM)
def test_bn_momentum_is_a_validated_hyperparameter_that_reaches_every_batch_norm(name):
    entry = registry.get(name)
    assert zoo.model_info(name)["defaults"]["bn_momentum"] == BN_MOMENTUM == 0.9
    model = zoo.build(name, bn_momentum=0.5, **_with_batch_norm(entry))
    momenta = [layer.momentum for layer in _batch_norms(model)]
    assert momenta and set(momenta) == {0.5}
    for bad in (1.0, -0.1, math.nan):
        with pytest.raises(ValueError, match=rf"{name}: bn_momentum must be in \[0, 1\), got"):
            zoo.build(name, bn_momentum=bad)
    with pytest.raises(ValueError, match=f"{name}: bn_momentum must be a number"):
        zoo.build(name, bn_momentum="0.9")


# the plain fit below: 3 epochs of 22 steps at batch 64, after which Keras' default momentum
# 0.99 leaves 0.99**66 = 52% of the initial (0, 1) in the moving statistics, 0.9 leaves 0.1%
EPOCHS = 3


@pytest.mark.parametrize("name", BN_CLASSIFIERS)
def test_inference_mode_scores_what_training_mode_scores_after_a_short_plain_fit(name):
    """After a plain Keras fit of 66 steps on 1,400 of the 8x8 digits (dropout off, so that batch
    norm is the only difference between the modes), on the 397 others: accuracy with the moving
    statistics (`training=False`) within 0.1 of that with the batch's own (`training=True`), and
    the two argmax labels agreeing on >= 75%.

    Measured (2-core CPU, pytest-xdist): with momentum 0.9 every model is within 0.03 and agrees
    on >= 0.87; with 0.99 resnet falls 0.18 behind, resnet_bottleneck 0.22, resnet_small 0.29,
    inception 0.50, mobilenet_v1_style 0.63, separable_cnn 0.82 (agreeing on 0.11-0.74), while
    cnn and mlp, with one or two batch norms, lose only 0.045 and 0.038. The bars leave room for
    mobilenet_v1_style, unsure of itself this early (0.65-0.73 accuracy): in other seeds it was
    0.035-0.045 behind and agreed on 0.83-0.87, and its training-mode labels alone flip 8-12%
    between the 397 as one batch and as two halves.
    """
    entry = registry.get(name)
    overrides = _with_batch_norm(entry)
    shape = entry.input_shape
    if len(shape) not in (2, 3):
        pytest.fail(f"{name}: no test data here for input shape {shape}")
    if "dropout" in entry.defaults:
        overrides["dropout"] = 0.0
    x, y = _digits(8, shape[2] if len(shape) == 3 else None)
    model = zoo.build(name, input_shape=x.shape[1:], num_classes=10, **overrides)
    assert _batch_norms(model), f"{name} declares bn_momentum but built no batch norm"
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:TRAIN_SIZE], y[:TRAIN_SIZE], epochs=EPOCHS, batch_size=64, verbose=0)
    held_out, labels = x[TRAIN_SIZE:], y[TRAIN_SIZE:]
    # inference first: a training-mode call moves the moving statistics
    inference = np.argmax(model(held_out, training=False), axis=-1)
    training = np.argmax(model(held_out, training=True), axis=-1)
    accuracy = {mode: float(np.mean(pred == labels))
                for mode, pred in (("inference", inference), ("training", training))}
    agreement = float(np.mean(inference == training))
    assert accuracy["inference"] >= accuracy["training"] - 0.1 and agreement >= 0.75, (
        f"{name}: held-out accuracy {accuracy}, labels agreeing {agreement:.3f}; batch norm "
        f"momenta {sorted({layer.momentum for layer in _batch_norms(model)})}")


@pytest.mark.slow
def test_the_issue_script_scores_on_test_what_it_scores_in_training():
    """The script of the issue, verbatim: ResNet-20 on 1,400 digits at 32x32 RGB, Keras' Adam
    1e-3, 8 epochs at batch 64, evaluated on the other 397.

    Measured on a 2-core CPU: 0.975 test accuracy with momentum 0.9 (0.972 in a one-thread
    pytest-xdist worker; seeds 1 / 2: 0.977 / 0.977) for 1.000 in training, against 0.705
    (0.695) with Keras' 0.99. The bar sits below 0.97: 0.972 is 386 of 397, one digit above it.
    """
    keras.utils.set_random_seed(0)
    x, y = _digits(32, 3)
    model = zoo.build("resnet", input_shape=(32, 32, 3), num_classes=10)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:TRAIN_SIZE], y[:TRAIN_SIZE], epochs=8, batch_size=64, verbose=0)
    _, test_accuracy = model.evaluate(x[TRAIN_SIZE:], y[TRAIN_SIZE:], verbose=0)
    assert test_accuracy >= 0.95, f"resnet: test accuracy {test_accuracy:.3f}"
