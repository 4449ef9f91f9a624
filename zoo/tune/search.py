"""One call runs a keras-tuner search for a registered model and leaves a reusable result.

`out/` holds keras-tuner's own project (`search/`: oracle and trials, so a search started again
with the same `out` resumes without redoing finished trials), `trials.log` (one line per trial as
it begins and ends), `best.json` (what `zoo.build(name, **best["hyperparameters"])` and
`zoo train NAME --config best.json` accept) and `best_model.keras`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

TUNERS = ("random", "hyperband", "bayesian")


def check_dependencies() -> None:
    """Fail before the first trial when keras-tuner cannot run one.

    Seen with keras-tuner 1.4.8 on TensorFlow 2.21: without `tensorboard` importable every trial
    fails, and the search stops only after "consecutive failures exceeded".
    """
    missing = []
    for module, package in (("keras_tuner", "keras-tuner"), ("tensorboard", "tensorboard")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise RuntimeError(
            f"zoo tune: missing {', '.join(missing)}; keras-tuner cannot run a trial without "
            f"it. Install with: pip install {' '.join(missing)}  (or pip install -e .)"
        )


def _atomic_save_json(path, obj):
    from zoo.export.saving import write_text

    text = json.dumps(obj)
    write_text(path, text)
    return text


def make_tuner_writes_atomic() -> None:
    """keras-tuner writes oracle.json and trial.json in place, so a kill mid-write tears them
    (seen: a bare JSONDecodeError on the next reload). Route its JSON writes through zoo's
    temp-file + fsync + rename."""
    from keras_tuner.src import utils

    utils.save_json = _atomic_save_json


def check_project(out: Path) -> None:
    """Refuse to resume from torn keras-tuner files, saying which file and how to recover."""
    project = out / "search"
    files = [project / "oracle.json", project / "tuner0.json",
             *sorted(project.glob("trial_*/trial.json"))]
    for f in files:
        if not f.exists():
            continue
        try:
            json.loads(f.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            if f.name == "trial.json":
                fix = (f"delete the folder {str(f.parent)!r} (its trial will be run again) and "
                       "run the same command")
            else:
                fix = "run again with --overwrite to start the search afresh"
            raise RuntimeError(
                f"zoo tune: cannot resume: {str(f)!r} is torn (not valid JSON: {err}), probably "
                f"written by a process killed mid-write. To recover, {fix}.") from err


def default_objective(task: str) -> tuple[str, str]:
    return ("val_accuracy", "max") if task == "classification" else ("val_loss", "min")


@dataclasses.dataclass
class SearchResult:
    best: dict
    out: Path
    trials: list


class _Reporter:
    """Prints a table row per trial as it ends, and keeps `trials.log` for resumption checks."""

    def __init__(self, out: Path, objective: str, tuner_id: str, stream=None):
        self.log = out / "trials.log"
        self.tuner_id = tuner_id
        self.objective = objective
        self.stream = stream or sys.stdout
        self.started: dict[str, float] = {}
        self.header_printed = False

    def _write(self, line: str) -> None:
        with open(self.log, "a") as f:  # O_APPEND: workers of a distributed search share it
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def begin(self, trial) -> None:
        self.started[trial.trial_id] = time.time()
        self._write(f"begin {trial.trial_id} {self.tuner_id}")
        if not self.header_printed:
            print(f"{'trial':>5}  {'status':<9}  {self.objective:>12}  {'seconds':>7}  "
                  "hyperparameters", file=self.stream, flush=True)
            self.header_printed = True

    def end(self, trial, score) -> None:
        seconds = time.time() - self.started.get(trial.trial_id, time.time())
        status = str(getattr(trial.status, "value", trial.status)).lower()
        self._write(f"end {trial.trial_id} {status} {score} {self.tuner_id}")
        values = ", ".join(f"{k}={_short(v)}" for k, v in trial.hyperparameters.values.items())
        score_text = "-" if score is None else f"{score:.4f}"
        print(f"{trial.trial_id:>5}  {status:<9}  {score_text:>12}  {seconds:7.1f}  {values}",
              file=self.stream, flush=True)


def _short(value):
    return f"{value:.3g}" if isinstance(value, float) else value


def _tuner_class(kind: str):
    import keras_tuner

    base = {"random": keras_tuner.RandomSearch, "hyperband": keras_tuner.Hyperband,
            "bayesian": keras_tuner.BayesianOptimization}[kind]

    class ZooTuner(base):
        reporter: _Reporter | None = None

        def on_trial_begin(self, trial):
            import keras

            # trials must not pile up graphs and optimizer state (keras-tuner #395, #873);
            # clear_session also runs the garbage collector
            keras.backend.clear_session()
            super().on_trial_begin(trial)
            if self.reporter:
                self.reporter.begin(trial)

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if self.reporter:
                score = self.oracle.get_trial(trial.trial_id).score
                self.reporter.end(trial, score)

    return ZooTuner


def make_tuner(hypermodel, *, tuner: str, objective, max_trials: int, out: Path,
               overwrite: bool, seed: int, max_epochs: int):
    import keras_tuner

    cls = _tuner_class(tuner)
    common = dict(hypermodel=hypermodel, objective=keras_tuner.Objective(*objective),
                  directory=str(out), project_name="search", overwrite=overwrite, seed=seed)
    if tuner == "hyperband":
        return cls(max_epochs=max_epochs, hyperband_iterations=1, **common)
    return cls(max_trials=max_trials, **common)


def search(name: str, *, data=None, tuner: str = "random", max_trials: int = 10,
           epochs: int = 5, out="runs/tune", overwrite: bool = False, objective=None,
           seed: int = 0, fixed: dict | None = None, verbose: int = 0) -> SearchResult:
    """Search `name`'s hyperparameters on `data` (a dataset name; default the model's own).

    Started again with the same `out`, it resumes: finished trials are kept, an interrupted one
    is retried. `overwrite=True` deletes the previous search first.
    """
    from zoo import registry
    from zoo.tune.hypermodel import hypermodel as make_hypermodel

    entry = registry.get(name)
    if tuner not in TUNERS:
        raise ValueError(f"zoo tune: tuner must be one of {list(TUNERS)}, got {tuner!r}")
    for label, value in (("max_trials", max_trials), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"zoo tune: {label} must be an int >= 1, got {value!r}")
    # every request is checked before any data loads or trial runs
    hm = make_hypermodel(name, **(fixed or {}))
    check_dependencies()

    import keras

    import zoo.data
    from zoo.train.run import fit_to_data

    from zoo.tune.distributed import role

    out = Path(out)
    this_role = role()
    if overwrite and out.exists() and this_role is None:  # the launcher clears it for workers
        shutil.rmtree(out)
    check_project(out)
    make_tuner_writes_atomic()
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    data = data or entry.dataset
    splits = zoo.data.load(data, seed=seed, as_numpy=True) if isinstance(data, str) else data
    hm.data_overrides = {k: v for k, v in fit_to_data(entry, splits.info, hm.fixed).items()
                         if k not in hm.fixed}
    objective = tuple(objective) if objective else default_objective(entry.task)

    kt = make_tuner(hm, tuner=tuner, objective=objective, max_trials=max_trials, out=out,
                    overwrite=False, seed=seed, max_epochs=epochs)
    kt.reporter = _Reporter(out, objective[0], tuner_id=this_role or "tuner0")
    (x, y), validation = splits.train, splits.validation
    kt.search(x, y, epochs=epochs, validation_data=validation, verbose=verbose)
    if this_role not in (None, "chief"):
        return SearchResult(best=None, out=out, trials=[])  # the chief writes the results
    return finish(kt, hm, name=name, out=out, objective=objective, data=data)


def finish(kt, hm, *, name, out: Path, objective, data) -> SearchResult:
    """Write best.json and best_model.keras from a finished tuner."""
    from zoo.export.saving import save, write_text
    from zoo.train.run import jsonable

    trials = [t for t in kt.oracle.trials.values()]
    completed = [t for t in trials if t.score is not None]
    if not completed:
        raise RuntimeError(f"zoo tune: no trial of {name} completed; see {out}/search for "
                           "each trial's error")
    best_hp = kt.get_best_hyperparameters(1)[0]
    build_kwargs, training = hm.decode(best_hp.values)
    best_trial = kt.oracle.get_best_trials(1)[0]
    best = {
        "model": name,
        "data": data if isinstance(data, str) else None,
        "objective": {"name": objective[0], "direction": objective[1],
                      "value": best_trial.score},
        "hyperparameters": jsonable({**hm.data_overrides, **build_kwargs}),
        "training": training,
        "trials": {"completed": len(completed), "total": len(trials)},
    }
    write_text(out / "best.json", json.dumps(best, indent=2) + "\n")
    with warnings.catch_warnings():
        # trial checkpoints hold the optimizer state, which a rebuilt, unfitted model lacks
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model = kt.get_best_models(1)[0]
    save(model, out / "best_model.keras")
    return SearchResult(best=best, out=out, trials=trials)
