"""The learning-rate range test (Smith, "Cyclical Learning Rates", WACV 2017; fastai's
`lr_find`): train a few dozen steps while the rate grows exponentially from `start` to `end`,
record the smoothed loss, and suggest a rate a step below where the loss was lowest.

The model's weights are restored afterwards; it is left compiled with the sweep's optimizer,
so the caller compiles it again for training. The test costs only its steps. Backend-portable: plain `model.fit`
with a callback that sets the optimizer's rate.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class RangeTest:
    learning_rates: list   # the rate of each step
    losses: list           # the smoothed (bias-corrected EMA) training loss after each step
    suggestion: float      # min-loss rate / `divisor`, clipped to [low, high]

    def summary(self) -> str:
        best = int(np.argmin(self.losses))
        return (f"learning-rate range test: {len(self.losses)} steps, lowest loss "
                f"{self.losses[best]:.3f} at {self.learning_rates[best]:.2g}; "
                f"suggested {self.suggestion:.2g}")


def range_test(model, x, y, *, batch_size=32, start=1e-5, end=1.0, steps=60, divisor=10.0,
               low=1e-4, high=0.1, beta=0.8, class_weight=None, optimizer="adam",
               seed=0) -> RangeTest:
    """Run the range test on `model` (compiled here with `optimizer`, a Keras optimizer name,
    and the model's own loss if it has one, else sparse categorical cross-entropy) and
    restore its weights.

    Stops early when the smoothed loss exceeds 4x its minimum (divergence). The suggestion is
    the rate of the lowest smoothed loss divided by `divisor` (fastai's classic rule),
    clipped to [low, high].
    """
    import keras

    if not (0 < start < end):
        raise ValueError(f"zoo lr range test: need 0 < start < end, got {start}, {end}")
    if steps < 5:
        raise ValueError(f"zoo lr range test: steps must be >= 5, got {steps}")
    saved = [keras.ops.convert_to_numpy(w) for w in model.weights]
    factor = (end / start) ** (1.0 / (steps - 1))
    rates, losses = [], []
    state = {"avg": 0.0, "best": math.inf, "step": 0}

    class Sweep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate.assign(start * factor ** state["step"])

        def on_train_batch_end(self, batch, logs=None):
            loss = float((logs or {}).get("loss", math.nan))
            # logs["loss"] is the epoch's running mean: recover this step's loss from it
            k = batch + 1
            step_loss = loss * k - state.get("running", 0.0) * (k - 1) if k > 1 else loss
            state["running"] = loss
            state["step"] += 1
            state["avg"] = beta * state["avg"] + (1 - beta) * step_loss
            smoothed = state["avg"] / (1 - beta ** state["step"])
            rates.append(start * factor ** (state["step"] - 1))
            losses.append(smoothed)
            state["best"] = min(state["best"], smoothed)
            if (not math.isfinite(smoothed) or smoothed > 4 * state["best"]
                    or state["step"] >= steps):
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            state["running"] = 0.0

    loss = getattr(model, "loss", None) or "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.get({"class_name": optimizer,
                                                  "config": {"learning_rate": start}}),
                  loss=loss)
    per_epoch = max(1, -(-len(x) // batch_size))
    keras.utils.set_random_seed(seed)
    model.fit(x, y, batch_size=batch_size, epochs=-(-steps // per_epoch), verbose=0,
              class_weight=class_weight, callbacks=[Sweep()])
    for variable, value in zip(model.weights, saved):
        variable.assign(value)
    finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
    if not finite:
        return RangeTest(rates, losses, low)
    best = min(finite, key=lambda i: losses[i])
    suggestion = float(min(max(rates[best] / divisor, low), high))
    return RangeTest(rates, losses, suggestion)
