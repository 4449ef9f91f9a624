"""keras-tuner hypermodels derived from builder signatures: one source of truth for search spaces.

A builder's search space is what its `register(search_space=...)` declares, plus what its own
signature makes obvious (a bool default is tunable as True/False; a `*dropout*` float in [0, 1)
as 0.0..0.5), plus the training hyperparameters: optimizer, learning rate and batch size. A new
keyword added to a builder with a declared range is tunable with no second list to update.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from zoo import registry
from zoo.registry import Choice, Float, Int

# hyperparameters that describe the data, not the model: never tuned, filled from the dataset
DATA_PARAMETERS = frozenset({"input_shape", "num_classes", "vocab_size", "head"})

TRAINING_SPACE = {
    # plain SGD is left out: without momentum schedules it wastes short trials
    "optimizer": Choice(("adam", "adamw", "rmsprop")),
    "learning_rate": Float(1e-4, 1e-2, sampling="log"),
    "batch_size": Choice((16, 32, 64, 128)),
}
TRAINING_DEFAULTS = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 32}


def _derived(param: str, default) -> Any:
    """The range the signature alone justifies for `param`, or None (then it stays fixed)."""
    if isinstance(default, bool):
        return Choice((False, True))
    if "dropout" in param and isinstance(default, float) and 0.0 <= default < 1.0:
        return Float(0.0, 0.5, step=0.1)
    return None


def _validate_range(model: str, param: str, spec) -> None:
    if isinstance(spec, Choice):
        if len(spec.values) == 0:
            raise ValueError(f"{model}: search range for {param} is an empty Choice")
        return
    if spec.min_value > spec.max_value:
        raise ValueError(
            f"{model}: search range for {param} is empty: min_value={spec.min_value} > "
            f"max_value={spec.max_value}"
        )
    if spec.sampling not in ("linear", "log", "reverse_log"):
        raise ValueError(f"{model}: sampling for {param} must be linear, log or reverse_log, "
                         f"got {spec.sampling!r}")
    if spec.sampling != "linear" and spec.min_value <= 0:
        raise ValueError(f"{model}: log sampling for {param} needs min_value > 0, "
                         f"got {spec.min_value}")


def search_space(name: str, **fixed) -> tuple[dict, dict]:
    """(space, fixed values) for `name`: the ranges to search and the values held constant.

    A keyword whose value is an `Int`/`Float`/`Choice` narrows (replaces) that range; any other
    value fixes the hyperparameter. Unknown names and empty ranges raise ValueError at once.
    """
    entry = registry.get(name)
    defaults = entry.defaults
    allowed = set(defaults) | set(TRAINING_SPACE)
    unknown = sorted(set(fixed) - allowed)
    if unknown:
        raise ValueError(
            f"{name}: cannot tune or fix unknown hyperparameter(s) {unknown}. "
            f"Allowed: {', '.join(sorted(allowed))}"
        )
    space: dict[str, Any] = {}
    for param, default in defaults.items():
        if param in DATA_PARAMETERS:
            continue
        spec = entry.search_space.get(param) or _derived(param, default)
        if spec is not None:
            space[param] = spec
    space.update(TRAINING_SPACE)
    constants = {}
    for param, value in fixed.items():
        if isinstance(value, (Int, Float, Choice)):
            space[param] = value
        else:
            space.pop(param, None)
            constants[param] = value
    for param, spec in space.items():
        _validate_range(name, param, spec)
    return space, constants


def _encode(value):
    """keras-tuner Choices hold only scalars; tuples (layer widths) travel as their repr."""
    return repr(tuple(value)) if isinstance(value, (tuple, list)) else repr(value)


def _is_scalar_choice(spec: Choice) -> bool:
    """True when keras-tuner can hold the values as they are: scalars, all of one type."""
    types = {type(v) for v in spec.values}
    return len(types) == 1 and types <= {int, float, str, bool}


def _hyperparameter_class():
    import keras_tuner

    class ZooHyperModel(keras_tuner.HyperModel):
        """Builds `zoo.build(name, **drawn)` compiled for the task; fits with the drawn batch."""

        def __init__(self, name: str, *, data_overrides: Mapping[str, Any] | None = None,
                     **fixed):
            super().__init__(name=name, tunable=True)
            self.model_name = name
            self.entry = registry.get(name)
            self.space, self.fixed = search_space(name, **fixed)
            self.data_overrides = dict(data_overrides or {})

        def declare(self, hp) -> None:
            defaults = {**self.entry.defaults, **TRAINING_DEFAULTS}
            for param, spec in self.space.items():
                default = defaults.get(param)
                if isinstance(spec, Choice):
                    if _is_scalar_choice(spec) and set(map(type, spec.values)) == {bool}:
                        hp.Boolean(param, default=bool(default))
                        continue
                    scalar = _is_scalar_choice(spec)
                    values = list(spec.values) if scalar else [_encode(v) for v in spec.values]
                    encoded = default if scalar else _encode(default)
                    hp.Choice(param, values, default=encoded if encoded in values else values[0])
                elif isinstance(spec, Int):
                    hp.Int(param, spec.min_value, spec.max_value, step=spec.step,
                           sampling=spec.sampling, default=_clip(default, spec))
                else:
                    hp.Float(param, spec.min_value, spec.max_value, step=spec.step,
                             sampling=spec.sampling, default=_clip(default, spec))

        def decode(self, values: Mapping[str, Any]) -> tuple[dict, dict]:
            """(builder kwargs, training kwargs) from keras-tuner values."""
            build, training = dict(self.fixed), dict(TRAINING_DEFAULTS)
            for param, value in values.items():
                spec = self.space.get(param)
                if isinstance(spec, Choice) and not _is_scalar_choice(spec):
                    value = {_encode(v): v for v in spec.values}[value]
                (training if param in TRAINING_SPACE else build)[param] = value
            for param in list(build):
                if param in TRAINING_SPACE:
                    training[param] = build.pop(param)
            return build, training

        def build(self, hp):
            from zoo.train import compile_model

            self.declare(hp)
            build_kwargs, training = self.decode(hp.values)
            model = registry.build(self.model_name, **{**build_kwargs, **self.data_overrides})
            compile_model(model, task=self.entry.task, optimizer=training["optimizer"],
                          learning_rate=training["learning_rate"])
            return model

        def fit(self, hp, model, *args, **kwargs):
            _, training = self.decode(hp.values)
            kwargs["batch_size"] = training["batch_size"]
            return model.fit(*args, **kwargs)

    return ZooHyperModel


def _clip(default, spec):
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        return None
    if not (spec.min_value <= default <= spec.max_value):
        return None
    if spec.step is not None:  # keras-tuner wants the default on the grid
        k = round((default - spec.min_value) / spec.step)
        on_grid = spec.min_value + k * spec.step
        if not math.isclose(on_grid, default, rel_tol=1e-9, abs_tol=1e-12):
            return None
    return default


def hypermodel(name: str, *, data_overrides: Mapping[str, Any] | None = None, **fixed):
    """A `keras_tuner.HyperModel` for registered model `name`.

    `fixed` holds hyperparameters constant (`dropout=0.1`) or narrows them
    (`dropout=zoo.registry.Float(0.0, 0.3)`); `data_overrides` (input shape, class count) are
    applied to every trial without being part of the search.

    Example:
        >>> import keras_tuner
        >>> hm = zoo.hypermodel("mlp", batch_norm=False)
        >>> model = hm.build(keras_tuner.HyperParameters())
        >>> model.name
        'mlp'
    """
    return _hyperparameter_class()(name, data_overrides=data_overrides, **fixed)
