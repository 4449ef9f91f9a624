"""`zoo export RUN --format F`: export any run (`zoo train` or `zoo finetune`, any model) and
check the export against the Keras model on real inputs before calling it a success.

Formats: savedmodel, tflite-float32, tflite-float16, tflite-int8 (calibrated on the same
inputs; LiteRT runs the file) and onnx (tf2onnx; ONNX Runtime runs the file). Inputs: up to
200 of `data` -- an image folder (decoded as the run's training images were), or a dataset
name as `zoo train --data` takes it (digits, shapes, sequences:TASK, text:TASK, seq2seq:TASK:
its test split, loaded as training loaded it). Default: the data the run records (the image
folder, or metrics.json's "data" and "seed"). A GAN's generator takes noise: seeded N(0, I)
draws (and class labels when conditional). The export and its parity check
(bars, RNN unrolling for TFLite, failed files renamed `*.failed`, exit code 1 here) are
`zoo.export.check.check_export`'s. Needs TensorFlow.
"""

from __future__ import annotations

import json
import os

import numpy as np

from zoo.export.check import (FORMATS, ExportResult, check_export, default_name,  # noqa: F401
                              unrolled)  # re-exported: zoo.inference.export_run's names
from zoo.inference.predict import decode, image_inputs
from zoo.inference.runs import open_run, recorded_input


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

