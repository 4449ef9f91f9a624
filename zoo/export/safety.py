"""Checks a model file before Keras reads it: a model file is a code path.

`.keras` archives are inspected as zips (member names, declared sizes, a truncated or non-zip
file), their `config.json` is scanned for what could run code or read local files (Lambda and
pickled Python functions, TFSMLayer, functions from non-Keras modules such as `builtins.exec` or
`keras.utils.get_file`, classes outside Keras and zoo, lookup vocabularies given as file paths),
and their HDF5 weights for external and soft links. Keras' own safe mode stays on underneath; these
checks add a clear error before it, and cover what safe mode does not.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from pathlib import Path

# members a .keras archive written by Keras 3 holds
KNOWN_MEMBERS = ("config.json", "metadata.json", "model.weights.h5", "model.weights.npz")
MAX_CONFIG_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 8 * 2**30  # declared, uncompressed; far above any model zoo ships
MAX_COMPRESSION_RATIO = 200  # a zip bomb declares sizes its compressed bytes cannot honestly hold

FORBIDDEN_CLASSES = {
    "Lambda": "runs arbitrary Python code",
    "TFSMLayer": "loads a TensorFlow SavedModel, whose graph is code",
    "__lambda__": "is a pickled Python function",
    "__python_function__": "is a pickled Python function",
}
ALLOWED_MODULE_ROOTS = ("keras", "zoo")
LOOKUP_LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization")
# functions that read or write files or the network even from inside Keras
FORBIDDEN_FUNCTIONS = {"get_file", "enable_unsafe_deserialization", "load_model", "load_weights",
                       "exec", "eval", "open", "system", "__import__"}


class UnsafeModelError(ValueError):
    """A model file was refused before any of it was deserialized."""


def check_keras_archive(path) -> dict:
    """Inspect a `.keras` zip and return its parsed config, or raise UnsafeModelError."""
    p = Path(path)
    if not zipfile.is_zipfile(p):
        raise UnsafeModelError(f"{str(p)!r} is not a .keras archive: not a zip file (or a "
                               "truncated one)")
    try:
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            _check_members(p, infos)
            config_bytes = archive.read("config.json")
            config = json.loads(config_bytes)
            scan_config(config, source=str(p))
            if "model.weights.h5" in archive.namelist():
                with archive.open("model.weights.h5") as member:
                    check_h5(io.BytesIO(member.read()), source=f"{p}:model.weights.h5")
    except UnsafeModelError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError) as err:
        raise UnsafeModelError(f"{str(p)!r} is a damaged .keras archive: {err}") from err
    return config


def _check_members(p: Path, infos) -> None:
    names = {i.filename for i in infos}
    if "config.json" not in names:
        raise UnsafeModelError(f"{str(p)!r} has no config.json: not a Keras 3 model archive")
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]
                or posixpath.normpath(name.replace("\\", "/")).startswith("../")):
            raise UnsafeModelError(f"{str(p)!r}: member {name!r} escapes the archive folder")
        if name not in KNOWN_MEMBERS and not name.startswith("assets/"):
            raise UnsafeModelError(f"{str(p)!r}: unexpected member {name!r}; a Keras 3 model "
                                   f"holds only {list(KNOWN_MEMBERS)} and assets/")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 2**20 and ratio > MAX_COMPRESSION_RATIO:
            raise UnsafeModelError(
                f"{str(p)!r}: member {name!r} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed (ratio {ratio:.0f} > "
                f"{MAX_COMPRESSION_RATIO}): refused as a zip bomb")
        if name == "config.json" and info.file_size > MAX_CONFIG_BYTES:
            raise UnsafeModelError(f"{str(p)!r}: config.json declares {info.file_size:,} bytes "
                                   f"(limit {MAX_CONFIG_BYTES:,})")
    if total > MAX_TOTAL_BYTES:
        raise UnsafeModelError(f"{str(p)!r} declares {total:,} uncompressed bytes "
                               f"(limit {MAX_TOTAL_BYTES:,})")


def scan_config(config, *, source: str = "model") -> None:
    """Refuse a Keras config that names code, non-Keras classes or local files."""
    for node, where in _walk(config, "config"):
        if not isinstance(node, dict):
            continue
        class_name = node.get("class_name")
        module = node.get("module")
        registered = node.get("registered_name") or ""
        if isinstance(class_name, str) and class_name in FORBIDDEN_CLASSES:
            raise UnsafeModelError(f"{source}: {where} is a {class_name}, which "
                                   f"{FORBIDDEN_CLASSES[class_name]}; refused")
        if class_name == "function" or registered == "function":
            fn = node.get("config")
            if module and not _allowed_module(module) or fn in FORBIDDEN_FUNCTIONS:
                raise UnsafeModelError(f"{source}: {where} names the function "
                                       f"{module}.{fn}, which is not a Keras function; refused")
        elif isinstance(module, str) and class_name is not None and not _allowed_module(module):
            if not registered.startswith("zoo>"):
                raise UnsafeModelError(f"{source}: {where} names the class {module}.{class_name},"
                                       " which is neither Keras nor zoo; refused")
        if class_name in LOOKUP_LAYERS:
            vocabulary = (node.get("config") or {}).get("vocabulary")
            if isinstance(vocabulary, str):
                raise UnsafeModelError(f"{source}: {where} is a {class_name} whose vocabulary is "
                                       f"the file path {vocabulary!r}; refused (a model must not "
                                       "read local files)")
        for value in node.values():
            if isinstance(value, str) and "enable_unsafe_deserialization" in value:
                raise UnsafeModelError(f"{source}: {where} mentions "
                                       "enable_unsafe_deserialization; refused")


def _allowed_module(module: str) -> bool:
    return module.split(".", 1)[0] in ALLOWED_MODULE_ROOTS


def _walk(node, where):
    stack = [(node, where)]
    while stack:
        node, where = stack.pop()
        yield node, where
        if isinstance(node, dict):
            inner = node.get("config")
            name = inner.get("name") if isinstance(inner, dict) else node.get("name")
            label = f"{where} > {name}" if isinstance(name, str) else where
            stack.extend((v, label) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, where) for v in node if isinstance(v, (dict, list)))


def check_h5(file, *, source: str) -> None:
    """Refuse HDF5 files with external or soft links (they can read any file on the machine)."""
    import h5py

    try:
        h5 = h5py.File(file, "r")
    except OSError as err:
        raise UnsafeModelError(f"{source}: not a readable HDF5 file: {err}") from err
    with h5:
        pending = [h5]
        while pending:
            group = pending.pop()
            for key in group.keys():
                link = group.get(key, getlink=True)
                if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
                    kind = "external" if isinstance(link, h5py.ExternalLink) else "soft"
                    target = getattr(link, "filename", None) or getattr(link, "path", "")
                    raise UnsafeModelError(f"{source}: {group.name}/{key} is an HDF5 {kind} link "
                                           f"to {target!r}; refused")
                item = group.get(key)
                if isinstance(item, h5py.Group):
                    pending.append(item)
                elif isinstance(item, h5py.Dataset) and item.nbytes > MAX_TOTAL_BYTES:
                    raise UnsafeModelError(f"{source}: dataset {item.name} declares "
                                           f"{item.nbytes:,} bytes; refused")
