"""`zoo.finetune(...)`: the two-phase transfer-learning recipe, from data to a shippable run.

Phase 1: backbone frozen (its BatchNorm in inference mode), new head trained at the rate a
learning-rate range test picks (`learning_rate="auto"`). Phase 2: the backbone unfrozen (all of
it, or its top), BatchNorm training too (`batchnorm="train"`; "inference" keeps the pretrained
statistics), a tenth of phase 1's rate with linear warm-up then cosine decay (optionally
layer-wise: lower stages slower, `layer_decay`), early stopping on validation loss with the best
weights restored; if phase 2 ends below phase 1 on validation accuracy, phase 1's weights are
kept. Augmentation (translate, zoom) is on; class weights balance uneven folders. Under 50
training images per class the model ends averaged with a linear probe on the frozen pretrained
features (`probe="auto"`, `zoo.transfer.probe`). Each default that decides the result (rate,
batch 16, BatchNorm, augmentation, 5 + 10 epochs, the probe) was chosen on
the dev folders of `python -m benchmarks.transfer` (benchmarks/results/transfer_defaults.md)
and scored on its test folders (transfer.md). The run folder holds model.keras, config.json,
metadata.json, README.md (model card), history.json, confusion_matrix.png and any exports.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import numpy as np

from zoo.models.backbone_specs import get_spec
from zoo.models.backbones import backbone as make_backbone, classifier
from zoo.transfer.freeze import freeze, unfreeze
from zoo.transfer.layerwise import check_decay, layerwise_lr

AUGMENTATIONS = ("flip", "translate", "zoom", "rotate", "contrast")
REFITS = ("auto", "always", "never")
# refit="auto" refits when the training split has fewer images per class than this: there the
# validation images are a large share of all (15% of a folder: 2 of 10 per class) and the
# refit costs seconds (benchmarks/results/transfer_defaults.md)
REFIT_BELOW = 50
PROBES = ("auto", "always", "never")
# probe="auto" averages the model with a linear probe when the training split has fewer images
# per class than this (benchmarks/results/transfer_defaults.md, "The fine-tuned model averaged
# with a linear probe": it paid at 10 per class, was neutral at 30 and 100)
PROBE_BELOW = 50


@dataclasses.dataclass
class FinetuneResult:
    model: object
    out: Path | None
    metrics: dict          # {"phase1": {...}, "phase2": {...}, "test": {...}}
    history: dict          # {"phase1": {...}, "phase2": {...}}
    confusion: np.ndarray
    exports: dict
    winner: str = "phase2"       # the phase whose weights the model ends with
    seconds: float = 0.0         # wall time of the whole run
    learning_rate: float = 0.0   # phase 1's rate (the range test's pick under "auto")
    refit_examples: int = 0      # > 0: the model was refitted on train + validation (this many)
    probe_examples: int = 0      # > 0: averaged with a linear probe fitted on this many images
    export_checks: dict = dataclasses.field(default_factory=dict)  # kind: ExportResult

    @property
    def exports_ok(self) -> bool:
        """Every requested export converted, ran and met its parity bar."""
        return all(check.ok for check in self.export_checks.values())

    def summary(self) -> str:
        """One line: test accuracy, the phase that won, wall time, where the files are."""
        test = self.metrics["test"].get("accuracy", float("nan"))
        where = (f"; model {self.out / 'model.keras'}, card {self.out / 'README.md'}"
                 if self.out is not None else "")
        refit = (f", refitted on train + validation ({self.refit_examples} images)"
                 if self.refit_examples else "")
        if self.probe_examples:
            refit += (f", averaged with a linear probe ({self.probe_examples} images; "
                      f"alone it scored {self.metrics['test_finetuned']['accuracy']:.4f})")
        exported = "".join(f"; {kind} {'ok' if check.ok else 'FAILED'}"
                           for kind, check in self.export_checks.items())
        return (f"zoo finetune: test accuracy {test:.4f}; {self.winner} won "
                f"(val accuracy {self._val(self.winner):.4f}){refit}; {self.seconds:.0f} s{where}"
                f"{exported}")

    def _val(self, phase):
        return self.metrics.get(phase, {}).get("val_accuracy", float("nan"))

    def report(self) -> str:
        lines = []
        for phase in ("phase1", "phase2"):
            m = self.metrics.get(phase, {})
            lines.append(f"{phase}: " + ", ".join(f"{k} {v:.4f}" for k, v in m.items()))
        lines.append("test: " + ", ".join(f"{k} {v:.4f}" for k, v in self.metrics["test"].items()))
        if self.out is not None:
            lines.append(f"saved model: {self.out / 'model.keras'}")
            lines.append(f"confusion matrix: {self.out / 'confusion_matrix.png'}")
        lines += [check.summary("export") for check in self.export_checks.values()]
        return "\n".join(lines)


def augmentation_layers(augment, seed=0):
    """Keras preprocessing layers for `augment` (names from AUGMENTATIONS); active only in
    training, identity at inference and in exports."""
    import keras

    make = {
        "flip": lambda: keras.layers.RandomFlip("horizontal", seed=seed, name="augment_flip"),
        "translate": lambda: keras.layers.RandomTranslation(0.1, 0.1, seed=seed,
                                                            name="augment_translate"),
        "zoom": lambda: keras.layers.RandomZoom(0.1, seed=seed, name="augment_zoom"),
        "rotate": lambda: keras.layers.RandomRotation(0.05, seed=seed, name="augment_rotate"),
        "contrast": lambda: keras.layers.RandomContrast(0.2, seed=seed, name="augment_contrast"),
    }
    unknown = [a for a in augment or () if a not in make]
    if unknown:
        raise ValueError(f"zoo.finetune: unknown augmentation {unknown}; allowed {AUGMENTATIONS}")
    layers = [make[a]() for a in augment or ()]
    if not layers:
        return None

    def apply(x):
        for layer in layers:
            x = layer(x)
        return x

    return apply


def class_weights(y, num_classes, policy="auto"):
    """{class: weight} = n / (k * n_c) ("balanced"); "auto" only when the largest class is
    over 1.5x the smallest; None for none; a dict is passed through."""
    if policy is None or isinstance(policy, dict):
        return policy
    counts = np.bincount(np.asarray(y, np.int64), minlength=num_classes).astype(float)
    if policy == "auto" and counts.max() <= 1.5 * max(counts.min(), 1):
        return None
    counts = np.maximum(counts, 1)
    return {c: float(len(y) / (num_classes * counts[c])) for c in range(num_classes)}


def fit_images(x, input_shape):
    """Resize (bilinear) and broadcast channels so `x` matches the backbone's input_shape."""
    from zoo.data.images import resize_bilinear

    x = np.asarray(x, np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.shape[1:3] != tuple(input_shape[:2]):
        x = resize_bilinear(x, tuple(input_shape[:2]))
    if x.shape[-1] == 1 and input_shape[-1] == 3:
        x = np.repeat(x, 3, axis=-1)
    return x


def _load_data(data, input_shape, seed):
    import zoo.data

    if isinstance(data, (str, Path)):
        kwargs = {"seed": seed, "as_numpy": True}
        if Path(data).is_dir() and input_shape is not None:
            kwargs["image_size"] = tuple(input_shape[:2])
        data = zoo.data.load(data, **kwargs)
    return data


def finetune(backbone="zoo_mobilenet_synthetic", data="shapes", *, out=None, input_shape=None,
             weights="default", epochs=(5, 10), batch_size=16, learning_rate="auto",
             finetune_learning_rate=None, unfreeze_top=None, unfreeze_from=None,
             layer_decay=None, warmup_epochs=1, patience=3, augment=("translate", "zoom"),
             class_weight="auto", dropout=0.2, pooling="avg", alpha=None, minimalistic=False,
             batchnorm="train", refit="never", probe="auto", exports=(), seed=0,
             overwrite=False, verbose=2):
    """Fine-tune `backbone` on `data` (a `zoo.data.Splits` of NumPy arrays, a dataset name or
    an image folder with one sub-folder per class) in two phases; see the module docstring.

    epochs: (phase 1, phase 2); phase 2 = 0 skips it. finetune_learning_rate defaults to
    learning_rate / 10. Neither unfreeze_top nor unfreeze_from: the whole backbone (but its
    BatchNorm) trains in phase 2. layer_decay (in (0, 1], e.g. 0.8): phase 2 trains the head
    at the full rate and each backbone stage below at decay times the one above
    (`zoo.layerwise_lr`; saved with model.keras). exports: any of "savedmodel",
    "tflite-float32", "tflite-float16", "tflite-int8", "onnx", written into `out` and checked
    against the model on up to 200 training images (int8 calibrated on them) by
    `zoo.export.check.check_export`: result.exports names the files, result.export_checks
    holds the parity, and a failed export is renamed `*.failed` (result.exports_ok False).
    learning_rate="auto": phase 1's rate from a learning-rate range test on the training
    images (`zoo.train.lr_find`). batchnorm: "inference" (the backbone's BatchNorm keeps its
    pretrained statistics in phase 2) or "train" (phase 2 updates them and their scale and
    offset). pooling: "avg" (global average of the backbone's last map) or "grid" (the means of
    its 2x2 grid cells, `zoo.layers.GridPooling2D`; measured as an option, not the default:
    benchmarks/results/transfer_defaults.md). The model ends with the weights of the phase with the better validation
    accuracy (phase 2 only if it did at least as well). refit: "always" trains the winning
    recipe once more from the pretrained weights on train + validation (phase 1's epochs, then
    phase 2's up to its best epoch; no early stopping), "auto" does so when the training split
    has fewer than REFIT_BELOW images per class, "never" keeps the model the phases chose. The
    test split is never trained on; metrics["phase*"] stay those of the choosing run.
    probe: "always" ends with one model that averages the fine-tuned model's class probabilities
    with those of a linear probe (an L2 softmax regression on the frozen pretrained backbone's
    features, mean-pooled over a 2x2 grid, fitted on train + validation; `zoo.transfer.probe`), "auto" does so when the
    training split has fewer than PROBE_BELOW images per class, "never" keeps the fine-tuned
    model alone. metrics["test_finetuned"] then holds the fine-tuned model's own test scores.
    """
    import time

    import keras

    from zoo.train import compile_model

    started = time.time()
    from zoo.export.check import FORMATS

    exports = tuple(exports)
    bad = [kind for kind in exports if kind not in FORMATS]
    if bad:
        raise ValueError(f"zoo.finetune: unknown export(s) {bad}; use any of {FORMATS}")
    if exports and out is None:
        raise ValueError("zoo.finetune: exports need out= (the run folder they go into)")
    if "onnx" in exports:
        from zoo.export.onnx import require

        require()  # a missing extra is an install step: said before training, not after
    if pooling not in ("avg", "grid"):
        raise ValueError(f"zoo.finetune: pooling must be 'avg' or 'grid', got {pooling!r}")
    if batchnorm not in ("inference", "train"):
        raise ValueError(f"zoo.finetune: batchnorm must be 'inference' or 'train', "
                         f"got {batchnorm!r}")
    auto_lr = isinstance(learning_rate, str)
    if auto_lr and learning_rate != "auto":
        raise ValueError(f"zoo.finetune: learning_rate must be a number > 0 or 'auto', "
                         f"got {learning_rate!r}")
    if not auto_lr and not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"zoo.finetune: learning_rate must be a number > 0 or 'auto', "
                         f"got {learning_rate!r}")
    keras.utils.set_random_seed(seed)
    spec = get_spec(backbone)
    if layer_decay is not None:
        layer_decay = check_decay(layer_decay, owner="zoo.finetune: layer_decay")
    weights = None if isinstance(weights, str) and weights.lower() == "none" else weights
    if input_shape is None:
        size = spec.default_size if not isinstance(data, (str, Path)) or not Path(
            data).is_dir() else min(spec.default_size, 160)
        input_shape = (size, size, 3)
    input_shape = tuple(input_shape)
    data = _load_data(data, input_shape, seed)
    if out is not None:
        out = Path(out)
        if (out / "model.keras").exists() and not overwrite:
            raise FileExistsError(f"zoo.finetune: {str(out)!r} already holds a model; pass "
                                  "overwrite=True (--overwrite) to replace it")
    info = data.info
    (x, y), (xv, yv), (xt, yt) = data.train, data.validation, data.test
    x, xv, xt = (fit_images(a, input_shape) for a in (x, xv, xt))
    num_classes = int(info["num_classes"])
    input_range = tuple(info.get("value_range", (0.0, 1.0)))
    from zoo.layers.preprocessing import range_problem

    problem = range_problem(float(x.min()), float(x.max()), input_range)
    if problem:
        import warnings

        warnings.warn(f"zoo.finetune: training images: {problem}", UserWarning, stacklevel=2)

    def build():  # the pretrained backbone + a new head, backbone frozen (phase 1)
        base = make_backbone(backbone, input_shape=input_shape, weights=weights,
                             trainable=False, input_range=input_range, alpha=alpha,
                             minimalistic=minimalistic,
                             pooling="grid" if pooling == "grid" else None)  # avg: classifier's
        built = classifier(base, num_classes=num_classes, dropout=dropout,
                           augmentation=augmentation_layers(augment, seed),
                           frozen_batchnorm=batchnorm == "inference",
                           name=f"{backbone}_finetuned")
        freeze(built, verbose=bool(verbose), recompile=False)  # compiled once, below
        return built

    def phase2_schedule(n):  # linear warm-up to the peak rate, then cosine decay
        steps_per_epoch = -(-n // batch_size)
        return keras.optimizers.schedules.CosineDecay(
            0.0, steps_per_epoch * epochs[1], warmup_target=finetune_learning_rate or
            learning_rate / 10, warmup_steps=steps_per_epoch * min(warmup_epochs, epochs[1]))

    def to_phase2(built, n):
        unfreeze(built, top=unfreeze_top, from_block=unfreeze_from, batchnorm=batchnorm,
                 learning_rate=phase2_schedule(n), verbose=bool(verbose))
        if layer_decay is not None:
            layerwise_lr(built, decay=layer_decay, verbose=bool(verbose))

    if refit not in REFITS:
        raise ValueError(f"zoo.finetune: refit must be one of {REFITS}, got {refit!r}")
    if probe not in PROBES:
        raise ValueError(f"zoo.finetune: probe must be one of {PROBES}, got {probe!r}")
    model = build()
    weights_by_class = class_weights(y, num_classes, class_weight)

    # phase 1: frozen backbone, new head
    if auto_lr:
        from zoo.train.lr_find import range_test

        found = range_test(model, x, y, batch_size=batch_size, class_weight=weights_by_class,
                           seed=seed)
        learning_rate = found.suggestion
        if verbose:
            print(found.summary())
    compile_model(model, learning_rate=learning_rate)
    phase1 = model.fit(x, y, batch_size=batch_size, epochs=epochs[0], validation_data=(xv, yv),
                       class_weight=weights_by_class, verbose=verbose)
    history = {"phase1": _floats(phase1.history)}
    metrics = {"phase1": _evaluate(model, xv, yv, "val_")}

    # phase 2: unfreeze the top, BatchNorm stays frozen, warm-up + cosine decay, early stop
    phase2_epochs = 0
    if epochs[1]:
        after_phase1 = [keras.ops.convert_to_numpy(w) for w in model.weights]
        to_phase2(model, len(x))
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                             restore_best_weights=True)
        phase2 = model.fit(x, y, batch_size=batch_size, epochs=epochs[1],
                           validation_data=(xv, yv), class_weight=weights_by_class,
                           callbacks=[stop], verbose=verbose)
        history["phase2"] = _floats(phase2.history)
        metrics["phase2"] = _evaluate(model, xv, yv, "val_")
        if metrics["phase2"]["val_accuracy"] < metrics["phase1"]["val_accuracy"]:
            winner = "phase1"  # fine-tuning the backbone made it worse: keep the head-only fit
            for variable, value in zip(model.weights, after_phase1):
                variable.assign(value)
        else:
            winner = "phase2"
            # the epochs that got the restored weights (EarlyStopping's best one)
            phase2_epochs = int(getattr(stop, "best_epoch", len(phase2.epoch) - 1)) + 1
    else:
        winner = "phase1"

    # refit: the winner's recipe again, from the pretrained weights, on train + validation
    refitted = refit == "always" or (refit == "auto" and len(y) < REFIT_BELOW * num_classes)
    if refitted:
        xr, yr = np.concatenate([x, xv]), np.concatenate([y, yv])
        keras.utils.set_random_seed(seed)
        model = build()
        weights_by_class = class_weights(yr, num_classes, class_weight)
        compile_model(model, learning_rate=learning_rate)
        fitted = model.fit(xr, yr, batch_size=batch_size, epochs=epochs[0],
                           class_weight=weights_by_class, verbose=verbose)
        history["refit"] = _floats(fitted.history)
        if phase2_epochs:
            to_phase2(model, len(xr))
            fitted = model.fit(xr, yr, batch_size=batch_size, epochs=phase2_epochs,
                               class_weight=weights_by_class, verbose=verbose)
            history["refit"] = {k: history["refit"][k] + v
                                for k, v in _floats(fitted.history).items()}
    # probe: the fine-tuned model averaged with a linear probe on the pretrained features
    probed = probe == "always" or (probe == "auto" and len(y) < PROBE_BELOW * num_classes)
    if probed:
        from zoo.transfer.probe import fit_probe, with_probe

        metrics["test_finetuned"] = _evaluate(model, xt, yt, "")
        base = make_backbone(backbone, input_shape=input_shape, weights=weights,
                             trainable=False, input_range=input_range, alpha=alpha,
                             minimalistic=minimalistic,
                             pooling="grid")  # grid beat avg for the probe (dev: 0.939 / 0.919)
        xp, yp = np.concatenate([x, xv]), np.concatenate([y, yv])
        fitted = fit_probe(base.predict(xp, batch_size=64, verbose=0), yp, num_classes,
                           seed=seed)
        model = with_probe(inference_model(model), base, fitted, name=model.name)
        # compiled for evaluate() (loss, metrics); a further fit trains the fine-tuned branch
        # (the probe is frozen) with Adam at phase 2's peak rate, not phase 2's schedule
        compile_model(model, learning_rate=finetune_learning_rate or learning_rate / 10)
        # built now, so the saved file holds the optimizer state load_model expects (no warning)
        model.optimizer.build(model.trainable_variables)
    metrics["test"] = _evaluate(model, xt, yt, "")
    predicted = np.argmax(model.predict(xt, verbose=0), axis=-1)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (np.asarray(yt, np.int64), predicted), 1)

    config = {"builder": "zoo.models.backbones.classifier",
              "backbone": {"name": backbone, "input_shape": list(input_shape),
                           "input_range": list(input_range), "alpha": alpha,
                           "minimalistic": minimalistic, "weights": str(weights),
                           "pooling": pooling},
              "num_classes": num_classes, "dropout": dropout, "augment": list(augment or ()),
              "training": {"epochs": list(epochs), "batch_size": batch_size,
                           "learning_rate": learning_rate, "learning_rate_auto": auto_lr,
                           "finetune_learning_rate": finetune_learning_rate or learning_rate / 10,
                           "batchnorm": batchnorm, "winner": winner,
                           "unfreeze_top": unfreeze_top, "unfreeze_from": unfreeze_from,
                           "layer_decay": layer_decay, "warmup_epochs": warmup_epochs,
                           "patience": patience,
                           "class_weight": weights_by_class, "seed": seed,
                           "refit": refit, "refitted": refitted,
                           "probe": probe, "probed": probed,
                           "phase2_epochs_refit": phase2_epochs if refitted else None}}
    result = FinetuneResult(model, out, metrics, history, confusion, {}, winner=winner,
                            learning_rate=float(learning_rate),
                            refit_examples=int(len(y) + len(yv)) if refitted else 0,
                            probe_examples=int(len(y) + len(yv)) if probed else 0)
    if out is not None:
        _write_run(result, config, spec, info, x)
        for kind in exports:
            check = _export(model, out, kind, x)
            result.exports[kind] = str(check.path)
            result.export_checks[kind] = check
    result.seconds = time.time() - started
    if verbose:
        print(result.report())
    return result


def _floats(history):
    return {k: [float(v) for v in values] for k, values in history.items()}


def _evaluate(model, x, y, prefix):
    values = model.evaluate(x, y, verbose=0, return_dict=True)
    return {f"{prefix}{k}": float(v) for k, v in values.items()}


def inference_model(model):
    """`model` without its augmentation layers (same weights): random ops such as
    ImageProjectiveTransformV3 stay in a traced graph and TFLite has no kernel for them."""
    import keras

    if not any(layer.name.startswith("augment_") for layer in model.layers):
        return model
    inputs = keras.Input(model.inputs[0].shape[1:], name=model.inputs[0].name)

    def skip(layer):
        return (lambda x, **kwargs: x) if layer.name.startswith("augment_") else layer

    outputs = model._run_through_graph(inputs, operation_fn=skip)
    return keras.Model(inputs, outputs, name=model.name)


def _export(model, out, kind, x):
    """Write `kind` into the run folder and check it against the Keras model on up to 200
    training images (int8 calibrates on them): a `zoo.export.check.ExportResult`."""
    from zoo.export.check import check_export, default_name

    sample = x[np.random.default_rng(0).permutation(len(x))[:200]]
    return check_export(inference_model(model), kind, out / default_name(kind), [sample],
                        task="classification", described="training images")


def _write_run(result, config, spec, info, x):
    import keras
    import tensorflow as tf

    from zoo.export.saving import save, write_text
    from zoo.train.plots import plot_history

    out = result.out
    save(result.model, out / "model.keras")
    write_text(out / "config.json", json.dumps(config, indent=1, default=str) + "\n")
    metadata = {
        "preprocessing": {"input_range": config["backbone"]["input_range"],
                          "network_range": list(spec.input_range), "mean": spec.mean,
                          "std": spec.std, "bgr": spec.bgr, "mode": spec.preprocessing,
                          "input_shape": config["backbone"]["input_shape"]},
        "dataset": {k: v for k, v in info.items() if k != "files"},
        "train_examples": int(len(x)),
        "metrics": result.metrics,
        "confusion_matrix": result.confusion.tolist(),
        "versions": {"zoo": _zoo_version(), "keras": keras.__version__,
                     "tensorflow": tf.__version__, "python": platform.python_version()},
    }
    write_text(out / "metadata.json", json.dumps(metadata, indent=1, default=str) + "\n")
    write_text(out / "history.json", json.dumps(result.history, indent=1) + "\n")
    for phase, hist in result.history.items():
        plot_history(hist, out / f"curves_{phase}.png", title=phase)
    plot_confusion(result.confusion, info.get("class_names"), out / "confusion_matrix.png")
    write_text(out / "README.md", _model_card(config, metadata, result))


def _zoo_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zoo")  # the installed distribution's, as `zoo.__version__` states it
    except PackageNotFoundError:
        return None


def plot_confusion(confusion, class_names, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(confusion)
    names = class_names or [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(1 + 0.5 * k + 2, 1 + 0.5 * k + 1))
    ax.imshow(confusion, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    from zoo.train.plots import save_figure

    return save_figure(fig, path, dpi=100)  # atomic, like every file zoo writes


def _model_card(config, metadata, result):
    b, t = config["backbone"], config["training"]
    test = result.metrics["test"]
    return "\n".join([
        f"# {b['name']} fine-tuned on {metadata['dataset'].get('name')}",
        "",
        f"- backbone: `{b['name']}` (weights: {b['weights']}), input {tuple(b['input_shape'])},"
        f" pixels in {tuple(b['input_range'])} (preprocessing is inside the model)",
        f"- classes ({config['num_classes']}): {metadata['dataset'].get('class_names')}",
        f"- training images: {metadata['train_examples']}; epochs (phase 1, phase 2): "
        f"{t['epochs']}; learning rates {t['learning_rate']} / {t['finetune_learning_rate']}"
        + (f", layer-wise decay {t['layer_decay']} per backbone stage in phase 2"
           if t.get("layer_decay") else ""),
        "- phase 1 rate: " + ("picked by a learning-rate range test"
                              if t.get("learning_rate_auto") else "given") + "; "
        f"BatchNorm in phase 2: {t.get('batchnorm')}; the model holds {t.get('winner')}'s "
        "weights (the better validation accuracy)"
        + (f", refitted on train + validation ({result.refit_examples} images)"
           if result.refit_examples else ""),
        *([f"- averaged with a linear probe: the mean of the fine-tuned model's class "
           f"probabilities and those of an L2 softmax regression on the frozen pretrained "
           f"backbone's pooled features (fitted on {result.probe_examples} train + validation "
           f"images); the fine-tuned model alone scored "
           f"{result.metrics['test_finetuned']['accuracy']:.4f} on test"]
          if result.probe_examples else []),
        f"- test accuracy: {test.get('accuracy', float('nan')):.4f}, "
        f"test loss: {test.get('loss', float('nan')):.4f}",
        "",
        "Files: `model.keras` (load with `zoo.load`, safe mode), `config.json` (how to rebuild),",
        "`metadata.json` (preprocessing, data, metrics, versions), `history.json`,",
        "`confusion_matrix.png`, `curves_phase*.png`, and exports if requested.",
        "",
        "```python",
        "import zoo",
        f"model = zoo.load({str(result.out)!r})",
        "```",
        "",
    ])
