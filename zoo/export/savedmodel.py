"""TensorFlow SavedModel export for serving (TensorFlow-only module).

`export_savedmodel(model, folder)` writes a SavedModel with a `serve` endpoint via Keras 3's
`model.export(..., format="tf_saved_model")`. zoo never loads a SavedModel back as a Keras
model (see zoo.export.saving); `serve(folder, x)` calls the endpoint for checks.
"""

from __future__ import annotations

from pathlib import Path


def export_savedmodel(model, folder, *, overwrite: bool = True) -> Path:
    """Export `model` as a TensorFlow SavedModel (float32 inputs, batch dimension free)."""
    import shutil

    folder = Path(folder)
    if folder.exists():
        if not overwrite:
            raise FileExistsError(f"export_savedmodel: {str(folder)!r} exists")
        shutil.rmtree(folder)
    model.export(str(folder), format="tf_saved_model", verbose=False)
    return folder


def serve(folder, x):
    """Predictions of the SavedModel in `folder` on NumPy `x` (its `serve` endpoint): one array,
    or a list of arrays in the model's input order; each is cast to its input's dtype (token
    ids stay integers)."""
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folder))
    spec = loaded.serve.input_signature[0]
    if isinstance(spec, (list, tuple)):
        inputs = [tf.constant(np.asarray(a, s.dtype.as_numpy_dtype)) for a, s in zip(x, spec)]
    else:
        inputs = tf.constant(np.asarray(x, spec.dtype.as_numpy_dtype))
    return np.asarray(loaded.serve(inputs))
