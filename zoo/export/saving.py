"""`.keras` saving (atomic) and loading (Keras safe mode only).

A model file is a code path: zoo never loads with `safe_mode=False`, never unpickles, refuses
legacy `.h5` full models and never loads a TensorFlow SavedModel implicitly.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

MIN_KERAS = (3, 15, 1)  # earlier 3.x releases have published model-loading CVEs


def _check_keras_version(keras) -> None:
    parts = []
    for piece in keras.__version__.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    if tuple(parts) < MIN_KERAS:
        raise RuntimeError(
            f"zoo.load: keras {keras.__version__} has known model-loading vulnerabilities; "
            f"install keras>={'.'.join(map(str, MIN_KERAS))}"
        )


def resolve_model_path(path, *, allow_legacy_h5: bool = False) -> Path:
    """The model file behind `path` (a file, or a run folder holding `model.keras`)."""
    p = Path(path)
    if p.is_dir():
        if (p / "saved_model.pb").exists():
            raise ValueError(f"zoo.load: {str(p)!r} is a TensorFlow SavedModel; zoo never loads "
                             "one (its graph is code). Load the run's model.keras instead.")
        candidate = p / "model.keras"
        if not candidate.is_file():
            raise FileNotFoundError(f"zoo.load: folder {str(p)!r} has no model.keras")
        return candidate
    if not p.exists():
        raise FileNotFoundError(f"zoo.load: no such file or folder: {str(p)!r}")
    if p.suffix in (".h5", ".hdf5"):
        if allow_legacy_h5:
            return p
        raise ValueError(
            f"zoo.load: refusing legacy HDF5 full-model file {str(p)!r}: Keras' safe mode does "
            "not cover the legacy format. Re-save it as .keras with a trusted Keras, load only "
            "weights into a zoo.build(...) model, or pass allow_legacy_h5=True if you trust it."
        )
    if p.suffix == ".pb":
        raise ValueError(f"zoo.load: {str(p)!r} is a TensorFlow SavedModel; zoo never loads one")
    if p.suffix != ".keras":
        raise ValueError(f"zoo.load: expected a .keras file or a run folder, got {str(p)!r}")
    return p


def load(path, *, compile: bool = True, allow_legacy_h5: bool = False):
    """Load a `.keras` file (or a run folder's `model.keras`) in Keras' safe mode.

    zoo's classes are registered by `import zoo` (`zoo.custom_objects`), which `zoo.load` checks.

    The file is checked first (`zoo.export.safety`): an archive that is damaged, escapes its
    folder, declares absurd sizes, or names code (Lambda, TFSMLayer, non-Keras functions and
    classes, file-path vocabularies, HDF5 links) raises `UnsafeModelError` before Keras reads it.
    Legacy `.h5` models are refused unless `allow_legacy_h5=True` (then checked the same way).
    """
    import keras
    from keras.src.backend.common import global_state
    from keras.src.saving import serialization_lib

    from zoo.export import safety

    _check_keras_version(keras)
    p = resolve_model_path(path, allow_legacy_h5=allow_legacy_h5)
    if p.suffix == ".keras":
        safety.check_keras_archive(p)
    else:
        _check_legacy_h5(p, safety)
    before = serialization_lib.in_safe_mode()
    try:
        with serialization_lib.SafeModeScope(True):
            return keras.saving.load_model(p, compile=compile, safe_mode=True)
    finally:
        # nothing a file does may leave safe mode off for the next load
        if serialization_lib.in_safe_mode() is False and before is not False:
            global_state.set_global_attribute("safe_mode_saving", before)


def _check_legacy_h5(p: Path, safety) -> None:
    import h5py

    safety.check_h5(str(p), source=str(p))
    with h5py.File(p, "r") as h5:
        raw = h5.attrs.get("model_config")
    if raw is None:
        raise ValueError(f"zoo.load: {str(p)!r} holds weights only (no model_config); build the "
                         "model with zoo.build(...) and call model.load_weights()")
    config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    safety.scan_config(config, source=str(p))


def save(model, path, *, overwrite: bool = True) -> Path:
    """Save `model` as `.keras` via a temp file in the same folder, fsync and rename.

    A crash mid-save leaves the previous file intact; `overwrite=False` refuses an existing file.
    """
    p = Path(path)
    if p.suffix != ".keras":
        raise ValueError(f"zoo.save: path must end in .keras, got {str(p)!r}")
    if p.exists() and not overwrite:
        raise FileExistsError(f"zoo.save: {str(p)!r} exists; pass overwrite=True to replace it")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}-", suffix=".keras", dir=p.parent)
    os.close(fd)
    try:
        model.save(tmp, overwrite=True)
        atomic_replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def atomic_replace(tmp, dest) -> None:
    """fsync `tmp`, rename it over `dest` and fsync the folder, so `dest` is old or new, whole."""
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)
    dir_fd = os.open(os.path.dirname(os.path.abspath(dest)), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_text(path, text: str) -> Path:
    """Write a small text file (JSON, CSV) atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}-", dir=p.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        atomic_replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def named_inputs(x, names, *, owner: str, path) -> dict:
    """{input name: array} for a file taking inputs `names`: `x` itself when it is such a dict,
    or {the one name: x}; a count or names that do not match are named in a ValueError."""
    names = list(names)
    if not isinstance(x, dict):
        if len(names) != 1:
            raise ValueError(f"{owner}: {str(path)!r} takes {len(names)} inputs "
                             f"{sorted(names)}; pass {{name: array}}")
        x = {names[0]: x}
    if set(x) != set(names):
        raise ValueError(f"{owner}: {str(path)!r} takes inputs {sorted(names)}, got {sorted(x)}")
    return x
