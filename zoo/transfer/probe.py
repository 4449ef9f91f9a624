"""A linear probe on frozen pretrained features, and the fine-tuned model averaged with it.

With a few images per class, a regularised softmax regression on the pretrained backbone's
features (mean-pooled over a 2x2 grid, standardised, L2, fitted to convergence) scores higher
than a fine-tuned network, and the two err on different images: averaging their class
probabilities beat both on the digits dev folders at 10 images per class
(benchmarks/results/transfer_defaults.md, "The fine-tuned model averaged with a linear probe").
`zoo.finetune(probe="auto")` adds the probe where that was measured to pay.

The result is one plain functional model (`keras.saving.load_model` reads it in safe mode):

    image -> fine-tuned classifier -------------------------------------------> softmax -+
          -> pretrained backbone (frozen, 2x2 grid pool) -> Normalization -> Dense softmax -+
          -> Average
"""

from __future__ import annotations

import numpy as np

PROBE_C = 1.0  # inverse L2 strength on standardised features (scikit-learn's default)


def fit_probe(features, labels, num_classes, *, c=PROBE_C, seed=0):
    """Standardise `features` (N, D) and fit an L2 softmax regression on them (scikit-learn's
    L-BFGS). Returns (mean, variance, kernel (D, K), bias (K,)) for a Normalization + Dense
    softmax layer pair; classes absent from `labels` get a large negative bias."""
    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, np.float64)
    mean, variance = features.mean(axis=0), features.var(axis=0)
    scaled = (features - mean) / np.sqrt(np.maximum(variance, 1e-12))
    fitted = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(scaled, labels)
    kernel = np.zeros((features.shape[1], num_classes))
    bias = np.full(num_classes, -30.0)  # a class the probe never saw: probability ~0
    seen = fitted.classes_.astype(int)
    if len(seen) == 2:  # scikit-learn's binary form: one logit z; softmax([-z/2, z/2]) = sigmoid
        kernel[:, seen[0]], kernel[:, seen[1]] = -fitted.coef_[0] / 2, fitted.coef_[0] / 2
        bias[seen[0]], bias[seen[1]] = -fitted.intercept_[0] / 2, fitted.intercept_[0] / 2
    else:
        kernel[:, seen] = fitted.coef_.T
        bias[seen] = fitted.intercept_
    return (mean.astype(np.float32), np.maximum(variance, 1e-12).astype(np.float32),
            kernel.astype(np.float32), bias.astype(np.float32))


def with_probe(model, base, probe, *, name=None):
    """One model: the average of `model`'s class probabilities and those of the probe
    (`fit_probe`'s tuple) on `base`'s pooled features. `base` is the frozen, pretrained backbone
    the probe was fitted on (renamed "probe_backbone"); `model` is called in inference mode."""
    import keras

    mean, variance, kernel, bias = probe
    base.trainable = False
    base.name = "probe_backbone"  # two nested backbones: names must differ
    inputs = keras.Input(model.inputs[0].shape[1:], name="image")
    finetuned = model(inputs, training=False)
    features = base(inputs, training=False)
    if len(features.shape) == 4:
        features = keras.layers.GlobalAveragePooling2D(name="probe_pool")(features)
    features = keras.layers.Normalization(mean=mean, variance=variance,
                                          name="probe_standardize")(features)
    dense = keras.layers.Dense(kernel.shape[1], activation="softmax", name="probe",
                               trainable=False)
    probed = dense(features)
    dense.set_weights([kernel, bias])
    outputs = keras.layers.Average(name="ensemble")([finetuned, probed])
    return keras.Model(inputs, outputs, name=name or model.name)
