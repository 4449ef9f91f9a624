"""What a run knows about its inputs, read from the run's own files, so a user never repeats it.

`zoo finetune` writes metadata.json ("preprocessing": input_range, input_shape; "dataset":
class_names); `zoo train` writes metrics.json ("model", "input": value_range, input_shape,
class_names) and, on text, vocabulary.json (the tokens, index = id, the level and special ids).
A bare `.keras` file has none: the input shape comes from the model, the range from its
preprocessing layer if it has one (else [0, 1], zoo's builders' range), class names are indices,
the task is its registered model's (the model is named after it), and it has no vocabulary.
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
    input_shape: tuple     # the model's (first) input without the batch: (H, W, C), (T,), ...
    value_range: tuple     # the pixel range the model was trained on
    class_names: list
    source: str            # "finetune", "train" or "file"
    data: str | None = None  # the image folder it was trained on, if recorded and still there
    task: str = "classification"  # the registry's: classification, regression, language_model...
    model_name: str = ""   # the registered model it was built from ("gpt"), if known
    vocabulary: RunVocabulary | None = None  # the tokens of a text run (vocabulary.json)
    num_inputs: int = 1    # 2 for transformer_seq2seq (source, decoder ids)


@dataclasses.dataclass
class RunVocabulary:
    """A run's tokens as training recorded them (the id of a token is its index), cut from text
    the way training cut it: `level` "char" or "word" (`zoo.data.corpus.tokenize`)."""
    tokens: list
    level: str = "char"
    start_id: int | None = None    # seq2seq: the decoder's first token
    end_id: int | None = None      # seq2seq: ends the target
    padding_id: int | None = None

    def __post_init__(self):
        self._ids = {token: i for i, token in enumerate(self.tokens)}
        if self.padding_id is None and "<pad>" in self._ids:
            self.padding_id = self._ids["<pad>"]
        self.unknown_id = self._ids.get("<unk>")

    def encode(self, text: str) -> tuple[list, list]:
        """(ids, tokens outside the vocabulary): those map to "<unk>" where the vocabulary has
        one; without one (seq2seq digits) they are left out, and the caller names them."""
        from zoo.data.corpus import tokenize

        ids, unknown = [], []
        for token in tokenize(text, level=self.level):
            index = self._ids.get(token, self.unknown_id)
            if token not in self._ids:
                unknown.append(token)
            if index is not None:
                ids.append(index)
        return ids, unknown

    def decode(self, ids) -> str:
        """The text of `ids` without padding; words joined by single spaces."""
        tokens = [self.tokens[int(i)] for i in ids if int(i) != self.padding_id]
        return ("" if self.level == "char" else " ").join(tokens)

    def special_ids(self) -> list:
        """Ids that are no text: never generated (padding, unknown, start)."""
        return [i for i in (self.padding_id, self.unknown_id, self.start_id) if i is not None]


def open_run(path) -> Run:
    """Load a run folder's model.keras (or a `.keras` file) in safe mode, with its input facts.
    A folder without a model, or a path that does not exist, is a FileNotFoundError naming it.
    A `Run` (opened before) is returned as it is: every command's Python twin takes one."""
    from zoo.export.saving import load

    if isinstance(path, Run):
        return path
    path = Path(path)
    if path.is_dir():
        model_file = path / "model.keras"
        if not model_file.is_file():
            raise FileNotFoundError(f"{str(path)!r} is a folder without model.keras: not a run "
                                    "of zoo train or zoo finetune")
        folder = path
    elif path.is_file() and path.suffix == ".keras":
        model_file, folder = path, None
        if (path.parent / "metrics.json").is_file() or (path.parent / "metadata.json").is_file():
            folder = path.parent  # best.keras of a run: the run's own files still describe it
    else:
        raise FileNotFoundError(f"no run folder or .keras file at {str(path)!r}")
    model = load(model_file)  # safe mode
    shape = tuple(None if d is None else int(d) for d in model.inputs[0].shape[1:])
    outputs = int(model.outputs[0].shape[-1])
    facts = recorded_input(folder) if folder else {"source": "file"}
    value_range = facts.get("value_range") or _preprocessing_range(model) or (0.0, 1.0)
    names = facts.get("class_names")
    if not names or len(names) != outputs:
        names = [str(i) for i in range(outputs)]
    data = facts.get("data")
    model_name = facts.get("model") or model.name
    vocabulary = facts.get("vocabulary")
    if vocabulary is not None and len(vocabulary.tokens) != outputs and \
            len(model.outputs[0].shape) == 3:  # a language model's softmax is its vocabulary
        raise ValueError(f"{str(path)!r}: vocabulary.json holds {len(vocabulary.tokens)} tokens "
                         f"but the model predicts {outputs}; the run's files do not match")
    return Run(model, path, shape, tuple(float(v) for v in value_range), list(names),
               facts["source"], data if isinstance(data, str) and os.path.isdir(data) else None,
               task=_task(model, model_name, facts["source"]), model_name=model_name,
               vocabulary=vocabulary, num_inputs=len(model.inputs))


def recorded_input(folder) -> dict:
    """What a run folder's own files say of its inputs: {"source", "value_range",
    "class_names", "data", "model", "vocabulary"} (keys absent when unrecorded); no model is
    loaded."""
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
        facts = {"source": "train", "value_range": entry.get("value_range"),
                 "class_names": entry.get("class_names"), "data": record.get("data"),
                 "model": record.get("model")}
        vocabulary = Path(folder) / "vocabulary.json"
        if vocabulary.is_file():
            facts["vocabulary"] = _read_vocabulary(vocabulary)
        return facts
    return {"source": "file"}


def _read_vocabulary(file) -> RunVocabulary:
    try:
        record = json.loads(Path(file).read_text())
        tokens = record["tokens"]
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise TypeError("tokens must be a list of strings")
        return RunVocabulary(tokens, level=record.get("level", "char"),
                             start_id=record.get("start_id"), end_id=record.get("end_id"),
                             padding_id=record.get("padding_id"))
    except (ValueError, KeyError, TypeError) as err:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{str(file)!r} is not a vocabulary zoo train wrote "
                         f"({type(err).__name__}: {err})") from None


def _task(model, model_name, source) -> str:
    """The task of the registered model a run was built from; a `.keras` file of a model zoo
    does not know is read from its output: one softmax per step is a language model."""
    from zoo import registry

    if source == "finetune":
        return "classification"
    if model_name in registry.list_models():
        return registry.get(model_name).task
    return "language_model" if len(model.outputs[0].shape) == 3 else "classification"


def _preprocessing_range(model):
    from zoo.layers.preprocessing import ImagePreprocessing
    from zoo.transfer.model_parts import leaf_layers

    for layer in leaf_layers(model):
        if isinstance(layer, ImagePreprocessing):
            return tuple(layer.input_range)
    return None
