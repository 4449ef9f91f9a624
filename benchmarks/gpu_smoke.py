"""Train one small model of each zoo family for a few steps under KERAS_BACKEND=jax, one line each.

The Python half of `benchmarks/gpu_smoke.sh`, for GPU machines that have JAX (CUDA) but no
TensorFlow: nothing here may need TensorFlow, tensorflow-datasets, keras-tuner, scikit-learn or
matplotlib. `--block-tensorflow` makes them unimportable, so a CPU machine that has them all can
check that (tests/benchmarks/test_gpu_smoke.py runs `--tiny --block-tensorflow` on CPU).

    KERAS_BACKEND=jax python -m benchmarks.gpu_smoke              # 20 steps, batch 64
    KERAS_BACKEND=jax python -m benchmarks.gpu_smoke --tiny --block-tensorflow   # CPU check

Prints `family  model  steps/s  final loss  device` per family and exits 1 if any failed or
gave a non-finite loss. Steps/s counts the timed fit after a first, compiling one.
"""

from __future__ import annotations

import argparse
import importlib.abc
import math
import sys
import time
import traceback

# one small model per family: (registry name, overrides); defaults are small already
FAMILY_MODELS = {
    "dense": ("mlp", {}),
    "cnn": ("resnet_small", {}),
    "rnn": ("rnn", {}),
    "cnn_rnn": ("cnn_lstm_text", {}),
    "autoencoder": ("conv_autoencoder", {}),
    "gan": ("dcgan", {}),
    "transformer": ("gpt", {}),
    "backbone": ("mobilenet_v2", {}),
}
# what a GPU machine without TensorFlow lacks (or may lack); blocked by --block-tensorflow
ABSENT_THERE = ("tensorflow", "tensorflow_datasets", "tensorboard", "tf_keras", "keras_tuner",
                "sklearn", "matplotlib")
FREE_LENGTH = 32  # tokens per example for a model whose sequence length is free (None)


class _Blocker(importlib.abc.MetaPathFinder):
    """Makes the ABSENT_THERE packages unimportable, as on the GPU machine."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT_THERE:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by gpu_smoke)",
                                      name=name)
        return None


def block_absent_packages():
    loaded = [m for m, module in sys.modules.items()
              if m.split(".")[0] in ABSENT_THERE and module is not None]  # None: blocked
    if loaded:
        raise RuntimeError(f"gpu_smoke: already imported, cannot block: {loaded}")
    sys.meta_path.insert(0, _Blocker())


def example_data(model, entry, n, rng):
    """(x, y) of `n` random examples fitting the model's inputs and its task's targets."""
    import numpy as np

    inputs = []
    for tensor in model.inputs:
        shape = (n,) + tuple(FREE_LENGTH if d is None else int(d) for d in tensor.shape[1:])
        if "int" in str(tensor.dtype):
            inputs.append(rng.integers(1, int(entry.defaults.get("vocab_size", 10)),
                                       size=shape).astype("int32"))
        else:
            inputs.append(rng.uniform(0.0, 1.0, size=shape).astype("float32"))
    x = inputs[0] if len(inputs) == 1 else inputs
    if entry.task == "autoencoder":
        return x, x
    if entry.task == "generative":  # images to imitate (the model's inputs are its noise)
        x = rng.uniform(0.0, 1.0, size=(n,) + tuple(entry.input_shape)).astype("float32")
        return x, rng.integers(0, int(entry.defaults.get("num_labels") or 10), size=n)
    if entry.task == "language_model":  # next-token targets, one per position
        return x, np.roll(x, -1, axis=1)
    classes = model.output_shape[-1]
    if classes == 1:
        return x, rng.integers(0, 2, size=(n, 1)).astype("float32")
    return x, rng.integers(0, classes, size=n).astype("int32")


def smoke(family, name, overrides, *, batch_size, steps, seed=0):
    """(steps/s, final loss) of `steps` training steps of `name`, after one compiling step."""
    import keras
    import numpy as np

    import zoo
    from zoo import registry

    keras.utils.set_random_seed(seed)
    entry = registry.get(name)
    model = zoo.build(name, **overrides)
    zoo.train.compile_model(model, task=entry.task)
    x, y = example_data(model, entry, batch_size * steps, np.random.default_rng(seed))

    def first(a, n):
        return [part[:n] for part in a] if isinstance(a, list) else a[:n]

    model.fit(first(x, batch_size), first(y, batch_size), batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start  # fit returns Python floats: the device has finished
    losses = {k: v[-1] for k, v in history.history.items() if k.endswith("loss")}
    return steps / seconds, losses


def device_name() -> str:
    import jax

    device = jax.devices()[0]
    return f"{device.platform}:{device.id} {getattr(device, 'device_kind', '')}".strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--tiny", action="store_true", help="2 steps at batch 4 (a CPU check)")
    parser.add_argument("--families", nargs="+", choices=list(FAMILY_MODELS),
                        default=list(FAMILY_MODELS))
    parser.add_argument("--block-tensorflow", action="store_true",
                        help=f"make {', '.join(ABSENT_THERE)} unimportable first")
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.batch_size = 2, 4
    if args.block_tensorflow:
        block_absent_packages()

    import keras

    if keras.backend.backend() != "jax":
        print(f"gpu_smoke: needs KERAS_BACKEND=jax, got {keras.backend.backend()!r}",
              file=sys.stderr)
        return 2
    import zoo

    models = zoo.list_models()  # imports every family's module, as building any model may
    device = device_name()
    print(f"keras {keras.__version__}, backend jax, device {device}, batch {args.batch_size}, "
          f"{args.steps} steps, {len(models)} models registered", flush=True)
    failed = []
    for family in args.families:
        name, overrides = FAMILY_MODELS[family]
        try:
            steps_s, losses = smoke(family, name, overrides, batch_size=args.batch_size,
                                    steps=args.steps)
        except Exception:  # noqa: BLE001 -- report every family, then fail
            traceback.print_exc()
            print(f"{family:<12} {name:<18} FAILED", flush=True)
            failed.append(family)
            continue
        finite = all(math.isfinite(v) for v in losses.values())
        if not finite:
            failed.append(family)
        shown = " ".join(f"{k} {v:.4f}" for k, v in losses.items())
        print(f"{family:<12} {name:<18} {steps_s:8.1f} steps/s  {shown}  {device}"
              + ("" if finite else "  NON-FINITE LOSS"), flush=True)
    tensorflow = "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None
    print(f"tensorflow imported: {'yes' if tensorflow else 'no'}; "
          f"{len(args.families) - len(failed)}/{len(args.families)} families ok", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
