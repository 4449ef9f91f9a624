"""TFLite / LiteRT export with presets float32, float16 and int8 (TensorFlow-only module).

Keras 3 has no calibration helper for post-training integer quantization; `export_tflite`
converts through a SavedModel and, for "int8", calibrates on a representative dataset drawn
from the training data (`representative_data`, a NumPy array of inputs, or {input name:
array} for a model with several inputs; a few hundred examples suffice). int8 models keep
float32 inputs and outputs (quantize/dequantize inside), so they are a drop-in replacement;
weights and activations are int8 (TFLITE_BUILTINS_INT8).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRESETS = ("float32", "float16", "int8")


def export_tflite(model, path, *, preset: str = "float32", representative_data=None,
                  calibration_steps: int = 200) -> Path:
    """Write `model` as a `.tflite` file quantized per `preset`; returns the path."""
    import numpy as np
    import tensorflow as tf

    from zoo.export.saving import atomic_replace
    from zoo.export.savedmodel import export_savedmodel

    if preset not in PRESETS:
        raise ValueError(f"export_tflite: preset must be one of {PRESETS}, got {preset!r}")
    if preset == "int8" and representative_data is None:
        raise ValueError("export_tflite: preset 'int8' needs representative_data (a NumPy "
                         "array of training inputs) to calibrate activation ranges")
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_savedmodel(model, Path(tmp) / "saved_model")
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        if preset == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif preset == "int8":
            # {input name: array} for a model with several inputs; token ids stay integers
            dtypes = {i.name: i.dtype for i in model.inputs}
            if isinstance(representative_data, dict):
                samples = {name: np.asarray(a, dtypes[name])[:calibration_steps]
                           for name, a in representative_data.items()}
            else:
                samples = np.asarray(representative_data,
                                     model.inputs[0].dtype)[:calibration_steps]

            def representative_dataset():
                if not isinstance(samples, dict):
                    for sample in samples:
                        yield [sample[None]]
                    return
                for i in range(min(len(a) for a in samples.values())):
                    yield {name: a[i:i + 1] for name, a in samples.items()}

            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative_dataset
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        flatbuffer = converter.convert()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_file = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tflite", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(flatbuffer)
    atomic_replace(tmp_file, path)
    return path


def predict_tflite(path, x, *, batch_size: int = 1):
    """Run the `.tflite` model at `path` on NumPy `x` (one array, or {input name: array} for a
    model with several inputs), `batch_size` examples at a time, with LiteRT's interpreter
    (`ai-edge-litert`; `tf.lite.Interpreter` is deprecated and scheduled for deletion). Inputs
    are cast to the file's input dtypes (float32, or int32 token ids); int8 files keep float
    I/O."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from zoo.export.saving import named_inputs

    runner = Interpreter(model_path=str(path)).get_signature_runner()
    details = runner.get_input_details()
    x = named_inputs(x, details, owner="predict_tflite", path=path)
    x = {name: np.asarray(a, details[name]["dtype"]) for name, a in x.items()}
    outputs = []
    for start in range(0, len(next(iter(x.values()))), batch_size):
        result = runner(**{name: a[start:start + batch_size] for name, a in x.items()})
        outputs.append(next(iter(result.values())).copy())
    return np.concatenate(outputs)
