"""Export a Keras model and check the file against the model before calling it a success:
`check_export(model, format, out, inputs)` writes `model` as `format` (savedmodel,
tflite-float32, tflite-float16, tflite-int8 calibrated on `inputs`, onnx) at `out`, runs the file
with its own runtime (TensorFlow, LiteRT, ONNX Runtime) on `inputs` and compares with
`model.predict`. `zoo export RUN` (zoo.inference.export_run) and `zoo finetune --export` both
use it. For TFLite, recurrent layers are unrolled first (`unrolled`: same weights), so an RNN
over a fixed length exports; over a free (None) length it cannot, and the failure says so.

Parity is measured on the model's output: max |export - keras|; top-1 agreement when the output
is class scores (classifiers, language models; per step); relative error (max |diff| / max
|keras|) when it is not a probability distribution. Bars: probabilities: max |diff| <= 1e-4
(savedmodel, tflite-float32, onnx), <= 2e-2 (float16); other outputs: relative error <= 1e-4,
<= 2e-2 (float16); int8: top-1 agreement >= 0.9 for class scores, relative error <= 0.1
otherwise. An export that misses its bar, or that its converter or runtime rejects, is a result
with `ok=False`: a written file is renamed `*.failed`, and the reason is one line. Needs
TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np

FORMATS = ("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8", "onnx")
# outputs that are probabilities (a softmax): absolute difference, or top-1 for int8
BARS = {"savedmodel": ("max_abs_diff", 1e-4), "tflite-float32": ("max_abs_diff", 1e-4),
        "tflite-float16": ("max_abs_diff", 2e-2), "tflite-int8": ("top1_agreement", 0.9),
        "onnx": ("max_abs_diff", 1e-4)}
# any other output (logits, regression values, pixels): relative to the output's scale
VALUE_BARS = {"savedmodel": ("relative_error", 1e-4), "tflite-float32": ("relative_error", 1e-4),
              "tflite-float16": ("relative_error", 2e-2), "tflite-int8": ("relative_error", 0.1),
              "onnx": ("relative_error", 1e-4)}
SCORE_TASKS = ("classification", "language_model")  # argmax of the last axis is the answer


@dataclasses.dataclass
class ExportResult:
    path: Path
    format: str
    ok: bool
    examples: int
    inputs: str            # what the parity inputs were, e.g. "images of runs/x/images"
    measure: str           # the number the bar is on: max_abs_diff, relative_error, ...
    bar: float
    max_abs_diff: float = float("nan")
    relative_error: float = float("nan")
    top1_agreement: float | None = None   # None: the output is not class scores
    reason: str | None = None             # why the converter or runtime failed, one line
    output: str = "probabilities"         # or "scores" (logits), "values" (anything else)
    policy: str = "float32"               # the model's; mixed_*: float16 bars

    def summary(self, command: str = "zoo export") -> str:
        """One line: the format, ok or FAILED, the parity numbers and the bar, the path."""
        sign = ">=" if self.measure == "top1_agreement" else "<="
        mixed = f"; a {self.policy} model" if self.policy != "float32" else ""
        bar = f"(bar: {self.measure} {sign} {self.bar:g}{mixed})"
        if self.reason is not None:
            where = f"set aside as {self.path}" if self.path.name.endswith(".failed") else \
                "nothing written"
            return f"{command}: {self.format} FAILED: {self.reason}; {where}"
        numbers = [f"max |diff| {self.max_abs_diff:.2e}"]
        if self.output != "probabilities":
            numbers.append(f"relative error {self.relative_error:.2e}")
        if self.top1_agreement is not None:
            numbers.append(f"top-1 agreement {self.top1_agreement:.3f}")
        verdict = "ok" if self.ok else "FAILED"
        return (f"{command}: {self.format} {verdict}: {', '.join(numbers)} on {self.examples} "
                f"{self.inputs} {bar}; {self.path}")


def check_export(model, format: str, out, inputs, *, task=None,
                 described: str = "examples") -> ExportResult:
    """Export `model` as `format` at `out`, run the file on `inputs` (one array per model
    input) and compare with `model.predict`; `task` (the registry's) says whether the output
    is class scores. A failing converter, runtime or parity is a result with `ok=False`,
    not an exception."""
    names = [i.name for i in model.inputs]
    as_keras = inputs[0] if len(inputs) == 1 else list(inputs)
    as_named = inputs[0] if len(inputs) == 1 else dict(zip(names, inputs))
    expected = np.asarray(model.predict(as_keras, verbose=0), np.float32)  # not bfloat16
    kind = _output_kind(expected, task)
    bars = BARS if kind == "probabilities" or (
        kind == "scores" and format == "tflite-int8") else VALUE_BARS
    mixed = sorted({layer.dtype_policy.name for layer in model._flatten_layers()
                    if getattr(layer, "dtype_policy", None) is not None
                    and layer.dtype_policy.name.startswith("mixed_")})
    # a mixed-precision model is itself only float16-accurate: no float32 bar against it
    measure, bar = bars["tflite-float16"] if mixed and format != "tflite-int8" else bars[format]
    out = Path(out)
    result = ExportResult(out, format, False, len(inputs[0]), described, measure, bar,
                          output=kind, policy=mixed[0] if mixed else "float32")
    written = False
    try:
        _write(model, format, out, as_named)
        written = True
        got = _run(format, out, as_keras, as_named)
        if got.shape != expected.shape:
            raise ValueError(f"the export's output has shape {got.shape}, Keras' "
                             f"{expected.shape}")
    except Exception as err:  # any converter or runtime error: a failed export, said so
        if os.environ.get("ZOO_DEBUG") == "1":
            raise
        result.reason = _one_line(err)
        if written or (format == "savedmodel" and out.exists()):  # partial folder
            result.path = _set_aside(out)
        return result
    diff = np.abs(got.astype(np.float64) - expected)
    result.max_abs_diff = float(np.max(diff))
    scale = float(np.max(np.abs(expected)))
    result.relative_error = result.max_abs_diff / scale if scale > 0 else (
        0.0 if result.max_abs_diff == 0 else float("inf"))
    if kind != "values":
        result.top1_agreement = float(np.mean(np.argmax(got, -1) == np.argmax(expected, -1)))
    value = getattr(result, measure)
    result.ok = bool(np.isfinite(got).all() or not np.isfinite(expected).all()) and (
        value >= bar if measure == "top1_agreement" else value <= bar)
    if not result.ok:
        result.path = _set_aside(out)
    return result


def default_name(format: str) -> str:
    """The file or folder name a format is written to under RUN/exports/."""
    if format == "savedmodel":
        return "saved_model"
    return "model.onnx" if format == "onnx" else f"model_{format[7:]}.tflite"


def _output_kind(expected, task) -> str:
    """"probabilities" (a softmax over the last axis), "scores" (class scores of another kind:
    logits), or "values" (regression, pixels, anything else)."""
    if expected.ndim >= 2 and expected.shape[-1] >= 2:
        sums = expected.sum(-1)
        if np.all(expected >= 0) and np.allclose(sums, 1.0, atol=2e-2):  # bfloat16: 1e-2
            return "probabilities"
        if task in SCORE_TASKS:
            return "scores"
    return "values"


def _write(model, format, out, as_named) -> None:
    """Write `model` as `format` at `out` (int8 calibrates on the parity inputs)."""
    if format == "savedmodel":
        from zoo.export.savedmodel import export_savedmodel

        export_savedmodel(model, out)
    elif format == "onnx":
        from zoo.export.onnx import export_onnx

        export_onnx(model, out)
    else:
        from zoo.export.onnx import float32_model
        from zoo.export.tflite import export_tflite

        # TFLite has no bfloat16 kernels: its presets are the precision choice
        export_tflite(unrolled(float32_model(model)), out, preset=format[7:],
                      representative_data=as_named)


def _run(format, out, as_keras, as_named):
    """The outputs of the file at `out` on the inputs, run by its own runtime."""
    if format == "savedmodel":
        from zoo.export.savedmodel import serve

        return np.asarray(serve(out, as_keras))
    if format == "onnx":
        from zoo.export.onnx import predict_onnx

        return np.asarray(predict_onnx(out, as_named))
    from zoo.export.tflite import predict_tflite

    return np.asarray(predict_tflite(out, as_named))


def unrolled(model):
    """`model`, or a copy with its recurrent layers unrolled (same weights) for TFLite: its
    builtin ops cannot lower the TensorList loop a Keras RNN traces to, and LiteRT's wheel has
    no Flex delegate for TensorFlow's own ops. A free (None) time length cannot unroll: then
    `model` itself, and the converter says why."""
    import keras

    if not any(isinstance(layer, keras.layers.RNN) and not layer.unroll
               for layer in model._flatten_layers()):
        return model
    if any(d is None for spec in model.inputs for d in spec.shape[1:]):
        return model  # a free length: only a loop can run it
    copy = model.__class__.from_config(_unroll_config(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def _unroll_config(config):
    if isinstance(config, dict):
        return {k: True if k == "unroll" and v is False else _unroll_config(v)
                for k, v in config.items()}
    if isinstance(config, list):
        return [_unroll_config(v) for v in config]
    return config


def _set_aside(out: Path) -> Path:
    """Rename a failed export to `*.failed` (replacing an older one) so it is never mistaken
    for a good one."""
    failed = out.with_name(out.name + ".failed")
    if failed.is_dir():
        shutil.rmtree(failed)
    os.replace(out, failed)
    return failed


def _one_line(err) -> str:
    """The gist of a converter's (often pages-long) error."""
    text = str(err)
    if "TF Select ops:" in text:  # TFLite: ops outside its builtin set
        ops = text.split("TF Select ops:", 1)[1].splitlines()[0].strip()
        return f"TFLite has no builtin kernel for TensorFlow op(s) {ops} (needs TF Select)"
    if "Lowering tensor list ops is failed" in text:  # an RNN over a free time length
        return ("TFLite cannot lower the loop of a recurrent layer over a free (None) time "
                "length (TensorList ops; LiteRT has no Flex delegate)")
    if "INT8" in text and "Quantization not yet supported for op" in text:
        op = text.split("Quantization not yet supported for op:", 1)[1].split()[0].strip("'")
        return f"TFLite int8 quantization does not support op {op}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    first = first if len(first) <= 200 else first[:197] + "..."
    return f"{type(err).__name__}: {first}"
