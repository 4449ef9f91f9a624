"""What a run knows about its inputs, read from the run's own files, so a user never repeats it.

`zoo finetune` writes metadata.json ("preprocessing": input_range, input_shape; "dataset":
class_names); `zoo train` writes metrics.json ("input": value_range, input_shape, class_names).
A bare `.keras` file has neither: the input shape comes from the model, the range from its
preprocessing layer if it has one (else [0, 1], zoo's builders' range), class names are indices.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path


@dataclasses.dataclass
class Run:
    model: object
    path: Path
    input_shape: tuple     # (H, W, C) the model takes
    value_range: tuple     # the pixel range the model was trained on
    class_names: list
    source: str            # "finetune", "train" or "file"
    data: str | None = None  # the image folder it was trained on, if recorded and still there


def open_run(path) -> Run:
    """Load a run folder's model.keras (or a `.keras` file) in safe mode, with its input facts.
    A folder without a model, or a path that does not exist, is a FileNotFoundError naming it."""
    from zoo.export.saving import load

    path = Path(path)
    if path.is_dir():
        model_file = path / "model.keras"
        if not model_file.is_file():
            raise FileNotFoundError(f"{str(path)!r} is a folder without model.keras: not a run "
                                    "of zoo train or zoo finetune")
        folder = path
    elif path.is_file() and path.suffix == ".keras":
        model_file, folder = path, None
    else:
        raise FileNotFoundError(f"no run folder or .keras file at {str(path)!r}")
    model = load(model_file)  # safe mode
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    outputs = int(model.outputs[0].shape[-1])
    facts = recorded_input(folder) if folder else {"source": "file"}
    value_range = facts.get("value_range") or _preprocessing_range(model) or (0.0, 1.0)
    names = facts.get("class_names")
    if not names or len(names) != outputs:
        names = [str(i) for i in range(outputs)]
    data = facts.get("data")
    return Run(model, path, shape, tuple(float(v) for v in value_range), list(names),
               facts["source"], data if isinstance(data, str) and os.path.isdir(data) else None)


def recorded_input(folder) -> dict:
    """What a run folder's own files say of its inputs: {"source", "value_range",
    "class_names", "data"} (keys absent when unrecorded); no model is loaded."""
    metadata, metrics = Path(folder) / "metadata.json", Path(folder) / "metrics.json"
    if metadata.is_file():  # zoo finetune
        record = json.loads(metadata.read_text())
        dataset = record.get("dataset", {})
        return {"source": "finetune",
                "value_range": record.get("preprocessing", {}).get("input_range"),
                "class_names": dataset.get("class_names"), "data": dataset.get("path")}
    if metrics.is_file():  # zoo train
        record = json.loads(metrics.read_text())
        entry = record.get("input", {})
        return {"source": "train", "value_range": entry.get("value_range"),
                "class_names": entry.get("class_names"), "data": record.get("data")}
    return {"source": "file"}


def _preprocessing_range(model):
    from zoo.layers.preprocessing import ImagePreprocessing
    from zoo.transfer.model_parts import leaf_layers

    for layer in leaf_layers(model):
        if isinstance(layer, ImagePreprocessing):
            return tuple(layer.input_range)
    return None
