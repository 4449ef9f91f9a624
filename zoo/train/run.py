"""One training run from names to files: data -> zoo.build -> fit -> evaluate -> save.

Used by `zoo train` and the recipes. A run folder holds `model.keras` (the last epoch's),
`best.keras` (the best by validation loss), `config.json` (the hyperparameters:
`zoo train NAME --config config.json` rebuilds the same model), `history.json` and
`history.csv` (per epoch, with the learning rate), `metrics.json`, `vocabulary.json` (text
data: the tokens, index = id), `curves.png` and, under
TensorFlow, TensorBoard logs in `logs/`; while a run is unfinished, `.resume/` holds what it
needs to continue.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from zoo import validation as check
from zoo.train.distribute import distributed_run


@dataclasses.dataclass
class RunResult:
    model: object
    out: Path
    history: dict
    metrics: dict
    config: dict
    stopped_at: tuple | None = None  # (epoch, step) where a non-finite loss stopped training


def fit_to_data(entry, info: dict, overrides: dict) -> dict:
    """Overrides that make `entry`'s model match the data: input shape and output size."""
    defaults = entry.defaults
    fitted = {}
    if "input_shape" in defaults and "input_shape" not in overrides:
        shape = tuple(info["input_shape"])
        # a two-input dataset (seq2seq's source and target) keeps the builder's free lengths
        if not any(isinstance(d, (tuple, list)) for d in shape):
            fitted["input_shape"] = shape
    if "num_classes" in defaults and "num_classes" not in overrides:
        if info["task"] == "regression":
            fitted["num_classes"] = int(info.get("num_targets", 1))
        elif info.get("num_classes") is not None:
            fitted["num_classes"] = int(info["num_classes"])
    if "vocab_size" in defaults and "vocab_size" not in overrides and "vocab_size" in info:
        fitted["vocab_size"] = int(info["vocab_size"])
    return {**fitted, **overrides}


def default_out(name: str, root="runs") -> Path:
    return Path(root) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


@distributed_run  # distribute=: build, compile, fit, evaluate and save in the strategy's scope
def run(name: str, *, data=None, epochs: int = 10, batch_size: int = 32, out=None,
        overrides: dict | None = None, learning_rate: float = 1e-3, optimizer="adam",
        seed: int = 0, overwrite: bool = False, resume: bool = True, jit_compile="auto",
        verbose="auto", lr_schedule: str = "constant", warmup_epochs: int = 0,
        tensorboard: bool | str = "auto", distribute=None, precision="auto",
        patience: int | None = None, image_size=None) -> RunResult:
    """Train registered model `name` on `data` (a dataset name; default: the entry's own) and save.

    An `out` folder that already holds a model is refused unless `overwrite=True`, so a finished
    run is never lost by a typo. A run killed before it finished resumes from its last finished
    epoch when started again with the same `out` (`resume=False` starts afresh): the model and
    optimizer state are kept in `out/.resume/` after every epoch, written atomically. A loss that
    turns NaN stops training with the last finite weights (see `metrics.json`'s "stopped").

    `lr_schedule` is one of `zoo.train.schedules.SCHEDULES` ("constant", "cosine",
    "warmup_cosine", "one_cycle") sized to the run's steps, `learning_rate` its peak;
    `warmup_epochs` sets the warm-up of "warmup_cosine". `tensorboard="auto"` writes TensorBoard
    logs to `out/logs` when TensorFlow is the backend.

    `patience`: stop when the validation loss has not improved for that many epochs, and end
    with the best epoch's weights (its counters survive a resume). None: train all epochs.

    `precision` ("auto", "float32", "mixed_bfloat16", "mixed_float16") is the dtype policy the
    model is built in; "auto" follows zoo's measured table (`zoo.train.policy.PRECISION`).

    `image_size` (an int or (height, width)): the size an image folder's pictures are
    resized to (default: `zoo.data.image_folder`'s, 160x160); only for a folder.

    `distribute` ("auto", "data_parallel", "mirrored", "multi_process"; see
    `zoo.train.distribute`) trains data-parallel, `batch_size` being the global batch.
    """
    import keras

    import zoo.data
    from zoo import registry, train
    from zoo.export.saving import load, save, write_text
    from zoo.train.callbacks import (AtomicModelCheckpoint, EarlyStopping, NaNGuard,
                                     ResumeState, set_random_state)
    from zoo.train.batches import EpochBatches
    from zoo.train.plots import plot_history
    from zoo.train.policy import precision_scope
    from zoo.train.policy import precision as resolve_precision
    from zoo.train.sample_images import IMAGE_TASKS, GenerativeImages, held_out_images
    from zoo.train.schedules import LearningRateLogger, schedule

    entry = registry.get(name)
    check.at_least("zoo train", "epochs", epochs, 1, noun="an int")
    check.at_least("zoo train", "batch_size", batch_size, 1, noun="an int")
    data = data or entry.dataset
    if data is None:
        raise ValueError(f"zoo train: {name} has no default dataset; pass data=")
    out = Path(out) if out is not None else default_out(name)
    if (out / "model.keras").exists() and not overwrite:
        raise FileExistsError(
            f"zoo train: {str(out)!r} already holds a model.keras; choose another --out or "
            "pass --overwrite"
        )
    overrides = dict(overrides or {})
    registry.resolve_overrides(entry, overrides)  # unknown names fail before data loads
    check.integer("zoo train", "warmup_epochs", warmup_epochs, min_value=0,
                  max_value=epochs - 1)
    if warmup_epochs and str(lr_schedule).replace("-", "_") != "warmup_cosine":
        raise ValueError(f"zoo train: warmup_epochs={warmup_epochs} applies to lr_schedule "
                         f"'warmup_cosine' only, got lr_schedule={lr_schedule!r}")
    precision = resolve_precision(precision)  # a bad name fails before data loads
    if patience is not None:
        EarlyStopping(patience)  # a bad value fails before data loads
    check.choice("zoo train", "tensorboard", tensorboard, (True, False, "auto"))

    keras.utils.set_random_seed(seed)
    load_kwargs = {"seed": seed, "as_numpy": True}
    folder = isinstance(data, (str, os.PathLike)) and os.path.isdir(data)
    if folder:
        # zoo's builders take pixels in [0, 1], as its own image datasets give them;
        # [0, 255] left a scratch CNN at chance on coloured shapes (0.17 vs 1/7)
        load_kwargs["rescale"] = True
    if image_size is not None:
        if not folder:
            raise ValueError(f"zoo train: image_size applies to an image folder only; "
                             f"data={data!r} is not a folder")
        load_kwargs["image_size"] = image_size
    splits = (zoo.data.load(data, **load_kwargs) if isinstance(data, (str, os.PathLike))
              else data)
    config = fit_to_data(entry, splits.info, overrides)
    resume_dir = out / ".resume"
    if overwrite or not resume:
        shutil.rmtree(resume_dir, ignore_errors=True)
    state = ResumeState.read(resume_dir)
    if state is not None and state.get("config") != jsonable(config):
        raise ValueError(
            f"zoo train: {str(out)!r} holds an interrupted run with other hyperparameters "
            f"({state.get('config')}); resume it with the same arguments, or pass --overwrite "
            "(or --no-resume) to start afresh")
    if state is not None and state.get("precision", precision) != precision:
        raise ValueError(
            f"zoo train: {str(out)!r} holds an interrupted run trained in precision "
            f"{state['precision']!r}, not {precision!r}; resume it with --precision "
            f"{state['precision']}, or pass --overwrite (or --no-resume) to start afresh")
    if state is not None:
        # an interrupted run of this folder: continue from its last finished epoch
        model = load(resume_dir / "model.keras")
        if "random_state" in state:  # absent in states written before zoo kept it
            set_random_state(model, state["random_state"])
        train.compile_model(model, task=entry.task, optimizer=model.optimizer,
                            jit_compile=jit_compile)
        print(f"zoo train: resuming {name} in {str(out)!r} after epoch "
              f"{state['epochs_done']}/{epochs}", flush=True)
    else:
        with precision_scope(precision):
            model = registry.build(name, **config)
        steps = len(EpochBatches(splits.train[0], batch_size=batch_size))  # fit's steps/epoch
        rate = schedule(lr_schedule, learning_rate=learning_rate, total_steps=steps * epochs,
                        warmup_steps=steps * warmup_epochs)
        train.compile_model(model, task=entry.task, optimizer=optimizer,
                            learning_rate=rate, jit_compile=jit_compile)
    epochs_done = state["epochs_done"] if state else 0
    guard = NaNGuard()
    checkpoint = AtomicModelCheckpoint(out / "best.keras")
    keep = {"best_checkpoint": checkpoint}
    if patience is not None:
        keep["early_stopping"] = EarlyStopping(patience, best_path=out / "best.keras")
    for key, callback in keep.items():
        if state and key in state.get("callbacks", {}):
            callback.resume_from(state["callbacks"][key])
    keeper = ResumeState(resume_dir, history=state["history"] if state else None,
                         epochs_done=epochs_done,
                         extra={"config": jsonable(config), "precision": precision}, keep=keep)
    extra = []
    if entry.task in IMAGE_TASKS:  # PNG grids of samples, reconstructions, latent walks
        extra.append(GenerativeImages(out, held_out_images(splits)))
    if tensorboard is True or (tensorboard == "auto" and keras.backend.backend() == "tensorflow"):
        extra.append(keras.callbacks.TensorBoard(out / "logs", write_graph=False,
                                                 profile_batch=0))
    if epochs_done < epochs:
        train.fit(model, splits, epochs=epochs, batch_size=batch_size, compile=False,
                  initial_epoch=epochs_done, verbose=verbose, seed=seed,
                  callbacks=[LearningRateLogger(), guard, *keep.values(), keeper, *extra])
    metrics = train.evaluate(model, splits, split="test")

    out.mkdir(parents=True, exist_ok=True)
    save(model, out / "model.keras")
    hist = keeper.history
    dataset_name = data if isinstance(data, str) else splits.info.get("name")
    write_text(out / "config.json", json.dumps(jsonable(config), indent=2) + "\n")
    write_text(out / "history.json", json.dumps(hist, indent=2) + "\n")
    write_text(out / "history.csv", history_csv(hist))
    stopped = None if guard.stopped_at is None else {
        "reason": "non-finite loss", "epoch": guard.stopped_at[0] + 1,
        "step": guard.stopped_at[1] + 1}
    early = keep.get("early_stopping")
    if stopped is None and early is not None and early.stopped_epoch > 0:
        stopped = {"reason": "early stopping", "epoch": early.stopped_epoch + 1,
                   "best_epoch": early.best_epoch + 1}
    write_text(out / "metrics.json", json.dumps(
        {"model": name, "data": dataset_name, "epochs": epochs, "batch_size": batch_size,
         "seed": seed, "precision": _precision_of(model), "test": metrics,
         "stopped": stopped, "input": _input_record(splits.info)}, indent=2) + "\n")
    if splits.info.get("vocab") is not None:  # zoo predict / zoo generate tokenize with it
        write_text(out / "vocabulary.json", json.dumps(_vocabulary_record(splits.info)) + "\n")
    if hist:
        plot_history(hist, out / "curves.png", title=f"{name} on {dataset_name}")
    if guard.stopped_at is None:
        shutil.rmtree(resume_dir, ignore_errors=True)  # finished: nothing left to resume
    return RunResult(model=model, out=out, history=hist, metrics=metrics, config=config,
                     stopped_at=guard.stopped_at)


def _input_record(info) -> dict:
    """What the model was fed: the data's value range, input shape and class names, so a
    user (and `zoo predict`) can prepare new inputs the same way."""
    keys = ("value_range", "input_shape", "class_names")
    return {k: list(info[k]) if isinstance(info.get(k), tuple) else info[k]
            for k in keys if info.get(k) is not None}


def _vocabulary_record(info) -> dict:
    """The data's tokens (index = id), how text was cut into them ("char" or "word") and its
    special ids, so new text is tokenized exactly as the training text was."""
    keys = ("level", "start_id", "end_id", "padding_id")
    return {**{k: info[k] for k in keys if info.get(k) is not None},
            "tokens": list(info["vocab"])}


def _precision_of(model) -> str:
    """The dtype policy the model's layers compute in (a reloaded model's own outer policy is
    the global one at load time, not the one it was built in)."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if layer.weights and getattr(layer, "dtype_policy", None) is not None:
            return layer.dtype_policy.name
    return model.dtype_policy.name


def history_csv(history: dict) -> str:
    """A history {metric: [per-epoch values]} as CSV text: an `epoch` column, then the metrics."""
    keys = sorted(history)
    epochs = max((len(v) for v in history.values()), default=0)
    rows = [",".join(["epoch", *keys])]
    for i in range(epochs):
        rows.append(",".join([str(i + 1), *(repr(history[k][i]) if i < len(history[k]) else ""
                                            for k in keys)]))
    return "\n".join(rows) + "\n"


def jsonable(config: dict) -> dict:
    """Hyperparameters as JSON can hold them (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}
