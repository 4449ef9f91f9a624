"""`zoo export RUN --format F`: export any image run (`zoo train` or `zoo finetune`) and check
the export against the Keras model on real images before calling it a success.

Formats: savedmodel, tflite-float32, tflite-float16, tflite-int8 (calibrated on the same
images). Parity: max |export - keras| over the probabilities and top-1 agreement, on up to 200
images of `data` (an image folder; default: the folder the run was trained on, when the run
recorded one). Bars: float32 max diff <= 1e-4; float16 <= 2e-2; int8 top-1 agreement >= 0.9.
A failing export is reported as failed (exit code 1) and its file is renamed `*.failed`.
Needs TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from zoo.inference.predict import decode, image_inputs
from zoo.inference.runs import open_run

FORMATS = ("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8")
BARS = {"savedmodel": ("max_abs_diff", 1e-4), "tflite-float32": ("max_abs_diff", 1e-4),
        "tflite-float16": ("max_abs_diff", 2e-2), "tflite-int8": ("top1_agreement", 0.9)}


@dataclasses.dataclass
class ExportResult:
    path: Path
    format: str
    max_abs_diff: float
    top1_agreement: float
    images: int
    ok: bool

    def summary(self) -> str:
        measure, bar = BARS[self.format]
        verdict = "ok" if self.ok else "FAILED"
        sign = ">=" if measure == "top1_agreement" else "<="
        return (f"zoo export: {self.format} {verdict}: max |diff| {self.max_abs_diff:.2e}, "
                f"top-1 agreement {self.top1_agreement:.3f} on {self.images} images "
                f"(bar: {measure} {sign} {bar:g}); {self.path}")


def export_run(run, format: str, *, out=None, data=None, samples: int = 200) -> ExportResult:
    """Export `run` as `format` to `out` (default: RUN/exports/) and check its parity."""
    from zoo.export.savedmodel import export_savedmodel, serve
    from zoo.export.tflite import export_tflite, predict_tflite
    from zoo.transfer.finetune import inference_model

    if format not in FORMATS:
        raise ValueError(f"zoo export: unknown format {format!r}; use one of {FORMATS}")
    opened = open_run(run)
    if len(opened.input_shape) != 3:
        raise ValueError(f"zoo export: {str(opened.path)!r} is not an image model (input "
                         f"{opened.input_shape}); image runs only for now")
    data = data or opened.data
    if data is None:
        raise ValueError("zoo export: give --data DIR (images to check the export on); the run "
                         "records no image folder that still exists")
    files = image_inputs([data])
    rng = np.random.default_rng(0)
    files = [files[i] for i in sorted(rng.permutation(len(files))[:samples])]
    images, _, _ = decode(files, opened)
    if not images:
        raise ValueError(f"zoo export: no readable images under {str(data)!r}")
    x = np.stack(images).astype(np.float32)
    model = inference_model(opened.model)
    expected = model.predict(x, verbose=0)
    if out is None:
        base = opened.path if opened.path.is_dir() else opened.path.parent
        name = "saved_model" if format == "savedmodel" else f"model_{format[7:]}.tflite"
        out = base / "exports" / name
    out = Path(out)
    if format == "savedmodel":
        export_savedmodel(model, out)
        got = serve(out, x)
    else:
        export_tflite(model, out, preset=format[7:], representative_data=x)
        got = predict_tflite(out, x)
    diff = float(np.max(np.abs(got - expected)))
    agree = float(np.mean(np.argmax(got, -1) == np.argmax(expected, -1)))
    measure, bar = BARS[format]
    ok = agree >= bar if measure == "top1_agreement" else diff <= bar
    if not ok:
        failed = out.with_name(out.name + ".failed")
        os.replace(out, failed)
        out = failed
    return ExportResult(out, format, diff, agree, len(x), ok)
