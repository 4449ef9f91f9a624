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
    """Predictions of the SavedModel in `folder` on NumPy `x` (its `serve` endpoint)."""
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folder))
    return np.asarray(loaded.serve(tf.constant(np.asarray(x, np.float32))))
