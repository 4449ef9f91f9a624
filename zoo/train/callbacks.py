"""Callbacks that lose nothing: atomic best checkpoints, a NaN guard that keeps the last finite
weights, and resumable runs whose epoch counter never goes backwards.

Why not Keras' own: `ModelCheckpoint` overwrites in place (a failed save was seen to destroy the
previous good file); `TerminateOnNaN` stops but leaves NaN weights for the next checkpoint; and
with Keras 3.15.1 `BackupAndRestore` does not restore its epoch counter, so a second kill during a
resumed epoch sends training back to epoch 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

import keras


def _seed_variables(model) -> list:
    return [v for v in model.variables if v.name == "seed_generator_state"]


def random_state(model) -> list:
    """The states of `model`'s `SeedGenerator`s (dropout masks, sampled noise), as lists.

    A `.keras` file does not hold them (Keras saves layer weights, not seed generators), so a
    resumed run puts them back with `set_random_state` to draw the masks it would have drawn."""
    return [np.asarray(v.numpy()).tolist() for v in _seed_variables(model)]


def set_random_state(model, states: list) -> None:
    variables = _seed_variables(model)
    if len(variables) != len(states):
        raise ValueError(f"zoo train: the resume state holds {len(states)} seed state(s) but "
                         f"{model.name!r} has {len(variables)} seed generator(s)")
    for variable, state in zip(variables, states):
        variable.assign(np.asarray(state, dtype=variable.dtype))


def _weights_finite(model) -> bool:
    return all(np.all(np.isfinite(np.asarray(w))) for w in model.get_weights())


class AtomicModelCheckpoint(keras.callbacks.Callback):
    """Save the best model (by `monitor`) with zoo.save: temp file, fsync, rename.

    A model whose weights are not all finite is never written.
    """

    def __init__(self, path, *, monitor="val_loss", mode="auto"):
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"AtomicModelCheckpoint: mode must be min, max or auto, got {mode!r}")
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self.saved_epoch = None

    def resume_state(self) -> dict:
        return {"best": self.best, "saved_epoch": self.saved_epoch}

    def resume_from(self, state: dict) -> None:
        """Continue a resumed run: without this the first resumed epoch would always count as
        'best' and overwrite a better best.keras."""
        self.best, self.saved_epoch = float(state["best"]), state["saved_epoch"]

    def on_epoch_end(self, epoch, logs=None):
        from zoo.export.saving import save

        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        better = value < self.best if self.mode == "min" else value > self.best
        if better and _weights_finite(self.model):
            self.best = float(value)
            self.saved_epoch = epoch
            save(self.model, self.path)


class NaNGuard(keras.callbacks.Callback):
    """Stop at the first non-finite loss, say where, and put back the last finite weights."""

    def __init__(self, *, verbose=True):
        super().__init__()
        self.verbose = verbose
        self.stopped_at = None  # (epoch, step) of the first non-finite loss
        self._good = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._good = self.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self.stopped_at = (self._epoch, batch)
        self.model.stop_training = True
        self.model.set_weights(self._good)
        if self.verbose:
            print(f"\nzoo: loss became {float(loss)} at epoch {self._epoch + 1}, step "
                  f"{batch + 1}; training stopped and the last finite weights (end of epoch "
                  f"{self._epoch}) restored", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_at is None and _weights_finite(self.model):
            self._good = self.model.get_weights()


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' EarlyStopping on `val_loss` with the best weights restored at the end, whose
    counters survive a resumed run (`resume_state` / `resume_from`; the best weights come back
    from the run's atomic `best.keras`, saved at the same epochs by the same rule)."""

    def __init__(self, patience: int, *, best_path=None):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"zoo train: patience must be an int >= 1, got {patience!r}")
        super().__init__(monitor="val_loss", mode="min", patience=patience,
                         restore_best_weights=True, verbose=1)
        self.best_path = best_path
        self._resumed = None

    def resume_state(self) -> dict:
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch}

    def resume_from(self, state: dict) -> None:
        self._resumed = dict(state)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # resets the counters: put a resumed run's back after it
        if self._resumed and self._resumed.get("best") is not None:
            self.wait = int(self._resumed["wait"])
            self.best = float(self._resumed["best"])
            self.best_epoch = int(self._resumed["best_epoch"])
            if self.best_path is not None and Path(self.best_path).exists():
                from zoo.export.saving import load

                self.best_weights = load(self.best_path).get_weights()


class ResumeState(keras.callbacks.Callback):
    """Keep `<folder>/model.keras` (weights and optimizer state) and `state.json` (epochs done,
    history so far, seed-generator states) after every epoch, both written atomically.

    The epoch counter only moves forward: a state older than the one on disk is never written.
    """

    def __init__(self, folder, *, history=None, epochs_done=0, extra=None, keep=None):
        super().__init__()
        self.extra = dict(extra or {})  # saved beside the counter, e.g. the run's config
        # callbacks whose counters a resumed run needs: {name: callback with resume_state()};
        # list them before this callback so that their epoch is done when it is written
        self.keep = dict(keep or {})
        self.folder = Path(folder)
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epochs_done = epochs_done

    @staticmethod
    def read(folder) -> dict | None:
        """The saved state ({"epochs_done": int, "history": {...}}), or None when there is none."""
        path = Path(folder) / "state.json"
        if not path.exists():
            return None
        try:
            state = json.loads(path.read_text())
        except json.JSONDecodeError as err:  # cannot happen with atomic writes; say so if it does
            raise RuntimeError(f"zoo train: resume state {str(path)!r} is unreadable ({err}); "
                               "delete the folder to start the run afresh") from err
        if not (Path(folder) / "model.keras").exists():
            return None
        return state

    def on_epoch_end(self, epoch, logs=None):
        from zoo.export.saving import save, write_text

        if epoch + 1 <= self.epochs_done or not _weights_finite(self.model):
            return  # never move the counter back, never keep NaN weights
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.folder.mkdir(parents=True, exist_ok=True)
        save(self.model, self.folder / "model.keras")
        self.epochs_done = epoch + 1
        write_text(self.folder / "state.json", json.dumps(
            {**self.extra, "epochs_done": self.epochs_done, "history": self.history,
             "random_state": random_state(self.model),
             "callbacks": {name: cb.resume_state() for name, cb in self.keep.items()}}) + "\n")
