"""Flip test-time augmentation on the fine-tuning targets: does `--tta flip` earn a flag?

For each target (benchmarks.transfer's digits and shapes folders: train N per class drawn by
seed, the fixed 45-per-class `test/` folder), `zoo finetune --data train/ --out RUN` runs
in-process with the CLI defaults; the saved model is opened as `zoo predict` opens it (safe
mode, `zoo.inference.runs.open_run`, pixels scaled to the range the run recorded) and the test
folder is scored three ways:

- plain:  argmax p(x);
- mirror: argmax p(flip(x)) (how far the model is from mirror invariance);
- tta:    argmax (p(x) + p(flip(x))) / 2, flip = left-right (the image's width axis).

Reported per arm: accuracy and mean negative log-likelihood of the true class, and, per run,
the paired difference tta - plain. `zoo finetune`'s default augmentation (translate, zoom) has
no flip, so a model never saw a mirrored digit: flip TTA may well hurt where classes are not
mirror symmetric.

    python -m benchmarks.tta --out benchmarks/results/tta.md            # 30 and 10 per class
    python -m benchmarks.tta --sizes 30 --seeds 0 --targets shapes      # one point
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from benchmarks.transfer import TARGETS, _cli, make_target, read_folder  # noqa: E402

ARMS = ("plain", "mirror", "tta")


def flip_scores(run_folder, folder, batch_size=256):
    """{arm: (accuracy, mean NLL)} of the run's model on the labelled image `folder`, and how
    many top-1 answers TTA changes."""
    from zoo.inference.runs import open_run

    run = open_run(run_folder)  # safe mode, with the run's recorded pixel range
    height, width, _ = run.input_shape
    x, y = read_folder(folder, (height, width))  # [0, 255], 3 channels
    classes = sorted(p.name for p in Path(folder).iterdir() if p.is_dir())
    # the folder's class order -> the run's
    y = np.array([run.class_names.index(classes[i]) for i in y])
    low, high = run.value_range
    x = low + x * ((high - low) / 255.0)
    p = run.model.predict(x, batch_size=batch_size, verbose=0)
    p_mirror = run.model.predict(x[:, :, ::-1, :], batch_size=batch_size, verbose=0)
    probabilities = {"plain": p, "mirror": p_mirror, "tta": (p + p_mirror) / 2.0}
    scores = {}
    for arm, q in probabilities.items():
        q = np.asarray(q, dtype=np.float64)
        if not np.allclose(q.sum(axis=-1), 1.0, atol=1e-3):
            raise ValueError(f"{run_folder}: the model's outputs are not probabilities")
        nll = -np.log(np.clip(q[np.arange(len(y)), y], 1e-12, 1.0))
        scores[arm] = (float(np.mean(np.argmax(q, -1) == y)), float(np.mean(nll)))
    changed = int(np.sum(np.argmax(probabilities["tta"], -1) != np.argmax(p, -1)))
    return scores, changed, len(y)


def summarise(records):
    groups = {}
    for r in records:
        groups.setdefault((r["target"], r["per_class"]), []).append(r)

    def stat(values):
        mean = statistics.mean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{mean:.3f} +- {std:.3f}"

    lines = ["| target | per class | seeds | plain acc | mirror acc | flip TTA acc | "
             "TTA - plain (per seed) | plain NLL | TTA NLL | answers changed |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (target, per_class), rs in groups.items():
        diffs = [r["tta"]["accuracy"] - r["plain"]["accuracy"] for r in rs]
        lines.append(
            f"| {target} | {per_class} | {len(rs)} | "
            + " | ".join(stat([r[a]["accuracy"] for r in rs]) for a in ARMS)
            + f" | {statistics.mean(diffs):+.3f} ({', '.join(f'{d:+.3f}' for d in diffs)}) | "
            + f"{stat([r['plain']['nll'] for r in rs])} | {stat([r['tta']['nll'] for r in rs])}"
            + f" | {sum(r['changed'] for r in rs)} / {sum(r['images'] for r in rs)} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[30, 10])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--work", default="/tmp/zoo-tta-benchmark")
    parser.add_argument("--out", help="write the table here (.md) and the records (.json)")
    parser.add_argument("--rescore", action="store_true",
                        help="score the runs already in --work instead of fine-tuning again")
    parser.add_argument("--merge", action="store_true",
                        help="keep --out's records of other targets/sizes/seeds (a partial "
                             "run adds rows instead of replacing the table)")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.tta " + " ".join(sys.argv[1:] if argv is None else argv)

    records = []
    for per_class in args.sizes:
        for target in args.targets:
            for seed in args.seeds:
                root = Path(args.work) / f"{target}-{per_class}-{seed}"
                run = root / "finetune"
                seconds = 0.0
                if not (args.rescore and (run / "model.keras").is_file()):
                    make_target(target, root, per_class, seed)
                    seconds = _cli(["finetune", "--data", str(root / "train"), "--out",
                                    str(run), "--overwrite", "--seed", str(seed)],
                                   root / "finetune.log")
                scores, changed, n = flip_scores(run, root / "test")
                record = {"target": target, "per_class": per_class, "seed": seed,
                          "command": command, "images": n, "changed": changed,
                          "finetune_seconds": seconds,
                          **{a: {"accuracy": acc, "nll": nll} for a, (acc, nll) in
                             scores.items()}}
                records.append(record)
                print(f"{target:7s} {per_class:3d}/class seed {seed}  "
                      + "  ".join(f"{a} {scores[a][0]:.3f} (nll {scores[a][1]:.3f})"
                                  for a in ARMS)
                      + f"  changed {changed}/{n}  finetune {seconds:.0f} s", flush=True)
    if args.merge and args.out and Path(args.out).with_suffix(".json").is_file():
        key = lambda r: (r["target"], r["per_class"], r["seed"])  # noqa: E731
        fresh = {key(r) for r in records}
        previous = json.loads(Path(args.out).with_suffix(".json").read_text())
        records = [r for r in previous if key(r) not in fresh] + records
        records.sort(key=lambda r: (r["per_class"], TARGETS.index(r["target"]), r["seed"]))
    commands = list(dict.fromkeys([*(r.get("command") for r in records if r.get("command")),
                                   command]))
    table = summarise(records)
    import keras
    import tensorflow as tf

    text = ("Made by:\n\n" + "".join(f"    {c}\n" for c in commands) + "\n"
            f"`zoo finetune` CLI defaults (seed = the train draw's seed), scored on the fixed "
            f"`test/` folders of benchmarks.transfer; {os.cpu_count()} CPU cores; keras "
            f"{keras.__version__}, tensorflow {tf.__version__}; {time.strftime('%Y-%m-%d')}.\n\n"
            + table)
    print(text)
    if args.out:
        out = Path(args.out)
        if out.is_file():  # keep the notes written under the table
            previous = out.read_text()
            notes = previous.find("\n## ")
            if notes >= 0:
                text += previous[notes:]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps(records, indent=1) + "\n")
    return records


if __name__ == "__main__":
    main()
