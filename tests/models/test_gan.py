"""GAN family: samples judged by a separately trained digits classifier, both losses under fit
with XLA on, save/reload of generator and discriminator, conditional sampling, validation."""

import keras
import numpy as np
import pytest

import zoo

SAMPLES = 300


@pytest.fixture(scope="module")
def digits():
    return zoo.data.digits(as_numpy=True, seed=0)


@pytest.fixture(scope="module")
def judge(digits):
    """The foundation MLP trained on digits (test accuracy ~0.98): judges generated images."""
    keras.utils.set_random_seed(0)
    classifier = zoo.build("mlp")
    zoo.train.fit(classifier, digits, epochs=30, verbose=0)
    assert zoo.train.evaluate(classifier, digits)["accuracy"] > 0.95

    def score(images):
        """(average max-softmax confidence, classes holding >= 2% of the samples)."""
        probs = classifier.predict(images, verbose=0)
        counts = np.bincount(probs.argmax(1), minlength=10)
        return float(probs.max(1).mean()), int(np.sum(counts >= 0.02 * len(images)))

    return score


@pytest.mark.slow
def test_dcgan_samples_are_confident_digits_of_8_classes_and_untrained_ones_are_not(
        digits, judge):
    """30 epochs on 8x8 digits: 300 samples reach an average classifier confidence >= 0.7
    (measured 0.85; real test digits 0.98) AND cover >= 8 of 10 classes with >= 2% of the
    samples each (measured 10). The untrained generator covers < 8 (measured 1: everything is
    one class -- the MLP is confidently wrong on noise, 0.98, so coverage is what separates)."""
    keras.utils.set_random_seed(0)
    model = zoo.build("dcgan", seed=0)
    untrained_confidence, untrained_classes = judge(model.sample(SAMPLES, seed=1))
    assert untrained_classes < 8, untrained_classes

    history = zoo.train.fit(model, digits, epochs=30, verbose=0).history
    assert {"d_loss", "g_loss", "val_d_loss", "val_g_loss"} <= set(history)
    assert all(np.all(np.isfinite(v)) for v in history.values())
    confidence, classes = judge(model.sample(SAMPLES, seed=1))
    assert confidence >= 0.7 and classes >= 8, (confidence, classes)


@pytest.mark.parametrize("name", ["dcgan", "conditional_wgan_gp"])
def test_gan_fits_with_jit_compile_reporting_both_losses(name):
    model = zoo.build(name, seed=0)
    zoo.train.compile_model(model, task="generative", jit_compile=True)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=32).astype("int32")
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history
    assert set(history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[0]) for v in history.values())


def test_generator_discriminator_and_optimizers_reload(tmp_path):
    model = zoo.build("conditional_dcgan", seed=0)
    zoo.train.compile_model(model, task="generative")
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=32).astype("int32")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    zoo.save(model, tmp_path / "gan.keras")
    loaded = zoo.load(tmp_path / "gan.keras")
    assert type(loaded) is type(model) and loaded.conditional
    for part in ("generator", "discriminator"):
        for a, b in zip(getattr(model, part).get_weights(), getattr(loaded, part).get_weights()):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_allclose(loaded.sample(8, seed=3), model.sample(8, seed=3), atol=1e-6)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)  # and keeps training


def test_conditional_sample_draws_the_requested_labels():
    model = zoo.build("conditional_dcgan", seed=0)
    a = model.sample(4, seed=0, labels=[1, 1, 1, 1])
    b = model.sample(4, seed=0, labels=[7, 7, 7, 7])
    assert a.shape == (4, 8, 8) and not np.allclose(a, b)
    np.testing.assert_array_equal(a, model.sample(4, seed=0, labels=[1, 1, 1, 1]))


@pytest.mark.parametrize("bad, message", [
    ({"filters": (8, 8, 8, 8)}, r"multiples of 2\*\*len\(filters\)=16"),
    ({"loss": "hinge"}, "loss must be one of"),
    ({"num_labels": 1}, "num_labels must be >= 2"),
    ({"discriminator_steps": 0}, "discriminator_steps must be >= 1"),
])
def test_invalid_hyperparameters_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        zoo.build("dcgan", **bad)


@pytest.mark.parametrize("name, pictures", [
    ("dcgan", {"samples_epoch_001.png", "samples_epoch_002.png", "latent_walk.png"}),
    ("vae", {"reconstructions.png", "prior_samples.png", "latent_walk.png"}),
])
def test_zoo_train_writes_picture_grids_and_loss_curves(name, pictures, tmp_path):
    from zoo.train.run import run

    result = run(name, epochs=2, out=tmp_path / name, verbose=0)
    written = {p.name for p in (tmp_path / name).glob("*.png")}
    assert pictures | {"curves.png"} <= written, written
    losses = {"d_loss", "g_loss"} if name == "dcgan" else {"kl_loss", "reconstruction_loss"}
    assert losses <= set(result.history) and losses <= set(result.metrics)
    for png in pictures:
        assert (tmp_path / name / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
