"""Learning-rate schedules by name, sized from the run: constant, cosine, warm-up + cosine,
one-cycle. Backend-portable (`keras.ops`); each saves with the optimizer in a `.keras` file.

    >>> lr = schedule("one_cycle", learning_rate=1e-2, total_steps=100)
    >>> round(float(lr(0)), 5), round(float(lr(30)), 5), round(float(lr(100)), 7)
    (0.0004, 0.01, 0.0)
"""

from __future__ import annotations

import math

import keras
from keras import ops

SCHEDULES = ("constant", "cosine", "warmup_cosine", "one_cycle")


@keras.saving.register_keras_serializable(package="zoo")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle policy (Smith & Topin, 2018): cosine ramp from `max_lr / div_factor` up to
    `max_lr` over the first `pct_start` of `total_steps`, then cosine annealing down to
    `max_lr / (div_factor * final_div_factor)`. Steps past `total_steps` keep the final rate."""

    def __init__(self, max_lr: float, total_steps: int, *, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, name="one_cycle"):
        if not (isinstance(total_steps, int) and total_steps >= 1):
            raise ValueError(f"OneCycle: total_steps must be an int >= 1, got {total_steps!r}")
        if not 0.0 < pct_start < 1.0:
            raise ValueError(f"OneCycle: pct_start must be in (0, 1), got {pct_start!r}")
        if not (max_lr > 0 and div_factor >= 1 and final_div_factor >= 1):
            raise ValueError(f"OneCycle: max_lr must be > 0 and div factors >= 1, got "
                             f"max_lr={max_lr!r}, div_factor={div_factor!r}, "
                             f"final_div_factor={final_div_factor!r}")
        self.max_lr, self.total_steps = float(max_lr), total_steps
        self.pct_start, self.div_factor = float(pct_start), float(div_factor)
        self.final_div_factor, self.name = float(final_div_factor), name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor
        up_steps = max(1.0, self.pct_start * self.total_steps)
        down_steps = max(1.0, self.total_steps - up_steps)

        def cosine(a, b, fraction):  # a -> b as fraction goes 0 -> 1
            fraction = ops.clip(fraction, 0.0, 1.0)
            return b + (a - b) * 0.5 * (1.0 + ops.cos(math.pi * fraction))

        return ops.where(step < up_steps, cosine(start, self.max_lr, step / up_steps),
                         cosine(self.max_lr, end, (step - up_steps) / down_steps))

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps,
                "pct_start": self.pct_start, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor, "name": self.name}


def schedule(name: str, *, learning_rate: float, total_steps: int, warmup_steps: int = 0):
    """The learning rate (a float for "constant", else a `LearningRateSchedule`) for a run of
    `total_steps` optimizer steps; `learning_rate` is the peak rate.

    - "cosine": cosine decay from `learning_rate` to 0 over `total_steps`;
    - "warmup_cosine": linear warm-up from 0 over `warmup_steps`, then cosine decay to 0;
    - "one_cycle": see `OneCycle` (its ramp is the first 30% of the steps).
    """
    key = name.replace("-", "_") if isinstance(name, str) else name
    if key not in SCHEDULES:
        raise ValueError(f"zoo.train: lr_schedule must be one of {SCHEDULES}, got {name!r}")
    if not (isinstance(total_steps, int) and total_steps >= 1):
        raise ValueError(f"zoo.train: total_steps must be an int >= 1, got {total_steps!r}")
    if not (isinstance(warmup_steps, int) and 0 <= warmup_steps < total_steps):
        raise ValueError(f"zoo.train: warmup_steps must be an int in [0, {total_steps}), got "
                         f"{warmup_steps!r}")
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"zoo.train: learning_rate must be > 0, got {learning_rate!r}")
    if key == "constant":
        return float(learning_rate)
    if key == "one_cycle":
        return OneCycle(float(learning_rate), total_steps)
    if key == "cosine" or warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(float(learning_rate), total_steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, total_steps - warmup_steps, warmup_target=float(learning_rate),
        warmup_steps=warmup_steps)


class LearningRateLogger(keras.callbacks.Callback):
    """Put the optimizer's current learning rate into each epoch's logs (and so the history)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(ops.convert_to_numpy(
                self.model.optimizer.learning_rate))
