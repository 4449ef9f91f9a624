"""The linear probe that `zoo.finetune(probe=...)` averages in: fitted as scikit-learn fits it,
folded into Keras layers that give the same probabilities, and saved as one plain model."""

import numpy as np
import pytest

from zoo.transfer.probe import fit_probe, with_probe


def _blobs(num_classes, per_class=20, dims=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(num_classes, dims))
    x = np.concatenate([c + rng.normal(size=(per_class, dims)) for c in centres])
    return x.astype(np.float32) * 7.0 + 3.0, np.repeat(np.arange(num_classes), per_class)


def _probe_model(dims, fitted):
    import keras

    inputs = keras.Input((dims,))
    base = keras.Model(inputs, keras.layers.Identity()(inputs), name="features")
    head_in = keras.Input((dims,))
    constant = keras.Model(head_in, keras.layers.Dense(fitted[2].shape[1], activation="softmax",
                                                       kernel_initializer="zeros")(head_in))
    return with_probe(constant, base, fitted)


@pytest.mark.parametrize("num_classes", [2, 4])
def test_folded_probe_gives_scikit_learns_probabilities(num_classes):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = _blobs(num_classes)
    fitted = fit_probe(x, y, num_classes)
    scaler = StandardScaler().fit(x)
    reference = LogisticRegression(C=1.0, max_iter=3000).fit(scaler.transform(x), y)
    expected = reference.predict_proba(scaler.transform(x))
    # the model averages the probe with a constant head (zero kernel: uniform probabilities)
    got = np.asarray(_probe_model(x.shape[1], fitted).predict(x, verbose=0))
    np.testing.assert_allclose(2 * got - 1 / num_classes, expected, atol=1e-4)


def test_a_class_missing_from_the_probes_images_gets_no_probability():
    x, y = _blobs(3)
    fitted = fit_probe(x, y, num_classes=4)  # class 3 has no image
    probabilities = np.asarray(_probe_model(x.shape[1], fitted).predict(x, verbose=0))
    assert probabilities.shape == (len(x), 4)
    assert np.all(2 * probabilities[:, 3] - 0.25 < 1e-6)
    assert np.mean(np.argmax(probabilities, -1) == y) > 0.95
