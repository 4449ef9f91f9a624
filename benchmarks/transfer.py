"""Transfer learning against training from scratch, as a user runs them: the table that decides
`zoo finetune`'s defaults.

Each target is written as image folders, as a user's would be: `train/` with N images per class
(N = 10, 30, 100), drawn per seed from a pool; `dev/` (for choosing defaults) and `test/` (for
the table, never used to choose anything) are fixed and disjoint from every train folder.
Arms, each at the same epoch budget (`zoo finetune`'s default phase 1 + phase 2 epochs) and
with its own defaults:

- finetune: `zoo finetune --data train/ --out OUT` (plus `--finetune-args`, for sweeps);
- scratch:  `zoo train MODEL --data train/ --epochs BUDGET --out OUT` (MODEL: `--scratch`);
- probe:    a linear probe (scikit-learn's logistic regression) on the frozen, pooled
            features of a backbone (`--probe-backbones`; "random" = the synthetic backbone's
            architecture with random weights).

The CLI runs in-process through `zoo.cli.main`, with its own defaults; each saved model is then
loaded the way a user loads it (`keras.saving.load_model` after `import zoo`) and scored on the
held-out folder. Targets:

- digits: scikit-learn's 1,797 real handwritten digits (8x8, upsampled to 48x48 greyscale
  PNG); test 45 and dev 25 per class, the train folders drawn from the rest.
- shapes: zoo's procedurally drawn shapes, all 7 classes (circle ... star), 48x48 RGB PNG,
  noise 0.1. Fair to both arms: neither backbone's pretraining corpus of the synthetic one
  holds shapes (letters and fractals), and scratch models see the same images.

    python -m benchmarks.transfer                                   # the full table
    python -m benchmarks.transfer --sizes 10 --seeds 0 --eval dev \\
        --finetune-args="--learning-rate 0.01" --tag lr0.01          # one sweep point
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TEST_PER_CLASS, DEV_PER_CLASS = 45, 25
TARGETS = ("digits", "shapes")


# ---- targets as folders -------------------------------------------------------------------

def _pool(target):
    """(images uint8 (N, 48, 48[, 3]), labels, class names) of the whole target."""
    from zoo.data.images import SHAPE_NAMES, resize_bilinear

    if target == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x = resize_bilinear(bunch.images.astype(np.float32) / 16.0, (48, 48))
        return (np.clip(x, 0, 1) * 255).round().astype(np.uint8), bunch.target, \
            [str(d) for d in range(10)]
    if target == "shapes":
        import zoo.data

        per_class = 100 + TEST_PER_CLASS + DEV_PER_CLASS
        splits = zoo.data.shapes(n=per_class * len(SHAPE_NAMES) * 2, image_size=48,
                                 classes=SHAPE_NAMES, noise=0.1, as_numpy=True, seed=123)
        x = np.concatenate([s[0] for s in (splits.train, splits.validation, splits.test)])
        y = np.concatenate([s[1] for s in (splits.train, splits.validation, splits.test)])
        return (x * 255).round().astype(np.uint8), y, list(SHAPE_NAMES)
    raise ValueError(f"benchmarks.transfer: unknown target {target!r}; known {TARGETS}")


def _write(folder, images, labels, names, ids):
    from PIL import Image

    for image, label, i in zip(images, labels, ids):
        path = folder / names[label] / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)


def make_target(target, root, per_class, seed):
    """root/{train,dev,test}/<class>/*.png; dev and test fixed, train drawn by `seed`."""
    x, y, names = _pool(target)
    fixed = np.random.default_rng(2026)  # the held-out images: the same for every run
    test, dev, rest = [], [], {}
    for c in range(len(names)):
        idx = fixed.permutation(np.flatnonzero(y == c))
        test += list(idx[:TEST_PER_CLASS])
        dev += list(idx[TEST_PER_CLASS:TEST_PER_CLASS + DEV_PER_CLASS])
        rest[c] = idx[TEST_PER_CLASS + DEV_PER_CLASS:]
    draw = np.random.default_rng(seed)
    train = []
    for c, idx in rest.items():
        if len(idx) < per_class:
            raise ValueError(f"{target}: class {names[c]} has {len(idx)} images left for "
                             f"training, fewer than {per_class}")
        train += list(draw.permutation(idx)[:per_class])
    for split, ids in (("train", train), ("dev", dev), ("test", test)):
        folder = root / split
        if folder.exists():
            shutil.rmtree(folder)
        _write(folder, x[ids], y[ids], names, ids)
    return names


def read_folder(folder, size):
    """All images of `folder` (class sub-folders), decoded and resized as zoo's folder loader
    does: float32 in [0, 255], bilinear to `size`, 3 channels."""
    from zoo.data.folders import list_images
    from zoo.data.pipeline import image_files_dataset

    classes = sorted(p.name for p in Path(folder).iterdir() if p.is_dir())
    files, labels = [], []
    for c, name in enumerate(classes):
        found = list_images(Path(folder) / name)
        files += found
        labels += [c] * len(found)
    dataset = image_files_dataset(files, labels, image_size=size, channels=3, rescale=False,
                                  batch_size=256, shuffle=False, seed=0)
    xs, ys = zip(*[(a.numpy(), b.numpy()) for a, b in dataset])
    return np.concatenate(xs), np.concatenate(ys)


# ---- arms ---------------------------------------------------------------------------------

def finetune_budget(extra=()):
    """Total epochs (phase 1 + phase 2) `zoo finetune` runs with these flags."""
    from zoo.cli import build_parser

    args = build_parser().parse_args(["finetune", "--data", ".", "--out", ".", *extra])
    return int(args.epochs) + int(args.finetune_epochs)


def _cli(argv, log):
    import keras

    from zoo.cli import main

    keras.backend.clear_session()
    start = time.time()
    with open(log, "w") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        rc = main(argv)
    if rc != 0:
        raise RuntimeError(f"zoo {' '.join(argv)} exited {rc}; see {log}")
    return time.time() - start


def score(model_file, folder):
    """Accuracy of a run's model on `folder`, its pixels in the range the run recorded
    (`zoo train`: metrics.json's input value_range; `zoo finetune`: [0, 255], preprocessing
    inside the model)."""
    import keras

    import zoo  # noqa: F401  (registers zoo's layers, as a user's `import zoo` does)

    model = keras.saving.load_model(model_file)
    size = tuple(model.inputs[0].shape[1:3])
    x, y = read_folder(folder, size)
    from zoo.inference.runs import recorded_input

    low, high = recorded_input(Path(model_file).parent).get("value_range") or (0.0, 255.0)
    x = low + x * ((high - low) / 255.0)
    predicted = np.argmax(model.predict(x, verbose=0, batch_size=256), axis=-1)
    return float(np.mean(predicted == y))


def arm_finetune(root, work, extra, eval_split):
    out = work / "finetune"
    seconds = _cli(["finetune", "--data", str(root / "train"), "--out", str(out), "--overwrite",
                    *extra], work / "finetune.log")
    return score(out / "model.keras", root / eval_split), seconds


def arm_scratch(root, work, model, epochs, eval_split, image_size=None):
    out = work / f"scratch_{model}"
    size = ["--image-size", str(image_size)] if image_size else []
    seconds = _cli(["train", model, "--data", str(root / "train"), "--out", str(out),
                    "--epochs", str(epochs), "--overwrite", "--no-tensorboard", *size],
                   work / f"scratch_{model}.log")
    return score(out / "model.keras", root / eval_split), seconds


def arm_probe(root, backbone, eval_split):
    """Logistic regression on frozen pooled features; backbone "random": the synthetic
    backbone's architecture with random weights."""
    import keras
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    import zoo

    keras.backend.clear_session()
    start = time.time()
    name, weights = (("zoo_mobilenet_synthetic", None) if backbone == "random"
                     else (backbone, "default"))
    net = zoo.backbone(name, weights=weights, input_shape=(32, 32, 3), input_range=(0, 255))
    x, y = read_folder(root / "train", (32, 32))
    xe, ye = read_folder(root / eval_split, (32, 32))
    scaler = StandardScaler().fit(net.predict(x, verbose=0))
    features, held_out = (scaler.transform(net.predict(a, verbose=0)) for a in (x, xe))
    probe = LogisticRegression(max_iter=3000, C=1.0).fit(features, y)
    return float(probe.score(held_out, ye)), time.time() - start


# ---- table --------------------------------------------------------------------------------

def summarise(records):
    groups = {}
    for r in records:
        groups.setdefault((r["target"], r["per_class"], r["arm"]), []).append(r)
    rows = []
    for (target, per_class, arm), rs in groups.items():
        accs = [r["accuracy"] for r in rs]
        rows.append({"target": target, "per_class": per_class, "arm": arm,
                     "mean": statistics.mean(accs),
                     "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                     "min": min(accs), "max": max(accs), "seeds": len(accs),
                     "seconds": statistics.mean(r["seconds"] for r in rs)})
    return rows


def markdown(rows, commands, meta):
    lines = ["Made by:", "", *[f"    {c}" for c in commands], "", meta, "",
             "| target | per class | arm | accuracy (mean +- std) | min - max | seeds | "
             "wall s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['target']} | {r['per_class']} | {r['arm']} | {r['mean']:.3f} +- "
                     f"{r['std']:.3f} | {r['min']:.3f} - {r['max']:.3f} | {r['seeds']} | "
                     f"{r['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 30, 100])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--arms", nargs="+", default=["finetune", "scratch", "probe"],
                        choices=("finetune", "scratch", "probe"))
    parser.add_argument("--finetune-args", default="", help="extra `zoo finetune` flags")
    parser.add_argument("--scratch", nargs="+", default=["cnn", "resnet_small"],
                        help="zoo train models for the scratch arm (each is a row); the two "
                             "best of zoo's CNNs on dev at 30/class: cnn 0.892 / 0.166, "
                             "resnet_small 0.912 / 0.143, separable_cnn 0.864 / 0.171, "
                             "squeezenet 0.220 (digits / shapes)")
    parser.add_argument("--scratch-image-size", type=int, default=32,
                        help="zoo train --image-size for the scratch arm (0: zoo train's "
                             "default, 160): 32 is the fine-tuned backbone's input, and "
                             "scratch cnn did better there (digits 30/class dev: 0.848 vs "
                             "0.820 at 160, both before folders were rescaled) in 1/10 the time")
    parser.add_argument("--probe-backbones", nargs="+", default=["zoo_mobilenet_synthetic"])
    parser.add_argument("--eval", default="test", choices=("test", "dev"),
                        help="score on the test folder (the table) or dev (choosing defaults)")
    parser.add_argument("--tag", default="", help="label of the finetune arm in the table")
    parser.add_argument("--work", default="/tmp/zoo-transfer-benchmark")
    parser.add_argument("--out", help="write the table here (.md) and the records (.json)")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite --out's table from its records")
    parser.add_argument("--merge", action="store_true",
                        help="keep --out's records of other arms/targets/sizes/seeds (a "
                             "partial rerun updates the table instead of replacing it)")
    args = parser.parse_args(argv)

    command = "python -m benchmarks.transfer " + " ".join(
        f'"{a}"' if " " in a else a for a in (sys.argv[1:] if argv is None else argv))
    if args.render:  # the table again from --out's records
        records = json.loads(Path(args.out).with_suffix(".json").read_text())
        return _finish(records, args)
    extra = args.finetune_args.split()
    budget = finetune_budget(extra)
    records = []
    for target in args.targets:
        for per_class in args.sizes:
            for seed in args.seeds:
                root = Path(args.work) / f"{target}-{per_class}-{seed}"
                make_target(target, root, per_class, seed)
                runs = []
                if "finetune" in args.arms:
                    runs.append((f"finetune{(' ' + args.tag) if args.tag else ''}",
                                 lambda: arm_finetune(root, root, extra, args.eval)))
                if "scratch" in args.arms:
                    for model in args.scratch:
                        px = args.scratch_image_size or 160
                        runs.append((f"scratch {model} ({budget} ep, {px} px)",
                                     lambda m=model: arm_scratch(root, root, m, budget,
                                                                 args.eval,
                                                                 args.scratch_image_size)))
                if "probe" in args.arms:
                    for b in args.probe_backbones:
                        runs.append((f"probe {b}", lambda b=b: arm_probe(root, b, args.eval)))
                for arm, run in runs:
                    accuracy, seconds = run()
                    record = {"target": target, "per_class": per_class, "seed": seed,
                              "arm": arm, "accuracy": accuracy, "seconds": seconds,
                              "eval": args.eval, "command": command}
                    records.append(record)
                    print(f"{target:7s} {per_class:4d}/class seed {seed}  {arm:40s} "
                          f"{args.eval} acc {accuracy:.3f}  {seconds:6.1f} s", flush=True)
    if args.merge and args.out and Path(args.out).with_suffix(".json").is_file():
        key = lambda r: (r["target"], r["per_class"], r["seed"], r["arm"])  # noqa: E731
        fresh = {key(r) for r in records}
        previous = json.loads(Path(args.out).with_suffix(".json").read_text())
        records = [r for r in previous if key(r) not in fresh] + records
        order = {arm: i for i, arm in enumerate(dict.fromkeys(r["arm"] for r in records))}
        records.sort(key=lambda r: (TARGETS.index(r["target"]), r["per_class"],
                                    order[r["arm"]], r["seed"]))
    return _finish(records, args)


def verdict(rows):
    """The README's table: per target and size, finetune against the best scratch arm."""
    by = {}
    for r in rows:
        by.setdefault((r["target"], r["per_class"]), {})[r["arm"]] = r
    lines = ["| target | per class | `zoo finetune` (defaults) | best scratch (`zoo train`) | "
             "margin | linear probe (synthetic) | finetune / scratch wall s |",
             "|---|---|---|---|---|---|---|"]
    for (target, per_class), arms in by.items():
        ft = arms.get("finetune")
        scratch = [r for a, r in arms.items() if a.startswith("scratch")]
        if ft is None or not scratch:
            continue
        best = max(scratch, key=lambda r: r["mean"])
        probe = arms.get("probe zoo_mobilenet_synthetic")
        name = best["arm"].split()[1]
        lines.append(
            f"| {target} | {per_class} | {ft['mean']:.3f} +- {ft['std']:.3f} | "
            f"{best['mean']:.3f} +- {best['std']:.3f} ({name}) | "
            f"{ft['mean'] - best['mean']:+.3f} | "
            + (f"{probe['mean']:.3f} +- {probe['std']:.3f}" if probe else "-")
            + f" | {ft['seconds']:.0f} / {best['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def _finish(records, args):
    import keras
    import tensorflow as tf

    rows = summarise(records)
    commands = list(dict.fromkeys(r.get("command", "?") for r in records))
    meta = (f"Scored on the `{args.eval}` folder; {os.cpu_count()} CPU cores; keras "
            f"{keras.__version__}, tensorflow {tf.__version__}; {time.strftime('%Y-%m-%d')}.")
    table = markdown(rows, commands, meta) + "\n" + verdict(rows)
    if args.out and Path(args.out).is_file():  # keep the notes written under the table
        previous = Path(args.out).read_text()
        notes = previous.find("\n## ")
        if notes >= 0:
            table += previous[notes:]
    print(table)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table)
        out.with_suffix(".json").write_text(json.dumps(records, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
