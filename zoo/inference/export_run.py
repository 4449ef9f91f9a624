"""`zoo export RUN --format F`: export any run (`zoo train` or `zoo finetune`, any model) and
check the export against the Keras model on real inputs before calling it a success.

Formats: savedmodel, tflite-float32, tflite-float16, tflite-int8 (calibrated on the same
inputs; LiteRT runs the file) and onnx (tf2onnx; ONNX Runtime runs the file). Inputs: up to
200 of `data` -- an image folder (decoded as the run's training images were), or a dataset
name as `zoo train --data` takes it (digits, shapes, sequences:TASK, text:TASK, seq2seq:TASK:
its test split, loaded as training loaded it). Default: the data the run records (the image
folder, or metrics.json's "data" and "seed"). A GAN's generator takes noise: seeded N(0, I)
draws (and class labels when conditional). For TFLite, recurrent layers are unrolled first
(`unrolled`: same weights), so an RNN over a fixed length exports; over a free (None) length
it cannot, and the failure says so.

Parity is measured on the model's output: max |export - keras|; top-1 agreement when the output
is class scores (classifiers, language models; per step); relative error (max |diff| / max
|keras|) when it is not a probability distribution. Bars: probabilities: max |diff| <= 1e-4
(savedmodel, tflite-float32, onnx), <= 2e-2 (float16); other outputs: relative error <= 1e-4,
<= 2e-2 (float16); int8: top-1 agreement >= 0.9 for class scores, relative error <= 0.1
otherwise. An export that misses its bar, or that its converter or runtime rejects, is reported
as FAILED (exit code 1): a written file is renamed `*.failed`, and the reason is one line.
Needs TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import numpy as np

from zoo.inference.predict import decode, image_inputs
from zoo.inference.runs import open_run, recorded_input

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

    def summary(self) -> str:
        sign = ">=" if self.measure == "top1_agreement" else "<="
        mixed = f"; a {self.policy} model" if self.policy != "float32" else ""
        bar = f"(bar: {self.measure} {sign} {self.bar:g}{mixed})"
        if self.reason is not None:
            where = f"set aside as {self.path}" if self.path.name.endswith(".failed") else \
                "nothing written"
            return f"zoo export: {self.format} FAILED: {self.reason}; {where}"
        numbers = [f"max |diff| {self.max_abs_diff:.2e}"]
        if self.output != "probabilities":
            numbers.append(f"relative error {self.relative_error:.2e}")
        if self.top1_agreement is not None:
            numbers.append(f"top-1 agreement {self.top1_agreement:.3f}")
        verdict = "ok" if self.ok else "FAILED"
        return (f"zoo export: {self.format} {verdict}: {', '.join(numbers)} on {self.examples} "
                f"{self.inputs} {bar}; {self.path}")


def export_run(run, format: str, *, out=None, data=None, samples: int = 200) -> ExportResult:
    """Export `run` (a run folder or `.keras` file) as `format` to `out` (default:
    RUN/exports/) and check its parity on up to `samples` inputs of `data` (default: the
    run's own data). Example: `export_run("runs/mlp-digits", "onnx").ok`."""
    from zoo.transfer.finetune import inference_model

    if format not in FORMATS:
        raise ValueError(f"zoo export: unknown format {format!r}; use one of {FORMATS}")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise ValueError(f"zoo export: samples must be an int >= 1, got {samples!r}")
    if format == "onnx":
        from zoo.export.onnx import require

        require()  # a missing extra is an install step, not a failed export
    opened = open_run(run)
    inputs, described = parity_inputs(opened, data, samples)
    if out is None:
        base = opened.path if opened.path.is_dir() else opened.path.parent
        out = base / "exports" / default_name(format)
    return check_export(inference_model(opened.model), format, out, inputs,
                        task=opened.task, described=described)


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


def parity_inputs(opened, data, samples: int):
    """([one array per model input], what they are) -- up to `samples` real inputs for
    `opened` (a `zoo.inference.runs.Run`) from `data`, or from what the run records."""
    from zoo.models.generative_models import GAN

    model = opened.model
    if isinstance(model, GAN):  # a generator's input is noise, whatever its data were
        rng = np.random.default_rng(0)
        noise = rng.standard_normal((samples, model.latent_dim)).astype(np.float32)
        if not model.conditional:
            return [noise], "noise vectors from N(0, I)"
        labels = rng.integers(0, model.num_labels, (samples, 1)).astype(np.int32)
        return [noise, labels], "noise vectors from N(0, I) with class labels"
    seed = 0
    if data is None:
        data, seed = _recorded_data(opened)
    if isinstance(data, (str, os.PathLike)) and os.path.isdir(data):
        return _folder_inputs(opened, data, samples), f"images of {os.fspath(data)}"
    return _dataset_inputs(opened, str(data), samples, seed), f"examples of {data} (test split)"


def _recorded_data(opened):
    """(the data a run was trained on, its seed), or a ValueError saying to pass --data."""
    if opened.data is not None:  # an image folder that still exists
        return opened.data, 0
    recorded, seed = None, 0
    if opened.path.is_dir():
        recorded = recorded_input(opened.path).get("data")
        metrics = opened.path / "metrics.json"
        if opened.source == "train" and metrics.is_file():
            seed = json.loads(metrics.read_text()).get("seed", 0)
    if not isinstance(recorded, str) or not recorded:
        raise ValueError(f"zoo export: {str(opened.path)!r} records no data to check the export "
                         "on; pass --data (an image folder or a dataset name such as digits, "
                         "sequences:adding, text:modules)")
    looks_like_path = os.sep in recorded or recorded.startswith(".")
    if opened.source == "finetune" or looks_like_path:
        raise ValueError(f"zoo export: the run's data {recorded!r} is not an image folder "
                         "that still exists; pass --data DIR")
    return recorded, int(seed)


def _folder_inputs(opened, folder, samples: int) -> list:
    if len(opened.input_shape) != 3:
        raise ValueError(f"zoo export: --data {os.fspath(folder)!r} is an image folder, but "
                         f"{str(opened.path)!r} takes inputs of shape {opened.input_shape}; "
                         "pass a dataset name (e.g. digits, sequences:adding, text:modules)")
    files = image_inputs([folder])
    rng = np.random.default_rng(0)
    files = [files[i] for i in sorted(rng.permutation(len(files))[:samples])]
    images, _, _ = decode(files, opened)
    if not images:
        raise ValueError(f"zoo export: no readable images under {os.fspath(folder)!r}")
    return [np.stack(images).astype(np.float32)]


def _dataset_inputs(opened, name: str, samples: int, seed: int) -> list:
    """The test split of dataset `name` (train split if it has no test), loaded as `zoo
    train` loads it (`zoo.data.load(name, seed=..., as_numpy=True)`)."""
    import zoo.data

    splits = zoo.data.load(name, seed=seed, as_numpy=True)
    x = splits.test[0] if len(_first(splits.test[0])) else splits.train[0]
    arrays = [np.asarray(a) for a in (x if isinstance(x, (tuple, list)) else [x])]
    wanted = [tuple(i.shape[1:]) for i in opened.model.inputs]
    got = [a.shape[1:] for a in arrays]
    if len(got) != len(wanted) or any(
            len(g) != len(w) or any(d is not None and d != e for d, e in zip(w, g))
            for g, w in zip(got, wanted)):
        raise ValueError(f"zoo export: {name!r} gives inputs of shape {_shapes(got)}, but "
                         f"{str(opened.path)!r} takes {_shapes(wanted)}; pass --data with the "
                         "data the run was trained on")
    rng = np.random.default_rng(0)
    keep = np.sort(rng.permutation(len(arrays[0]))[:samples])
    dtypes = [i.dtype for i in opened.model.inputs]
    return [a[keep].astype(dtype) for a, dtype in zip(arrays, dtypes)]


def _first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def _shapes(shapes) -> str:
    shown = [tuple("None" if d is None else d for d in s) for s in shapes]
    return ", ".join(f"({', '.join(map(str, s))})" for s in shown)


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
