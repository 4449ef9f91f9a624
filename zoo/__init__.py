"""zoo: a Keras 3 model zoo and transfer-learning toolkit.

    import zoo
    zoo.list_models("*mlp*")                     # discover
    model = zoo.build("mlp", input_shape=(8, 8), num_classes=10)   # a plain, uncompiled keras.Model
    zoo.model_info("mlp")                        # family, task, defaults, parameter count
    model = zoo.load("runs/mlp/model.keras")     # safe-mode loading only

`import zoo` is cheap: Keras (and TensorFlow) are imported when a model is first built or loaded.
"""

import importlib

from zoo.registry import FAMILIES, UnknownModelError, list_models

__version__ = "0.1.0"

__all__ = [
    "FAMILIES", "UnknownModelError", "build", "hypermodel", "list_models", "load", "model_info", "save",
    "backbone", "check_xla", "finetune", "freeze", "unfreeze", "layerwise_lr", "predict", "evaluate",
    "generate",
    "sample",
    "explain",
    "open_run",
    "data",
    "train",
]


def build(name: str, /, **overrides):
    """Build the registered model `name` as a plain, uncompiled `keras.Model` named `name`.

    Keyword overrides replace the entry's default hyperparameters (see `model_info(name)`). An
    unknown name raises `UnknownModelError` (a KeyError and a ValueError) with close matches; an
    unknown or invalid hyperparameter raises ValueError naming it, its value and what is allowed.
    """
    from zoo import registry

    return registry.build(name, **overrides)


def model_info(name: str, /) -> dict:
    """What zoo knows about `name`: family, task, default input shape, every default, params,
    and FLOPs per forward pass of one example (`zoo.models.flops`: 2 FLOPs per multiply-add)
    with `flops_uncounted`, the layers left out of that figure (no rule, or a free length; a
    free length is counted at `max_length` where the builder has one, `flops_at` naming the
    shapes used),
    plus any keys its builder registered with `register(info=...)` (a TCN's receptive field)."""
    from zoo import registry
    from zoo.models.flops import flops_report

    entry = registry.get(name)
    model = registry.build(name)
    flops, flops_shapes = flops_report(model), {}
    length = entry.defaults.get("max_length")
    if flops.uncounted and isinstance(length, int):
        # a free sequence length is counted at the longest the model takes, and says so
        flops_shapes = {k: tuple(length if d is None else d for d in v)
                        for k, v in entry.defaults.items()
                        if k.endswith("_shape") and isinstance(v, (tuple, list)) and None in v}
        if flops_shapes:
            flops = flops_report(registry.build(name, **flops_shapes))
    extra = dict(entry.extra_info(entry.defaults)) if entry.extra_info is not None else {}
    return {
        "name": entry.name,
        "family": entry.family,
        "task": entry.task,
        "description": entry.description,
        "input_shape": entry.input_shape,
        "dataset": entry.dataset,
        "defaults": entry.defaults,
        "params": int(model.count_params()),
        "trainable_params": int(sum(int(_size(w)) for w in model.trainable_weights)),
        "flops": flops.total,
        "flops_uncounted": flops.uncounted,
        **({"flops_at": flops_shapes} if flops_shapes else {}),
        **extra,
    }


def _size(weight):
    n = 1
    for d in weight.shape:
        n *= int(d)
    return n


def check_xla(model, data, **kwargs):
    """Compile `model`'s train step with XLA on one batch of `data`: unsupported ops by name,
    trace counts, step time with and without XLA, and a recommendation (see zoo.train.xla)."""
    from zoo.train.xla import check_xla as _check_xla

    return _check_xla(model, data, **kwargs)


def load(path, **kwargs):
    """Load a `.keras` file, or the `model.keras` of a run folder, in Keras' safe mode."""
    from zoo.export.saving import load as _load

    _custom_objects.register_all()  # raises what the import hook could only warn about
    return _load(path, **kwargs)


def save(model, path, **kwargs):
    """Save `model` to a `.keras` file atomically (an old file is replaced only when complete)."""
    from zoo.export.saving import save as _save

    return _save(model, path, **kwargs)


def hypermodel(name: str, /, **fixed):
    """A keras-tuner HyperModel for `name`; keywords fix or narrow hyperparameters."""
    from zoo.tune.hypermodel import hypermodel as _hypermodel

    return _hypermodel(name, **fixed)


def backbone(name: str, /, **kwargs):
    """A pretrained feature extractor with its preprocessing inside (see zoo.models.backbones)."""
    from zoo.models.backbones import backbone as _backbone

    return _backbone(name, **kwargs)


def freeze(model, until=None, **kwargs):
    """Freeze a model's backbone (up to block `until`), BatchNorm in inference mode, recompile."""
    from zoo.transfer.freeze import freeze as _freeze

    return _freeze(model, until, **kwargs)


def unfreeze(model, **kwargs):
    """Unfreeze the top of a model's backbone (BatchNorm stays frozen) and recompile."""
    from zoo.transfer.freeze import unfreeze as _unfreeze

    return _unfreeze(model, **kwargs)


def layerwise_lr(model, learning_rate=None, **kwargs):
    """Layer-wise learning-rate decay: the head at the full rate, each backbone stage below at
    `decay` times the one above; recompiles (see zoo.transfer.layerwise)."""
    from zoo.transfer.layerwise import layerwise_lr as _layerwise_lr

    return _layerwise_lr(model, learning_rate, **kwargs)


def open_run(run):
    """Load a run folder (or `.keras` file) once, in safe mode, with what its files record
    (class names, input size, pixel range, vocabulary): a `zoo.inference.runs.Run` that
    predict, evaluate, explain, generate, sample and export take in place of the path, so
    repeated calls reuse the loaded model. Example: `run = zoo.open_run("runs/gpt")`, then
    `[zoo.generate(run, p).text for p in prompts]`."""
    from zoo.inference.runs import open_run as _open_run

    return _open_run(run)


def predict(run, inputs, **kwargs):
    """Top-k class names and probabilities (a regressor's values) for image files and folders,
    texts and text files (text classifiers) or `.npy` arrays, by a run folder or a `.keras` file
    (see zoo.inference.predict); `zoo predict` on the command line."""
    from zoo.inference.predict import predict as _predict

    return _predict(run, inputs, **kwargs)


def evaluate(run, data, **kwargs):
    """Accuracy, per-class precision/recall/F1, confusion matrix and calibration of a run on a
    labelled image folder (see zoo.inference.evaluate); `zoo evaluate` on the command line."""
    from zoo.inference.evaluate import evaluate as _evaluate

    return _evaluate(run, data, **kwargs)


def sample(run, n=40, **kwargs):
    """`n` new images from a VAE or GAN run, drawn from seeded prior noise; `out=` also writes
    them as a PNG grid (see zoo.inference.sample); `zoo sample` on the command line."""
    from zoo.inference.sample import sample as _sample

    return _sample(run, n, **kwargs)


def explain(run, images, **kwargs):
    """Grad-CAM heatmaps of a run's class evidence over image files and folders, a PNG each
    under `out=` (see zoo.inference.explain); `zoo explain` on the command line."""
    from zoo.inference.explain import explain as _explain

    return _explain(run, images, **kwargs)


def generate(run, prompt=None, **kwargs):
    """Text from a language-model run (gpt, rnn_lm), or a seq2seq run's output for `source=`,
    in the run's own vocabulary (see zoo.inference.generate); `zoo generate` on the command
    line."""
    from zoo.inference.generate import generate as _generate

    return _generate(run, prompt, **kwargs)


def finetune(backbone="zoo_mobilenet_synthetic", data="shapes", **kwargs):
    """Two-phase fine-tuning from data to a saved run folder (see zoo.transfer.finetune)."""
    from zoo.transfer.finetune import finetune as _finetune

    return _finetune(backbone, data, **kwargs)


def __getattr__(attr):
    # subpackages on first use, so `import zoo` stays light
    if attr in ("data", "train", "tune", "export", "layers", "models", "registry", "transfer"):
        return importlib.import_module(f"zoo.{attr}")
    raise AttributeError(f"module 'zoo' has no attribute {attr!r}")


# Keras finds zoo's classes in a `.keras` file after `import zoo`, whichever was imported first
from zoo import custom_objects as _custom_objects  # noqa: E402

_custom_objects.install()
