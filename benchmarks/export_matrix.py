"""Every registered model x every export format: does it export, and does the export compute
what the Keras model computes? Writes benchmarks/results/export_matrix.md (the README's table of
families x formats) and export_matrix.json.

    python -m benchmarks.export_matrix                        # all models, all formats
    python -m benchmarks.export_matrix --models "mlp*" gpt --formats onnx   # rerun some cells

Each model is built by `zoo.build` at its defaults (small shapes already: 32x32 images, 64-token
text), its all-zero kernels (zero-initialised heads) jittered with N(0, 0.05) and its BatchNorm
statistics set from the inputs (`calibrate_batchnorm`) so that no output is trivially constant
(the table flags any model whose output still is: its parity would prove nothing), then
checked by `zoo.inference.export_run.check_export`, the very check `zoo export` runs, with its
bars, on 64 random-but-valid inputs: floats uniform in [0, 1] (zoo's pixel and value range),
N(0, I) noise for a GAN's generator, token ids and labels below the size of the embedding that
reads them, free lengths (None) set to 16. Every model runs in its
own process, so a converter that crashes costs one row, not the table.

Random weights are a harsh test for the lossy formats: an untrained classifier's probabilities
are near-ties, so int8 rounding flips argmaxes a trained model would keep. Every model with an
export that runs but misses its bar is therefore also trained (`zoo.train.run`, the code of
`zoo train NAME --epochs 3` on its default dataset) and exported again in those formats by
`export_run`, the code of `zoo export RUN --format F`, on 200 real test inputs: the "trained"
column.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).parent / "results"
FORMATS = ("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8", "onnx")
SAMPLES = 64
FREE_LENGTH = 16  # what a None (free) sequence length becomes


def random_inputs(model, n=SAMPLES, seed=0) -> list:
    """One array per model input: valid values of its dtype and shape (see the docstring)."""
    import keras
    import numpy as np

    from zoo.models.generative_models import GAN

    rng = np.random.default_rng(seed)
    embeddings = [layer.input_dim for layer in model._flatten_layers()
                  if isinstance(layer, keras.layers.Embedding)]
    arrays = []
    for spec in model.inputs:
        shape = (n, *(FREE_LENGTH if d is None else d for d in spec.shape[1:]))
        if "int" in str(spec.dtype):
            arrays.append(rng.integers(0, min(embeddings), shape).astype(spec.dtype))
        elif isinstance(model, GAN):
            arrays.append(rng.standard_normal(shape).astype("float32"))
        else:
            arrays.append(rng.random(shape, dtype=np.float32))
    return arrays


def jitter_zero_kernels(model, seed=0, stddev=0.05) -> int:
    """Give all-zero kernels (ndim >= 2) small random values; returns how many."""
    import numpy as np

    rng = np.random.default_rng(seed)
    count = 0
    for variable in model.weights:
        value = np.asarray(variable)
        if value.ndim >= 2 and not value.any():
            variable.assign(rng.normal(0.0, stddev, value.shape).astype(value.dtype))
            count += 1
    return count


def calibrate_batchnorm(model, inputs) -> int:
    """Set every BatchNormalization's moving statistics to its batch statistics on `inputs`
    (one training-mode pass at momentum 0), as training would; returns how many. Untrained
    statistics (mean 0, variance 1) let activations grow until ReLU6 saturates and the
    output is the same for every input, which would make any export "agree"."""
    import keras

    layers = [layer for layer in model._flatten_layers()
              if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    try:
        model(inputs[0] if len(inputs) == 1 else inputs, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return len(layers)


def check_model(name: str, formats) -> dict:
    """{format: record} for registered model `name` (in this process)."""
    import keras
    import numpy as np

    import zoo
    from zoo import registry
    from zoo.inference.export_run import check_export

    keras.utils.set_random_seed(0)
    model = zoo.build(name)
    jitter_zero_kernels(model)
    inputs = random_inputs(model)
    calibrate_batchnorm(model, inputs)
    task = registry.get(name).task
    outputs = np.asarray(model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0))
    spread = float(np.max(np.std(outputs, axis=0)))  # 0: the same output for every input
    records = {"output_spread": spread}
    with tempfile.TemporaryDirectory() as tmp:
        for format in formats:
            out = Path(tmp) / ("saved_model" if format == "savedmodel" else f"m.{format}")
            start = time.perf_counter()
            result = check_export(model, format, out, inputs, task=task,
                                  described="random inputs")
            records[format] = {
                "ok": result.ok, "measure": result.measure, "bar": result.bar,
                "value": None if result.reason else getattr(result, result.measure),
                "max_abs_diff": result.max_abs_diff, "relative_error": result.relative_error,
                "top1_agreement": result.top1_agreement, "output": result.output,
                "reason": result.reason, "seconds": round(time.perf_counter() - start, 1)}
            print(f"export_matrix: {name} {result.summary()}", file=sys.stderr, flush=True)
    return records


TRAINED_EPOCHS = 3


def check_trained(name: str, formats, epochs: int = TRAINED_EPOCHS) -> dict:
    """`zoo train NAME --epochs E` then `zoo export RUN --format F` for each of `formats`, in
    this process: {"records": {format: record}, "test": metrics, "chance": 1 / classes}."""
    from zoo.inference.export_run import export_run
    from zoo.train.run import run

    start = time.perf_counter()
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        trained = run(name, epochs=epochs, out=Path(tmp) / "run", tensorboard=False, verbose=0)
        for format in formats:
            result = export_run(trained.out, format)
            print(f"export_matrix: {name} trained {epochs} epochs {result.summary()}",
                  file=sys.stderr, flush=True)
            records[format] = {
                "ok": result.ok, "measure": result.measure, "bar": result.bar,
                "value": None if result.reason else getattr(result, result.measure),
                "max_abs_diff": result.max_abs_diff, "reason": result.reason}
        classes = int(trained.model.outputs[0].shape[-1])
    return {"records": records, "epochs": epochs, "test": trained.metrics,
            "chance": 1.0 / classes if classes > 1 else None,
            "seconds": round(time.perf_counter() - start, 1)}


def _run_child(name, formats, trained=False) -> dict:
    """`check_model` in a fresh process; a crash is every cell of the row failing."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as record:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.export_matrix", "--child", name,
             "--record", record.name, "--formats", *formats, *(["--trained"] * trained)],
            cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        text = Path(record.name).read_text()
    if proc.returncode != 0 or not text:
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["?"]
        reason = f"the process died (exit code {proc.returncode}): {tail[0][:160]}"
        failed = {f: {"ok": False, "reason": reason, "value": None} for f in formats}
        return {"records": failed} if trained else failed
    for line in proc.stderr.splitlines():
        if line.startswith("export_matrix:"):
            print(line, flush=True)
    return json.loads(text)


def _status(record) -> str:
    """"ok" (meets zoo export's bar), "below bar" (converts and runs, misses it) or "no"
    (the converter or runtime fails)."""
    if record["ok"]:
        return "ok"
    return "no" if record.get("reason") else "below bar"


def _cell(record) -> str:
    status = _status(record)
    if status == "no":
        return "**no**"
    value = (f"top-1 {record['value']:.3f}" if record["measure"] == "top1_agreement"
             else f"{record['value']:.2g}")
    return f"{status} {value}"


def markdown(table: dict, meta: dict) -> str:
    from zoo import registry

    families = {}
    for name in table:
        families.setdefault(registry.get(name).family, []).append(name)
    lines = [
        "# Export matrix: every registered model x every format", "",
        f"`python -m benchmarks.export_matrix` ({meta['minutes']:.0f} min of exports, checks "
        f"and training in all, on {meta['machine']}, a CPU shared with other work); "
        f"{', '.join(f'{k} {v}' for k, v in meta['versions'].items())}.", "",
        "Each model at its `zoo.build` defaults, zero-initialised kernels jittered, BatchNorm "
        "statistics set from the inputs, checked by "
        "`zoo export`'s own parity check (`zoo.inference.export_run.check_export`, same bars) "
        f"on {SAMPLES} random-but-valid inputs (see the module docstring). **ok**: converts, "
        "runs (LiteRT, ONNX Runtime, TensorFlow) and meets the bar; **below bar**: converts and "
        "runs but misses the bar on random weights (then see *trained*); **no**: the "
        "converter or the runtime fails (reason below).", "",
        "## By family", "",
        "Models that pass / models; *trained*: the formats below the bar again, after `zoo "
        f"train NAME --epochs {TRAINED_EPOCHS}`, by `zoo export` on 200 real test inputs.", "",
        "| family | " + " | ".join(FORMATS) + " |", "|---" * (len(FORMATS) + 1) + "|"]
    for family, names in sorted(families.items()):
        cells = []
        for format in FORMATS:
            records = {n: table[n][format] for n in names}
            passed = [n for n, r in records.items() if r["ok"]]
            text = f"{len(passed)}/{len(names)}"
            notes = []
            for n, r in records.items():
                if r["ok"]:
                    continue
                trained = table[n].get("trained", {}).get("records", {}).get(format)
                if trained is not None:
                    notes.append(f"{n}: {_status(r)}; trained {_cell(trained)}")
                else:
                    notes.append(f"{n}: {_status(r)}")
            cells.append(text + (f" ({'; '.join(notes)})" if notes else ""))
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    lines += ["", "## By model", "",
              "Cells: the number the bar is on -- max |diff| of probabilities, relative error "
              "(max |diff| / max |keras|) of other outputs, top-1 agreement for int8 class "
              "scores; [n]: the reason below.", "",
              "| model | family | " + " | ".join(FORMATS) + " | trained (below-bar formats) |",
              "|---" * (len(FORMATS) + 3) + "|"]
    reasons = []
    for name in sorted(table):
        cells = []
        for format in FORMATS:
            record = table[name][format]
            cell = _cell(record)
            if record.get("reason"):
                reasons.append(f"{name}, {format}: {record['reason']}")
                cell += f" [{len(reasons)}]"
            cells.append(cell)
        trained = table[name].get("trained")
        if trained is None:
            cells.append("")
        else:
            parts = []
            for format, record in trained["records"].items():
                part = f"{format[7:] if format.startswith('tflite-') else format} {_cell(record)}"
                if record.get("reason"):
                    reasons.append(f"{name}, {format} (trained): {record['reason']}")
                    part += f" [{len(reasons)}]"
                parts.append(part)
            test = trained.get("test") or {}
            if "accuracy" in test:
                chance = trained.get("chance")
                parts.append(f"test accuracy {test['accuracy']:.2f}" + (
                    f", chance {chance:.2f}" if chance else ""))
            elif test:
                metric, value = next(iter(test.items()))
                parts.append(f"test {metric} {value:.3g}")
            cells.append("; ".join(parts))
        lines.append(f"| {name} | {registry.get(name).family} | " + " | ".join(cells) + " |")
    at_chance = sorted(n for n, row in table.items() if row.get("trained", {}).get("chance")
                       and row["trained"].get("test", {}).get("accuracy", 1.0)
                       < row["trained"]["chance"] + 0.05)
    if at_chance:
        lines += ["", f"Trained runs still at chance accuracy after {TRAINED_EPOCHS} epochs "
                  "(their outputs stay near-ties, so int8's top-1 agreement says little): "
                  + ", ".join(at_chance) + "."]
    constant = sorted(n for n in table if table[n].get("output_spread", 1.0) < 1e-6)
    lines += ["", "Models whose Keras output is the same for every random input (parity on "
              "them proves nothing): " + (", ".join(constant) if constant else "none") + "."]
    lines += ["", "## Why the failures fail", ""] + [
        f"{i + 1}. {line}" for i, line in enumerate(reasons)] + [""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["*"],
                        help="fnmatch patterns of registered models (default: all)")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--no-trained", action="store_true",
                        help="do not train the models with an export below its bar")
    parser.add_argument("--trained", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        record = check_trained(args.child, args.formats) if args.trained else \
            check_model(args.child, args.formats)
        Path(args.record).write_text(json.dumps(record))
        return
    from benchmarks.harness import machine_name, versions
    from zoo import registry

    names = [n for n in registry.list_models()
             if any(fnmatch.fnmatch(n, p) for p in args.models)]
    saved = RESULTS / "export_matrix.json"
    table = json.loads(saved.read_text())["table"] if saved.is_file() else {}
    for name in names:
        table.setdefault(name, {}).update(_run_child(name, args.formats))
        row = table[name]
        below = [f for f in FORMATS if f in row and _status(row[f]) == "below bar"]
        if not below:
            row.pop("trained", None)
        elif not args.no_trained and (set(below) & set(args.formats) or "trained" not in row):
            row["trained"] = _run_child(name, below, trained=True)
    table = {n: row for n, row in table.items()
             if n in registry.list_models() and all(f in row for f in FORMATS)}
    found = versions()
    for module in ("tf2onnx", "onnxruntime", "ai_edge_litert"):
        try:
            found[module] = importlib.metadata.version(module.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            found[module] = "not installed"
    seconds = sum(r.get("seconds") or 0 for row in table.values() for r in row.values()
                  if isinstance(r, dict))
    meta = {"machine": machine_name(), "versions": found, "minutes": seconds / 60}
    from zoo.export.saving import write_text

    write_text(saved, json.dumps({"meta": meta, "table": table}, indent=1) + "\n")
    write_text(RESULTS / "export_matrix.md", markdown(table, meta))
    print(f"export_matrix: wrote {RESULTS / 'export_matrix.md'}")


if __name__ == "__main__":
    main()
