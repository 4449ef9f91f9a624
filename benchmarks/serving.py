"""Serving: what answers one request fastest, and what pushes the most images through, on this CPU.

    python -m benchmarks --only serving            # the suite's records + results/serving.md
    python -m benchmarks.serving --models finetuned mlp --calls 50   # a partial run, printed

For the fine-tuned backbone (`zoo_mobilenet_synthetic` + a new head, as `zoo finetune` builds
it) and one model per family that exports, each runtime gets the same inputs:
- keras predict:  `model.predict(x)` (what most scripts call; builds a tf.data pipeline per call)
- keras call:     `model(x, training=False)` (eager, no pipeline)
- savedmodel:     `tf.saved_model.load(dir).serve(x)` of `model.export(dir)`
- tflite-*:       LiteRT's interpreter (`ai-edge-litert`) on the float32/float16/int8 file
- onnxruntime:    an ONNX Runtime CPU session on the tf2onnx file (needs `zoo[onnx]`)
Single request: `calls` calls of batch 1 after warm-up; median and p99 latency in ms. Batch:
throughput in examples/s at batch 64. "x fastest" is the runtime's median over the fastest
median of the same model (1.00 = fastest). A runtime that cannot run a model is listed with
the reason, not left out.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

RUNTIMES = ("keras predict", "keras call", "savedmodel", "tflite-float32", "tflite-float16",
            "tflite-int8", "onnxruntime")
MODELS = ("finetuned", "mlp", "resnet_small", "rnn", "transformer_classifier")
BATCH = 64
RESULTS = Path(__file__).parent / "results"


def build(name):
    """(model, a function giving n valid inputs)."""
    import zoo

    if name == "finetuned":
        from zoo.models.backbones import classifier

        base = zoo.backbone("zoo_mobilenet_synthetic", input_shape=(32, 32, 3),
                            input_range=(0, 255))
        model = classifier(base, num_classes=10, name="zoo_mobilenet_synthetic_finetuned")
    else:
        model = zoo.build(name)
    spec = model.inputs[0]
    shape = tuple(spec.shape[1:])
    rng = np.random.default_rng(0)

    def inputs(n):
        if "int" in str(spec.dtype):  # token ids: small ones are in every vocabulary
            return rng.integers(1, 10, (n, *shape)).astype("int32")
        high = 255.0 if name == "finetuned" else 1.0
        return rng.uniform(0, high, (n, *shape)).astype("float32")

    return model, inputs


def runners(model, inputs, runtime, folder):
    """(single(x), batch(x)) callables for `runtime`, after exporting what it needs."""
    if runtime == "keras predict":
        call = lambda x: model.predict(x, verbose=0, batch_size=len(x))  # noqa: E731
        return call, call
    if runtime == "keras call":
        call = lambda x: np.asarray(model(x, training=False))  # noqa: E731
        return call, call
    if runtime == "savedmodel":
        import tensorflow as tf

        from zoo.export.savedmodel import export_savedmodel

        loaded = tf.saved_model.load(str(export_savedmodel(model, folder / "saved_model")))
        call = lambda x: loaded.serve(tf.constant(x)).numpy()  # noqa: E731  (keeps it alive)
        return call, call
    if runtime.startswith("tflite-"):
        from zoo.export.tflite import export_tflite

        from zoo.inference.export_run import unrolled  # as zoo export converts RNNs

        preset = runtime.split("-", 1)[1]
        path = export_tflite(unrolled(model), folder / f"{preset}.tflite", preset=preset,
                             representative_data=inputs(100) if preset == "int8" else None)
        return _tflite(path, 1), _tflite(path, BATCH)
    if runtime == "onnxruntime":
        import onnxruntime

        from zoo.export.onnx import export_onnx

        session = onnxruntime.InferenceSession(str(export_onnx(model, folder / "model.onnx")),
                                               providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        call = lambda x: session.run(None, {name: x})[0]  # noqa: E731
        return call, call
    raise ValueError(f"benchmarks.serving: unknown runtime {runtime!r}; known {RUNTIMES}")


def _tflite(path, batch):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=None)
    detail = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
    interpreter.allocate_tensors()
    out = interpreter.get_output_details()[0]["index"]

    def call(x):
        interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
        interpreter.invoke()
        return interpreter.get_tensor(out)

    return call


def measure(single, batch, inputs, calls):
    """(median ms, p99 ms, examples/s at BATCH)."""
    one, many = inputs(1), inputs(BATCH)
    for _ in range(5):
        single(one)
        batch(many)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        single(one)
        times.append((time.perf_counter() - start) * 1e3)
    rounds = max(3, calls // 10)
    start = time.perf_counter()
    for _ in range(rounds):
        batch(many)
    throughput = rounds * BATCH / (time.perf_counter() - start)
    return statistics.median(times), float(np.percentile(times, 99)), throughput


def run(models=MODELS, runtimes=RUNTIMES, calls=200, log=print):
    """One row per (model, runtime): {"model", "runtime", "median_ms", "p99_ms",
    "throughput", "error"}; "x fastest" is added per model."""
    import keras

    rows = []
    for name in models:
        keras.backend.clear_session()
        model, inputs = build(name)
        with tempfile.TemporaryDirectory() as tmp:
            for runtime in runtimes:
                row = {"model": name, "runtime": runtime, "error": None}
                try:
                    single, batch = runners(model, inputs, runtime, Path(tmp))
                    row["median_ms"], row["p99_ms"], row["throughput"] = measure(
                        single, batch, inputs, calls)
                except Exception as err:  # a runtime that cannot run it is a finding, not a crash
                    row["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"
                rows.append(row)
                log(_line(row))
        timed = [r for r in rows if r["model"] == name and r["error"] is None]
        fastest = min((r["median_ms"] for r in timed), default=None)
        for r in timed:
            r["x_fastest"] = r["median_ms"] / fastest
    return rows


def _line(row):
    if row["error"]:
        return f"{row['model']:24s} {row['runtime']:15s} failed: {row['error']}"
    return (f"{row['model']:24s} {row['runtime']:15s} {row['median_ms']:8.3f} ms median "
            f"{row['p99_ms']:8.3f} ms p99 {row['throughput']:10.1f} /s at {BATCH}")


def markdown(rows, command) -> str:
    import keras

    lines = ["Made by:", "", f"    {command}", "",
             f"keras {keras.__version__}; single request = batch 1, {BATCH} for throughput; "
             f"{time.strftime('%Y-%m-%d')}.", "",
             "| model | runtime | median ms | p99 ms | x fastest | examples/s at 64 |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if r["error"]:
            lines.append(f"| {r['model']} | {r['runtime']} | - | - | - | failed: "
                         f"{r['error'].replace('|', '/')} |")
        else:
            lines.append(f"| {r['model']} | {r['runtime']} | {r['median_ms']:.3f} | "
                         f"{r['p99_ms']:.3f} | {r['x_fastest']:.2f} | {r['throughput']:.0f} |")
    return "\n".join(lines) + "\n"


def serving(steps=200, repeats=None, out=RESULTS / "serving.md"):
    """The suite's entry (`python -m benchmarks --only serving`): writes `out` and returns one
    Record per timed row (unit ms, zoo = median, reference = the model's fastest median)."""
    from benchmarks.harness import Record, machine_name
    from zoo.export.saving import write_text

    rows = run(calls=steps)
    if out is not None and steps >= 100:  # --quick runs never replace measured figures
        write_text(out, markdown(rows, "python -m benchmarks --only serving"))
    records = []
    for r in rows:
        if r["error"] is None:
            records.append(Record(
                name=f"serving {r['model']} {r['runtime']}", unit="ms (median, batch 1)",
                zoo=r["median_ms"], reference=r["median_ms"] / r["x_fastest"],
                ratio=1.0 / r["x_fastest"], machine=machine_name(),
                note=f"p99 {r['p99_ms']:.2f} ms; {r['throughput']:.0f}/s at {BATCH}",
                extra=r))
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--runtimes", nargs="+", default=list(RUNTIMES), choices=RUNTIMES)
    parser.add_argument("--calls", type=int, default=200, help="single-request calls per row")
    parser.add_argument("--out", help="also write the table here (.md)")
    args = parser.parse_args(argv)
    rows = run(args.models, args.runtimes, args.calls)
    if args.out:
        import sys

        from zoo.export.saving import write_text

        write_text(args.out, markdown(rows, "python -m benchmarks.serving " +
                                      " ".join(sys.argv[1:] if argv is None else argv)))
    return rows


if __name__ == "__main__":
    main()
