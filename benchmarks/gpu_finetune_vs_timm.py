"""Fine-tuning throughput on GPU: zoo under KERAS_BACKEND=jax against timm on PyTorch (#10 item 6).

For MobileNetV2 (alpha 1.0), MobileNetV3-Large and EfficientNet-B0 at 224x224, batch 256, bf16:
- full training step: `zoo.backbone(name, weights=None, trainable=True, pooling="avg")` + a
  1000-way Dense head, against `timm.create_model(...)` (mobilenetv2_100, mobilenetv3_large_100,
  efficientnet_b0), eager and under `torch.compile`;
- frozen-backbone transfer step: `zoo.transfer.classifier` on a frozen backbone (BatchNorm in
  inference mode, only the head trains) against timm with every parameter but the classifier's
  frozen and the model in eval mode.
Both sides run the same short loop on one random batch resident on the device: SGD (momentum
0.9), cross-entropy, bf16 compute with float32 weights (Keras "mixed_bfloat16"; torch.autocast
with channels-last tensors). zoo's step is `jax.jit` of the model's `stateless_call` and the
optimizer's `stateless_apply` (what `model.fit` runs, without its per-epoch overhead), timed
after compilation with `jax.block_until_ready`; timm's with `torch.cuda.synchronize()`.
Repetitions alternate between the contenders so drift hits all alike; medians.

Memory-bandwidth roofline (these nets train memory-bound): img/s = HBM bytes/s / bytes per
image, with bytes per image = activation elements x 2 B (bf16) x passes, where a full training
step makes 5 passes over each activation (forward: written, read by the next layer; backward:
read again, its gradient read, the input's gradient written) and a frozen step 2 (forward
only). "fused" counts only the outputs of Conv2D/DepthwiseConv2D/Dense (batch norm and
activation fused into them: the ceiling a perfect compiler reaches), "unfused" every layer's
output; weights (~0.2 MB/img at batch 256) are left out. HBM bandwidth is looked up from the
device name (`HBM_BYTES_S`) or given with --hbm-gbs.

    python -m benchmarks.gpu_finetune_vs_timm           # GPU machine, after gpu_smoke.sh
    python -m benchmarks.gpu_finetune_vs_timm --smoke   # CPU: batch 2, 32 px, 2 steps

Writes benchmarks/results/<machine>-gpu.json and .md (records: name, unit, zoo, reference,
ratio, machine, ...; --smoke writes only with --out). Where torch or timm does not import,
the timm half is skipped with a printed message and the records carry reference None.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# JAX would take 75% of GPU memory at start; torch runs in the same process
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from benchmarks.harness import Record, machine_name  # noqa: E402

# zoo backbone name -> timm model name
MODELS = {
    "mobilenet_v2": "mobilenetv2_100",
    "mobilenet_v3_large": "mobilenetv3_large_100",
    "efficientnet_b0": "efficientnet_b0",
}
# peak HBM bandwidth, bytes/s, by a substring of the device name (first match wins)
HBM_BYTES_S = {
    "H200": 4.8e12, "H100 PCIe": 2.0e12, "H100": 3.35e12, "A100-SXM4-80GB": 2.039e12,
    "A100 80GB PCIe": 1.935e12, "A100": 1.555e12, "L40S": 0.864e12, "A10G": 0.6e12,
    "L4": 0.3e12, "V100": 0.9e12, "T4": 0.32e12,
}
PASSES = {"train": 5, "frozen": 2}  # reads+writes of each activation per step (docstring)
WEIGHT_LAYERS = ("Conv2D", "DepthwiseConv2D", "Dense")
BYTES_PER_ELEMENT = 2  # bf16 activations
RESULTS = Path(__file__).parent / "results"


def hbm_bytes_s(device_name: str, override_gbs: float | None = None) -> float | None:
    if override_gbs:
        return override_gbs * 1e9
    for key, value in HBM_BYTES_S.items():
        if key.lower() in device_name.lower():
            return value
    return None


def activation_elements(model) -> dict:
    """Per-example activation elements of a Keras model: {"fused": outputs of weight layers,
    "unfused": outputs of every layer but the input}, nested models counted through."""
    counts = {"fused": 0, "unfused": 0}
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            inner = activation_elements(layer)
            counts = {k: counts[k] + inner[k] for k in counts}
            continue
        if type(layer).__name__ == "InputLayer":
            continue
        outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
        size = sum(math.prod(int(d) for d in t.shape[1:]) for t in outputs)
        counts["unfused"] += size
        if type(layer).__name__ in WEIGHT_LAYERS:
            counts["fused"] += size
    return counts


def roofline_images_s(elements: dict, step: str, bandwidth: float | None) -> dict:
    """{"fused": img/s, "unfused": img/s} at `bandwidth` bytes/s (None without one)."""
    out = {}
    for kind, count in elements.items():
        bytes_per_image = count * BYTES_PER_ELEMENT * PASSES[step]
        out[kind] = bandwidth / bytes_per_image if bandwidth else None
        out[f"{kind}_bytes_per_image"] = bytes_per_image
    return out


def alternate_all(timers: dict, repeats: int) -> dict:
    """Median seconds of each callable, run in turn `repeats` times (A, B, C, A, B, C, ...)."""
    times = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            times[name].append(timer())
    return {name: statistics.median(values) for name, values in times.items()}


# --- zoo on JAX
def zoo_model(name, *, step, image_size, num_classes):
    import keras

    import zoo
    from zoo.transfer import classifier

    shape = (image_size, image_size, 3)
    if step == "train":
        base = zoo.backbone(name, input_shape=shape, weights=None, trainable=True, pooling="avg")
        logits = keras.layers.Dense(num_classes, dtype="float32", name="predictions")(base.output)
        return keras.Model(base.inputs, logits, name=f"{name}_train"), True
    base = zoo.backbone(name, input_shape=shape, weights=None, trainable=False, pooling="avg")
    return classifier(base, num_classes=num_classes), False  # zoo's transfer head (softmax)


def zoo_timer(name, *, step, batch, image_size, num_classes, steps):
    """(callable timing `steps` steps -> seconds/step, compile seconds, device name, model)."""
    from functools import partial

    import jax
    import keras
    import numpy as np

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model, from_logits = zoo_model(name, step=step, image_size=image_size,
                                       num_classes=num_classes)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    optimizer.build(model.trainable_variables)

    def compute_loss(trainable, non_trainable, x, y):
        outputs, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, outputs), non_trainable

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @partial(jax.jit, donate_argnums=0)
    def train_step(state, x, y):
        trainable, non_trainable, optimizer_state = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, x, y)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_state)

    rng = np.random.default_rng(0)
    x = jax.device_put(rng.uniform(0, 1, (batch, image_size, image_size, 3)).astype("float32"))
    y = jax.device_put(rng.integers(0, num_classes, batch).astype("int32"))
    state = [([v.value for v in model.trainable_variables],
              [v.value for v in model.non_trainable_variables],
              [v.value for v in optimizer.variables])]
    start = time.perf_counter()
    loss, state[0] = train_step(state[0], x, y)
    jax.block_until_ready((loss, state[0]))
    compile_s = time.perf_counter() - start
    losses = [float(loss)]

    def timer():
        begin = time.perf_counter()
        for _ in range(steps):
            out, state[0] = train_step(state[0], x, y)
        jax.block_until_ready((out, state[0]))
        losses.append(float(out))
        return (time.perf_counter() - begin) / steps

    device = jax.devices()[0]
    timer.losses = losses
    return timer, compile_s, f"{device.platform} {getattr(device, 'device_kind', '')}", model


# --- timm on PyTorch
def torch_available() -> str | None:
    """None if torch and timm import, else why not."""
    try:
        import timm  # noqa: F401
        import torch  # noqa: F401
    except Exception as error:  # noqa: BLE001 -- any import failure means: skip this half
        return f"{type(error).__name__}: {error}"
    return None


def timm_timer(timm_name, *, step, batch, image_size, num_classes, steps, compiled):
    import timm
    import torch
    import torch.nn.functional as F

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    model = timm.create_model(timm_name, pretrained=False, num_classes=num_classes)
    model = model.to(device, memory_format=torch.channels_last)
    if step == "frozen":
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        for parameter in model.get_classifier().parameters():
            parameter.requires_grad_(True)
        model.eval()  # BatchNorm statistics frozen, as zoo's frozen backbone
    else:
        model.train()
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(parameters, lr=0.01, momentum=0.9)
    forward = torch.compile(model) if compiled else model
    x = torch.rand(batch, 3, image_size, image_size, device=device)
    x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, num_classes, (batch,), device=device)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def one_step():
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            loss = F.cross_entropy(forward(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    start = time.perf_counter()
    for _ in range(2 if compiled else 1):  # torch.compile may recompile once after step 1
        loss = one_step()
    sync()
    compile_s = time.perf_counter() - start
    losses = [loss.item()]

    def timer():
        begin = time.perf_counter()
        for _ in range(steps):
            loss = one_step()
        sync()
        losses.append(loss.item())
        return (time.perf_counter() - begin) / steps

    timer.losses = losses
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    return timer, compile_s, name


def benchmark(name, timm_name, *, step, args, why_no_torch, bandwidth_gbs):
    num_classes = 1000 if step == "train" else 10
    size = dict(step=step, batch=args.batch_size, image_size=args.image_size,
                num_classes=num_classes, steps=args.steps)
    zoo_run, zoo_compile_s, device, model = zoo_timer(name, **size)
    timers, compile_s = {"zoo": zoo_run}, {"zoo": zoo_compile_s}
    why_not = {"timm": why_no_torch, "timm_compiled": why_no_torch}
    if why_no_torch is None:
        for compiled in (False, True):
            label = "timm_compiled" if compiled else "timm"
            try:
                timers[label], compile_s[label], _ = timm_timer(timm_name, compiled=compiled,
                                                                **size)
            except Exception as error:  # noqa: BLE001 -- e.g. no compiler for torch.compile
                why_not[label] = f"{type(error).__name__}: {error}"
                print(f"  {label} {timm_name} failed: {why_not[label]}")
    seconds = alternate_all(timers, args.repeats)
    rates = {k: args.batch_size / s for k, s in seconds.items()}
    bandwidth = hbm_bytes_s(device, bandwidth_gbs)
    roof = roofline_images_s(activation_elements(model), step, bandwidth)
    machine = f"{machine_name()}-{device.replace(' ', '_')}"
    extra = {"img_s": rates, "compile_s": compile_s, "batch": args.batch_size,
             "image_size": args.image_size, "dtype": "bfloat16", "device": device,
             "hbm_bytes_s": bandwidth, "roofline": roof,
             "losses": {k: [round(v, 4) for v in t.losses] for k, t in timers.items()}}
    what = f"{name} {step} step, {args.image_size}px, batch {args.batch_size}, bf16"
    diverged = [k for k, t in timers.items() if not all(math.isfinite(v) for v in t.losses)]
    if diverged:  # a NaN step may run at another speed: say so beside the figure
        what += f" (NON-FINITE LOSS: {', '.join(diverged)})"
    records = []
    for reference, how in (("timm", "eager"), ("timm_compiled", "torch.compile")):
        ref = rates.get(reference)
        note = f"{what}; zoo (JAX) vs {timm_name} ({how}, channels-last)"
        if ref is None:
            note += f"; not run: {why_not[reference]}"
        records.append(Record(
            name=f"gpu_timm/{name}/{step}" + ("_compiled" if reference != "timm" else ""),
            unit="img/s", zoo=rates["zoo"], reference=ref,
            ratio=rates["zoo"] / ref if ref else None, machine=machine, note=note, extra=extra))
    fused = roof["fused"]
    records.append(Record(
        name=f"gpu_roofline/{name}/{step}", unit="img/s", zoo=rates["zoo"], reference=fused,
        ratio=rates["zoo"] / fused if fused else None, machine=machine,
        note=f"{what}; memory-bandwidth roofline at {bandwidth / 1e12:.2f} TB/s, "
             f"{roof['fused_bytes_per_image'] / 1e6:.0f} MB/img fused "
             f"({roof['unfused'] or 0:.0f} img/s unfused, "
             f"{roof['unfused_bytes_per_image'] / 1e6:.0f} MB/img)"
        if bandwidth else f"{what}; HBM bandwidth of {device!r} unknown (--hbm-gbs)",
        extra=extra))
    return records


def markdown(records) -> str:
    lines = ["| benchmark | unit | zoo | reference | ratio | note |", "|---|---|---|---|---|---|"]
    for r in records:
        ref = "-" if r.reference is None else f"{r.reference:.4g}"
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.name} | {r.unit} | {r.zoo:.4g} | {ref} | {ratio} | {r.note} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--step-kinds", nargs="+", choices=("train", "frozen"),
                        default=["train", "frozen"], help="full training and/or frozen transfer")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per repetition")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hbm-gbs", type=float, help="HBM bandwidth in GB/s (default: lookup)")
    parser.add_argument("--smoke", action="store_true", help="batch 2, 32 px, 2 steps, 1 repeat")
    parser.add_argument("--out", help=f"results folder (default {RESULTS}; none with --smoke)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch_size, args.image_size, args.steps, args.repeats = 2, 32, 2, 1

    import keras

    if keras.backend.backend() != "jax":
        print(f"gpu_finetune_vs_timm: needs KERAS_BACKEND=jax, got {keras.backend.backend()!r}",
              file=sys.stderr)
        return 2
    why_no_torch = torch_available()
    if why_no_torch:
        print(f"timm/PyTorch half skipped: torch or timm does not import here ({why_no_torch})")
    records = []
    for name in args.models:
        for step in args.step_kinds:
            for record in benchmark(name, MODELS[name], step=step, args=args,
                                    why_no_torch=why_no_torch, bandwidth_gbs=args.hbm_gbs):
                records.append(record)
                ref = "" if record.reference is None else f" vs {record.reference:.4g}"
                ratio = "" if record.ratio is None else f"  ratio {record.ratio:.2f}"
                print(f"{record.name:<44} {record.zoo:10.4g}{ref} {record.unit}{ratio}",
                      flush=True)
    for record in records:
        if record.name.startswith("gpu_roofline"):
            print(f"  {record.name}: {record.note}")
    out = args.out or (None if args.smoke else RESULTS)
    if out:
        from zoo.export.saving import write_text

        stem = Path(out) / records[0].machine
        payload = [dataclasses.asdict(r) for r in records]  # a plain list, as python -m benchmarks
        write_text(f"{stem}.json", json.dumps(payload, indent=2) + "\n")
        write_text(f"{stem}.md", markdown(records))
        print(f"wrote {stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
