"""TFLite / LiteRT export with presets float32, float16 and int8 (TensorFlow-only module).

Keras 3 has no calibration helper for post-training integer quantization; `export_tflite`
converts through a SavedModel and, for "int8", calibrates on a representative dataset drawn
from the training data (`representative_data`, a NumPy array of inputs; a few hundred
examples suffice). int8 models keep float32 inputs and outputs (quantize/dequantize inside),
so they are a drop-in replacement; weights and activations are int8 (TFLITE_BUILTINS_INT8).
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
            samples = np.asarray(representative_data, np.float32)[:calibration_steps]

            def representative_dataset():
                for sample in samples:
                    yield [sample[None]]

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
    """Run the `.tflite` model at `path` on NumPy `x`, one example at a time (float I/O), with
    LiteRT's interpreter (`ai-edge-litert`; `tf.lite.Interpreter` is deprecated and scheduled
    for deletion)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(input_detail["index"], (batch_size, *np.shape(x)[1:]))
    interpreter.allocate_tensors()
    outputs = []
    x = np.asarray(x, np.float32)
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        if len(batch) < batch_size:
            interpreter.resize_tensor_input(input_detail["index"], batch.shape)
            interpreter.allocate_tensors()
        interpreter.set_tensor(input_detail["index"], batch)
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(output_detail["index"]).copy())
    return np.concatenate(outputs)
