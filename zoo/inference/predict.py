"""`zoo predict RUN INPUT...`: what a classifier (top-k classes, by the run's class names) or a
regressor (its values) says of each input, read as the run's own files say it was trained:

- image models (inputs (H, W, C)): image files and folders (recursively), decoded and resized
  as zoo's folder loader does (TensorFlow's `decode_image` + bilinear `resize`; this path needs
  TensorFlow) and scaled to the range the run was trained on;
- text classifiers (a run with a `vocabulary.json`): text files (one input per non-blank line),
  folders of `.txt` files, and any argument that is no file or folder, as one text; tokenized
  with the run's vocabulary, cut and padded to its length as the training lines were;
- every other model, and token ids for a text classifier: `.npy` arrays (files and folders) of
  the input's shape (one input) or with one more leading dimension (a batch, one input a row).

An unreadable file is named and skipped, never the whole call lost. Language models, seq2seq
and generative models are refused with a pointer to the command that serves them.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

import numpy as np

from zoo.inference.runs import open_run

TEXT_EXTENSIONS = (".txt",)


@dataclasses.dataclass
class Predictions:
    files: list            # the inputs predicted, in order: a file, "FILE.npy[i]", or the text
    top: list              # per input: [(class name, probability), ...] best first, or, for a
    #                        regressor, [("value_1", value), ...]
    skipped: list          # [(file, reason), ...]
    kind: str = "image"    # "image", "text" or "array": what the run reads
    task: str = "classification"  # or "regression"
    texts: set = dataclasses.field(default_factory=set)  # indices of the inputs that are texts

    def lines(self):
        for i, (name, top) in enumerate(zip(self.files, self.top)):
            if i in self.texts:  # quoted: its spaces are its own
                name = json.dumps(name, ensure_ascii=False)
            if self.task == "regression":
                yield f"{name}  " + "  ".join(f"{value:.6g}" for _, value in top)
            else:
                yield f"{name}  " + "  ".join(f"{label} {p:.3f}" for label, p in top)

    def csv(self) -> str:
        import csv

        k = max((len(t) for t in self.top), default=0)
        out = io.StringIO()
        writer = csv.writer(out)
        if self.task == "regression":
            writer.writerow(["input"] + [f"value_{i + 1}" for i in range(k)])
            for name, top in zip(self.files, self.top):
                writer.writerow([name] + [repr(value) for _, value in top])
            return out.getvalue()
        writer.writerow(["input"] + [f"{part}_{i + 1}" for i in range(k)
                                     for part in ("label", "probability")])
        for name, top in zip(self.files, self.top):
            writer.writerow([name] + [v for label, p in top for v in (label, f"{p:.6f}")])
        return out.getvalue()


def image_inputs(inputs, hint: str = "") -> list[str]:
    """Files named, and image files under folders named (recursively, sorted)."""
    from zoo.data.folders import IMAGE_EXTENSIONS, list_images

    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = list_images(path)
            if not found:
                raise ValueError(f"zoo predict: folder {str(path)!r} holds no images "
                                 f"({', '.join(IMAGE_EXTENSIONS)})")
            files += found
        elif path.is_file():
            files.append(str(path))
        else:
            raise FileNotFoundError(f"zoo predict: no file or folder at {str(path)!r}{hint}")
    return files


def input_kind(run) -> str:
    """"image", "text" or "array": what `run` (an opened run) reads. A run zoo predict cannot
    serve (a language model, seq2seq, an autoencoder, one output per step) is a ValueError
    that names its task and the command that serves it."""
    where = f"{str(run.path)!r} ({run.model_name or run.model.name}, task {run.task!r})"
    if run.task == "language_model":
        raise ValueError(f"zoo predict: {where} is a language model: it writes text, it does not "
                         "classify it; use zoo generate RUN (--source for seq2seq)")
    if run.task not in ("classification", "regression"):
        raise ValueError(f"zoo predict: {where} is not a classifier or a regressor; zoo predict "
                         "serves tasks 'classification' and 'regression'")
    if run.num_inputs != 1:
        raise ValueError(f"zoo predict: {where} takes {run.num_inputs} inputs; zoo predict "
                         "serves models of one input")
    output = tuple(run.model.outputs[0].shape[1:])
    if len(output) != 1:
        raise ValueError(f"zoo predict: {where} predicts outputs of shape {output}, one per "
                         "step; zoo predict serves models with one prediction per input")
    if len(run.input_shape) == 3:
        return "image"
    if run.vocabulary is not None and len(run.input_shape) == 1:
        return "text"
    return "array"


def predict(run, inputs, *, top_k: int = 5, batch_size: int = 32) -> Predictions:
    """What `run` (a run folder or a `.keras` file) predicts for every input: image files and
    folders for an image model, texts and text files for a text classifier, `.npy` arrays
    otherwise (see the module). Classifiers give their `top_k` classes with probabilities,
    regressors their values. Example: `zoo.predict("runs/ft", ["photos/"], top_k=3)`,
    `zoo.predict("runs/text", ["def main():", "lines.txt"])`."""
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"zoo predict: top_k must be an int >= 1, got {top_k!r}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"zoo predict: batch_size must be an int >= 1, got {batch_size!r}")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if not inputs:
        raise ValueError("zoo predict: no inputs given")
    run = open_run(run)
    kind = input_kind(run)
    if kind == "image":
        hint = (f"; {str(run.path)!r} takes images {run.input_shape} (image files and folders; "
                "text is read by text classifiers only)")
        images, kept, skipped = decode(image_inputs(inputs, hint), run)
        skipped = [(file, f"{reason}: not a readable image") for file, reason in skipped]
        groups = [(list(range(len(kept))), np.stack(images))] if kept else []
        texts = set()
    else:
        kept, rows, skipped, texts = (text_inputs if kind == "text" else array_inputs)(inputs,
                                                                                     run)
        groups = _batches(rows)
    outputs = [None] * len(kept)
    for index, x in groups:
        for i, row in zip(index, run.model.predict(x, batch_size=batch_size, verbose=0)):
            outputs[i] = row
    if run.task == "regression":
        tops = [[(f"value_{j + 1}", float(v)) for j, v in enumerate(row)] for row in outputs]
        return Predictions(kept, tops, skipped, kind, "regression", texts)
    top_k = min(top_k, len(run.class_names))
    tops = []
    for row in outputs:
        order = np.argsort(row)[::-1][:top_k]
        tops.append([(run.class_names[i], float(row[i])) for i in order])
    return Predictions(kept, tops, skipped, kind, texts=texts)


def decode(files, run):
    """(images scaled to the run's range, files kept, [(file, reason)] skipped): each file
    decoded exactly as the folder loader decoded the run's training images."""
    import tensorflow as tf

    from zoo.data.pipeline import decode_image_file

    height, width, channels = run.input_shape
    low, high = run.value_range
    images, kept, skipped = [], [], []
    for file in files:
        try:
            image = decode_image_file(file, image_size=(height, width), channels=channels)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
            skipped.append((file, type(err).__name__))
            continue
        images.append(low + image.numpy() * ((high - low) / 255.0))
        kept.append(file)
    return images, kept, skipped


def text_inputs(inputs, run):
    """(names, token-id rows, skipped, indices of the texts) for a text classifier: each
    argument that is no file or folder is one text; a text file gives one text per non-blank
    line (named by the line itself); a folder, its `.txt` files (recursively); `.npy` files are
    token ids as they are.
    A text is tokenized with the run's vocabulary, stripped, cut to the model's length and
    padded with the padding id, as the training lines were."""
    from zoo.data.folders import IMAGE_EXTENSIONS

    names, rows, skipped, texts = [], [], [], set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = _files_under(path, TEXT_EXTENSIONS + (".npy",))
            if not files:
                raise ValueError(f"zoo predict: folder {str(path)!r} holds no text (.txt) or "
                                 ".npy files")
        elif path.is_file():
            files = [str(path)]
        else:
            if isinstance(item, os.PathLike) or (str(item).endswith((".txt", ".npy")) and
                                                 not any(c.isspace() for c in str(item))):
                raise FileNotFoundError(f"zoo predict: no file at {str(item)!r}")
            _add_text(str(item), run, names, rows, skipped, texts)
            continue
        for file in files:
            if file.lower().endswith(".npy"):
                _add_arrays(file, run, names, rows, skipped)
            elif file.lower().endswith(IMAGE_EXTENSIONS):
                skipped.append((file, f"an image; {str(run.path)!r} reads text"))
            else:
                try:
                    lines = Path(file).read_text(encoding="utf-8").splitlines()
                except UnicodeDecodeError:
                    skipped.append((file, "not UTF-8 text"))
                    continue
                except OSError as err:
                    skipped.append((file, f"{type(err).__name__}: {err.strerror}"))
                    continue
                lines = [line for line in lines if line.strip()]
                if not lines:
                    skipped.append((file, "no text in it"))
                for line in lines:
                    _add_text(line, run, names, rows, skipped, texts)
    return names, rows, skipped, texts


def _add_text(text, run, names, rows, skipped, texts):
    text = text.strip()  # as the training lines were
    ids, _ = run.vocabulary.encode(text)  # unknown tokens read as "<unk>", as in training
    if not ids:
        skipped.append((text, "no tokens in it"))
        return
    length = run.input_shape[0]
    row = np.full(length if length is not None else len(ids), run.vocabulary.padding_id or 0,
                  dtype="int32")
    ids = ids[:len(row)]
    row[:len(ids)] = ids
    texts.add(len(names))
    names.append(text)
    rows.append(row)


def array_inputs(inputs, run):
    """(names, rows, skipped, no texts) from `.npy` files and folders of them (recursively): an
    array of the run's input shape is one input, named by its file; one with an extra leading
    dimension is a batch, its rows named FILE[i]."""
    names, rows, skipped = [], [], []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = _files_under(path, (".npy",))
            if not files:
                raise ValueError(f"zoo predict: folder {str(path)!r} holds no .npy files")
        elif path.is_file():
            files = [str(path)]
        else:
            tokens = "int" in str(run.model.inputs[0].dtype)
            raise FileNotFoundError(
                f"zoo predict: no file or folder at {str(path)!r}; {str(run.path)!r} takes "
                f".npy arrays of shape {_shape_text(run.input_shape)}" +
                (" of token ids (text needs the run's vocabulary.json: give its run folder)"
                 if tokens else " (text is read by text classifiers only)"))
        for file in files:
            if not file.lower().endswith(".npy"):
                skipped.append((file, f"not a .npy array; {str(run.path)!r} takes arrays of "
                                      f"shape {_shape_text(run.input_shape)}"))
                continue
            _add_arrays(file, run, names, rows, skipped)
    return names, rows, skipped, set()


def _add_arrays(file, run, names, rows, skipped):
    try:
        array = np.load(file, allow_pickle=False)  # no pickles: a .npy cannot run code
    except (OSError, ValueError, EOFError) as err:
        skipped.append((file, f"not a readable .npy array ({type(err).__name__})"))
        return
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        skipped.append((file, f"not a numeric array (dtype {getattr(array, 'dtype', '?')})"))
        return
    shape = run.input_shape
    if _fits(array.shape, shape):
        batch, batch_names = array[None], [file]
    elif array.ndim == len(shape) + 1 and _fits(array.shape[1:], shape):
        batch, batch_names = array, [f"{file}[{i}]" for i in range(len(array))]
    else:
        skipped.append((file, f"shape {array.shape}, not {_shape_text(shape)} (one input) or "
                              f"{_shape_text(('N',) + shape)} (a batch)"))
        return
    dtype = str(run.model.inputs[0].dtype)
    if "int" in dtype:  # token ids: whole numbers inside the vocabulary
        if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
            skipped.append((file, "not token ids: the model takes whole numbers"))
            return
        size = len(run.vocabulary.tokens) if run.vocabulary is not None else None
        if array.size and (array.min() < 0 or (size is not None and array.max() >= size)):
            known = f" (0..{size - 1})" if size is not None else ""
            skipped.append((file, f"token ids outside the vocabulary{known}"))
            return
    names.extend(batch_names)
    rows.extend(np.asarray(batch, dtype=dtype))


def _fits(shape, expected) -> bool:
    return len(shape) == len(expected) and all(e is None or s == e
                                               for s, e in zip(shape, expected))


def _shape_text(shape) -> str:
    """(64,), (20, 2), (N, T, 2): a free length reads T."""
    dims = ["T" if d is None else str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _batches(rows):
    """[(indices, stacked rows)]: rows of one shape together (a free-length model's inputs
    differ in length; text rows were padded to their own length)."""
    groups = {}
    for i, row in enumerate(rows):
        groups.setdefault(row.shape, []).append(i)
    return [(index, np.stack([rows[i] for i in index])) for index in groups.values()]


def _files_under(folder, suffixes) -> list[str]:
    """Files under `folder` ending in `suffixes`, recursively, sorted; hidden ones skipped."""
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(os.path.join(directory, name) for name in names
                     if not name.startswith(".") and name.lower().endswith(suffixes))
    return sorted(found)
