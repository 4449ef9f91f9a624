"""`zoo evaluate RUN --data DIR`: a run scored on a labelled image folder (a sub-folder per
class, named as the run's classes): accuracy, per-class precision, recall, F1 and support,
the confusion matrix (PNG), calibration (expected calibration error over 15 equal-width
confidence bins, and a reliability plot), all in `evaluation.json`. Files are written only
after every number is computed, each atomically. Needs TensorFlow (image decoding).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from zoo.inference.predict import decode
from zoo.inference.runs import open_run

BINS = 15


@dataclasses.dataclass
class Evaluation:
    accuracy: float
    per_class: dict            # name -> {"precision", "recall", "f1", "support"}
    confusion: np.ndarray      # [true, predicted]
    ece: float
    reliability: list          # per bin: {"low", "high", "count", "confidence", "accuracy"}
    skipped: list
    files: dict                # what was written

    def summary(self) -> str:
        return (f"zoo evaluate: accuracy {self.accuracy:.4f} on {int(self.confusion.sum())} "
                f"images; expected calibration error {self.ece:.4f}; "
                + (f"{len(self.skipped)} unreadable skipped; " if self.skipped else "")
                + f"wrote {', '.join(str(p) for p in self.files.values())}")


def per_class_report(y, predicted, names):
    """{name: precision, recall, f1, support} as scikit-learn's classification_report counts
    them (0 where a denominator is 0)."""
    report = {}
    for c, name in enumerate(names):
        tp = int(np.sum((predicted == c) & (y == c)))
        fp = int(np.sum((predicted == c) & (y != c)))
        fn = int(np.sum((predicted != c) & (y == c)))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[name] = {"precision": precision, "recall": recall, "f1": f1,
                        "support": int(np.sum(y == c))}
    return report


def calibration(confidence, correct, bins=BINS):
    """(ECE, per-bin records): ECE = sum_b |B_b|/n * |acc(B_b) - conf(B_b)| (Guo et al., 2017)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece, records = 0.0, []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        conf = float(confidence[inside].mean()) if count else 0.0
        acc = float(correct[inside].mean()) if count else 0.0
        ece += count / max(len(confidence), 1) * abs(acc - conf)
        records.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": count,
                        "confidence": conf, "accuracy": acc})
    return float(ece), records


def evaluate(run, data, *, out=None, batch_size: int = 32) -> Evaluation:
    """Score `run` (a run folder or a `.keras` file) on image folder `data`; write
    evaluation.json, confusion_matrix.png and reliability.png to `out` (default:
    RUN/evaluation/ for a run folder; a `.keras` file needs `out`)."""
    from zoo.data.folders import list_images

    run = open_run(run)
    root = Path(data)
    if not root.is_dir():
        raise FileNotFoundError(f"zoo evaluate: --data must be an image folder (a sub-folder "
                                f"per class); no folder at {str(root)!r}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [c for c in classes if c not in run.class_names]
    if not classes or unknown:
        raise ValueError(f"zoo evaluate: the class folders of {str(root)!r} must be named as the "
                         f"run's classes {run.class_names}; unknown: {unknown or 'no folders'}")
    files, labels = [], []
    for name in classes:
        found = list_images(root / name)
        files += found
        labels += [run.class_names.index(name)] * len(found)
    if not files:
        raise ValueError(f"zoo evaluate: no images under {str(root)!r}")
    if out is None:
        if not run.path.is_dir():
            raise ValueError("zoo evaluate: give out= (--out) when evaluating a .keras file")
        out = run.path / "evaluation"
    out = Path(out)
    images, kept, skipped = decode(files, run)
    if not kept:
        raise ValueError(f"zoo evaluate: none of the {len(files)} images could be read")
    y = np.array([labels[files.index(f)] for f in kept])
    probabilities = run.model.predict(np.stack(images), batch_size=batch_size, verbose=0)
    predicted = np.argmax(probabilities, axis=-1)
    k = len(run.class_names)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (y, predicted), 1)
    report = per_class_report(y, predicted, run.class_names)
    ece, bins = calibration(probabilities.max(axis=-1), predicted == y)
    result = Evaluation(float(np.mean(predicted == y)), report, confusion, ece, bins, skipped,
                        {})
    _write(result, run, root, out)
    return result


def _write(result, run, root, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.export.saving import write_text
    from zoo.train.plots import save_figure
    from zoo.transfer.finetune import plot_confusion

    files = {"confusion_matrix": out / "confusion_matrix.png",
             "reliability": out / "reliability.png", "json": out / "evaluation.json"}
    plot_confusion(result.confusion, run.class_names, files["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(4, 4))
    used = [b for b in result.reliability if b["count"]]
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    ax.bar([(b["low"] + b["high"]) / 2 for b in used], [b["accuracy"] for b in used],
           width=1.0 / BINS, alpha=0.7, edgecolor="black", label="accuracy per bin")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"ECE {result.ece:.3f}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    save_figure(fig, files["reliability"])
    record = {"run": str(run.path), "data": str(root), "images": int(result.confusion.sum()),
              "accuracy": result.accuracy, "per_class": result.per_class,
              "confusion_matrix": result.confusion.tolist(), "class_names": run.class_names,
              "expected_calibration_error": result.ece, "calibration_bins": result.reliability,
              "skipped": [f for f, _ in result.skipped]}
    write_text(files["json"], json.dumps(record, indent=1) + "\n")
    result.files = files
