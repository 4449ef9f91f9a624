"""`.keras` saving (atomic) and loading (Keras safe mode only).

A model file is a code path: zoo never loads with `safe_mode=False`, never unpickles, refuses
legacy `.h5` full models and never loads a TensorFlow SavedModel implicitly.
"""

from __future__ import annotations

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


def resolve_model_path(path) -> Path:
    """The `.keras` file behind `path` (a file, or a run folder holding `model.keras`)."""
    p = Path(path)
    if p.is_dir():
        candidate = p / "model.keras"
        if not candidate.is_file():
            raise FileNotFoundError(f"zoo.load: folder {str(p)!r} has no model.keras")
        return candidate
    if not p.exists():
        raise FileNotFoundError(f"zoo.load: no such file or folder: {str(p)!r}")
    if p.suffix in (".h5", ".hdf5"):
        raise ValueError(
            f"zoo.load: refusing legacy HDF5 full-model file {str(p)!r}: its config is not "
            "checked by Keras' safe mode. Re-save it as .keras with a trusted Keras, or load "
            "only weights into a zoo.build(...) model with model.load_weights()."
        )
    if (p / "saved_model.pb").exists() or p.suffix == ".pb":
        raise ValueError(f"zoo.load: {str(p)!r} is a TensorFlow SavedModel; zoo never loads one")
    if p.suffix != ".keras":
        raise ValueError(f"zoo.load: expected a .keras file or a run folder, got {str(p)!r}")
    return p


def load(path, *, compile: bool = True):
    """Load a `.keras` file (or a run folder's `model.keras`) in Keras' safe mode."""
    import keras

    import zoo.layers  # noqa: F401  (registers zoo's serializable layers)
    import zoo.train.metrics  # noqa: F401  (and metrics a compiled model refers to: Perplexity)

    _check_keras_version(keras)
    p = resolve_model_path(path)
    return keras.saving.load_model(p, compile=compile, safe_mode=True)


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
