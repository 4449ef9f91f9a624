"""Name -> builder registry: `@register(family=..., task=...)`, presets as data, fuzzy suggestions.

Importing this module (and the model modules that fill it) must not import Keras or TensorFlow:
`zoo list` and `zoo --help` read the registry and answer in well under a second.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
import inspect
from typing import Any, Callable, Mapping

FAMILIES = ("dense", "cnn", "rnn", "cnn_rnn", "autoencoder", "gan", "transformer", "backbone")

# family -> module holding its builders; imported on first registry lookup
_FAMILY_MODULES = {family: f"zoo.models.{family}" for family in FAMILIES}
_FAMILY_MODULES["backbone"] = "zoo.models.backbones"


# --- search-space declarations (plain data, read by zoo.tune) ---------------------------------
@dataclasses.dataclass(frozen=True)
class Int:
    """An integer hyperparameter range for tuning: min_value..max_value (inclusive)."""

    min_value: int
    max_value: int
    step: int | None = None
    sampling: str = "linear"  # "linear" or "log"


@dataclasses.dataclass(frozen=True)
class Float:
    """A float hyperparameter range for tuning."""

    min_value: float
    max_value: float
    step: float | None = None
    sampling: str = "linear"


@dataclasses.dataclass(frozen=True)
class Choice:
    """A categorical hyperparameter for tuning (also used for booleans: Choice((False, True)))."""

    values: tuple


class Preset(dict):
    """Hyperparameters a variant changes, plus optional task/dataset/description of its own.

    `presets={"mlp_regressor": Preset(task="regression", head="regression", num_classes=1)}`
    """

    def __init__(self, *, task=None, dataset=None, description=None, **hyperparameters):
        super().__init__(hyperparameters)
        self.task, self.dataset, self.description = task, dataset, description


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered model: a builder plus the defaults a preset overrides."""

    name: str
    builder: Callable[..., Any]
    family: str
    task: str
    description: str
    dataset: str | None  # the built-in dataset `zoo train NAME` uses when --data is not given
    preset: Mapping[str, Any]
    search_space: Mapping[str, Any]
    # defaults -> extra keys for `zoo info` (e.g. a TCN's receptive field); None: nothing extra
    extra_info: Callable[[dict], Mapping[str, Any]] | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """Every hyperparameter's default for this entry (builder defaults, then the preset's)."""
        params = {
            p.name: p.default
            for p in inspect.signature(self.builder).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "name"
        }
        params.update(self.preset)
        return params

    @property
    def input_shape(self):
        return self.defaults.get("input_shape")


_REGISTRY: dict[str, Entry] = {}
_LOADED = False


def register(
    *,
    family: str,
    task: str,
    dataset: str | None = None,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
    search_space: Mapping[str, Any] | None = None,
    name: str | None = None,
    info: Callable[[dict], Mapping[str, Any]] | None = None,
):
    """Register a builder under its function name (or `name`), plus one entry per preset.

    The builder must take keyword-only hyperparameters with defaults and a `name` keyword that
    becomes the model's name. `presets` maps an entry name to the defaults it changes, so variants
    are data (`{"resnet_small": {"depth": 20}}`, or a `Preset` with a task of its own), not copies of the function. `search_space` maps a
    hyperparameter to an `Int`/`Float`/`Choice` range for tuning, declared next to the builder.
    `info`, if given, maps an entry's resolved defaults to extra keys that `zoo.model_info` (and
    so `zoo info`) reports, e.g. `info=lambda d: {"receptive_field": ...}`.
    """
    if family not in FAMILIES:
        raise ValueError(f"register: family must be one of {FAMILIES}, got {family!r}")
    if info is not None and not callable(info):
        raise TypeError(f"register: info must be a callable of the defaults, got {info!r}")

    def decorator(builder):
        sig = inspect.signature(builder)
        bad = [
            p.name
            for p in sig.parameters.values()
            if p.kind is not inspect.Parameter.KEYWORD_ONLY or p.default is inspect.Parameter.empty
        ]
        if bad:
            raise TypeError(
                f"register: builder {builder.__name__} must take only keyword-only parameters "
                f"with defaults; offending: {bad}"
            )
        if "name" not in sig.parameters:
            raise TypeError(f"register: builder {builder.__name__} must accept name=")
        doc = inspect.getdoc(builder) or ""
        description = doc.split("\n\n")[0].replace("\n", " ").strip()
        space = dict(search_space or {})
        unknown = sorted(set(space) - set(sig.parameters))
        if unknown:
            raise TypeError(f"register: search_space of {builder.__name__} names unknown {unknown}")
        entries = {name or builder.__name__: Preset()}
        entries.update({k: v if isinstance(v, Preset) else Preset(**v)
                        for k, v in (presets or {}).items()})
        for entry_name, preset in entries.items():  # validate all before registering any
            unknown = sorted(set(preset) - set(sig.parameters))
            if unknown:
                raise TypeError(f"register: preset {entry_name} sets unknown parameters {unknown}")
            if entry_name in _REGISTRY:
                raise ValueError(f"register: model name {entry_name!r} is already registered")
        for entry_name, preset in entries.items():
            _REGISTRY[entry_name] = Entry(
                name=entry_name,
                builder=builder,
                family=family,
                task=preset.task or task,
                description=preset.description or description,
                dataset=preset.dataset or dataset,
                preset=dict(preset),
                search_space=space,
                extra_info=info,
            )
        return builder

    return decorator


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    for module in _FAMILY_MODULES.values():
        importlib.import_module(module)
    _LOADED = True


def list_models(pattern: str | None = None, family: str | None = None) -> list[str]:
    """Sorted registered model names, filtered by an fnmatch `pattern` and/or a `family`."""
    _load_all()
    if family is not None and family not in FAMILIES:
        raise ValueError(f"list_models: family must be one of {FAMILIES}, got {family!r}")
    names = [
        n
        for n, e in _REGISTRY.items()
        if (family is None or e.family == family)
        and (pattern is None or fnmatch.fnmatch(n, pattern))
    ]
    return sorted(names)


def get(name: str) -> Entry:
    """The registry entry for `name`; an unknown name raises KeyError with close matches."""
    _load_all()
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"unknown model {name!r}.{hint} See zoo.list_models() for all {len(_REGISTRY)} names."
        )
    return _REGISTRY[name]


class UnknownModelError(KeyError, ValueError):
    """An unknown model name. Both a KeyError (lookup) and a ValueError (bad argument)."""

    def __str__(self):  # KeyError would show the message in quotes
        return str(self.args[0])


def resolve_overrides(entry: Entry, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's defaults updated with `overrides`; an unknown parameter raises ValueError."""
    defaults = entry.defaults
    unknown = [k for k in overrides if k not in defaults]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, list(defaults), n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"{entry.name}: unknown hyperparameter {key}={overrides[key]!r}.{hint} "
            f"Allowed: {', '.join(sorted(defaults))}"
        )
    return {**defaults, **overrides}


def build(name: str, /, **overrides):
    """Build the registered model `name` (`zoo.build`): the entry's defaults updated with
    `overrides`, the model named `name` unless `name=` is given."""
    entry = get(name)
    model_name = overrides.pop("name", entry.name)
    return entry.builder(**resolve_overrides(entry, overrides), name=model_name)
