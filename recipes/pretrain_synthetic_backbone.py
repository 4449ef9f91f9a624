"""Pretrain zoo's offline MobileNet-style backbone on rendered letters and IFS fractals, and
ship its weights under saved_models/ (updates MANIFEST.sha256 and the .pretrain.json record).

    python recipes/pretrain_synthetic_backbone.py          # about 40 min on 2 CPU cores
    python recipes/pretrain_synthetic_backbone.py --name zoo_mobilenet_glyphs   # wider corpus

Source task: `zoo.transfer.source_task.glyphs_and_fractals`, 100 classes = 52 Latin letters
drawn from the 21 fonts matplotlib ships (warped, thickened or thinned) + 48 iterated-function-
system fractal categories (FractalDB-style). No natural images, no digits. The images are
generated on the fly: every round of training sees new images (seed = --seed + round), made in
a second process while the network trains on the previous round. A fixed held-out set
(seed 10**6) gives the source accuracy. `--name zoo_mobilenet_glyphs` pretrains the same network
on a wider corpus: 112 glyphs (the Latin letters, Greek and Cyrillic letters unlike any Latin one,
typeset symbols; still no digits), half of them elastically distorted, + the 48 fractals.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HELD_OUT_SEED = 10**6


def corpus(name, elastic=None):
    """glyphs_and_fractals' arguments for backbone `name` (its ZOO_PRETRAINED "corpus"; a
    given `elastic` share replaces the entry's)."""
    from zoo.models import backbone_weights
    from zoo.transfer import source_task

    spec = dict(backbone_weights.ZOO_PRETRAINED[name].get("corpus", {}))
    wide = spec.pop("characters", "latin") == "wide"
    if elastic is not None:
        spec["elastic"] = elastic
    return {"characters": source_task.GLYPH_CHARACTERS_WIDE if wide
            else source_task.GLYPH_CHARACTERS, **spec}


def make_round(n, seed, name, elastic=None):
    from zoo.transfer.source_task import glyphs_and_fractals

    return glyphs_and_fractals(n=n, seed=seed, **corpus(name, elastic))


class Progress:
    """One line over the whole run: bar, step, loss, accuracy, elapsed and ETA."""

    def __init__(self, total_steps):
        import keras

        parent = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                parent.step += 1
                if parent.step % 20 == 0 or parent.step == parent.total:
                    parent.show(logs or {})

        self.total, self.step, self.start = total_steps, 0, time.time()
        self.callback = Callback()

    def show(self, logs):
        done = self.step / self.total
        elapsed = time.time() - self.start
        eta = elapsed / max(done, 1e-9) * (1 - done)
        bar = "#" * int(30 * done) + "." * (30 - int(30 * done))
        sys.stdout.write(f"\r[{bar}] {self.step}/{self.total} loss {logs.get('loss', 0):.3f} "
                         f"acc {logs.get('accuracy', 0):.3f} {elapsed / 60:.1f} min, "
                         f"ETA {eta / 60:.1f} min ")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="zoo_mobilenet_synthetic",
                        choices=("zoo_mobilenet_synthetic", "zoo_mobilenet_glyphs"),
                        help="which backbone (its corpus: ZOO_PRETRAINED[name]['corpus'])")
    parser.add_argument("--elastic", type=float,
                        help="share of glyphs elastically distorted (default: the backbone's "
                             "corpus; an experiment: give --out too, the record says it)")
    parser.add_argument("--rounds", type=int, default=18, help="rounds of fresh images")
    parser.add_argument("--round-size", type=int, default=20480, help="images per round")
    parser.add_argument("--held-out", type=int, default=4000, help="source test images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3, help="peak (cosine)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder (default: saved_models/)")
    args = parser.parse_args()
    if args.elastic is not None and args.out is None:
        parser.error("--elastic is an experiment: give --out DIR, so the shipped weights stay")

    import keras

    import zoo
    from zoo.models import backbone_weights
    from zoo.transfer.source_task import glyphs_and_fractals_class_names

    keras.utils.set_random_seed(args.seed)
    entry = backbone_weights.ZOO_PRETRAINED[args.name]
    out = backbone_weights.SAVED_MODELS if args.out is None else Path(args.out)
    classes = glyphs_and_fractals_class_names(corpus(args.name)["characters"])
    xt, yt = make_round(args.held_out, HELD_OUT_SEED, args.name, args.elastic)

    backbone = zoo.build(entry["builder"], **entry["kwargs"], name=args.name)
    inputs = keras.Input(entry["kwargs"]["input_shape"])
    features = backbone(inputs)
    outputs = keras.layers.Dense(len(classes), activation="softmax",
                                 name="predictions")(keras.layers.Dropout(0.1)(features))
    model = keras.Model(inputs, outputs)
    steps_per_round = -(-args.round_size // args.batch_size)
    steps = args.rounds * steps_per_round
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, warmup_target=args.learning_rate, warmup_steps=steps // 20)
    zoo.train.compile_model(model, optimizer=keras.optimizers.Adam(schedule))
    print(f"{args.name}: {backbone.count_params():,} parameters; {len(classes)} classes; "
          f"{args.rounds} rounds x {args.round_size} fresh images = {steps} steps")

    start = time.time()
    progress = Progress(steps)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pending = pool.apply_async(make_round, (args.round_size, args.seed, args.name,
                                                 args.elastic))
        for r in range(args.rounds):
            x, y = pending.get()
            if r + 1 < args.rounds:
                pending = pool.apply_async(make_round, (args.round_size, args.seed + r + 1,
                                                         args.name, args.elastic))
            model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0,
                      callbacks=[progress.callback])
    minutes = (time.time() - start) / 60
    test = model.evaluate(xt, yt, verbose=0, return_dict=True)
    print(f"\nsource held-out accuracy: {test['accuracy']:.4f} ({len(xt)} images, "
          f"{len(classes)} classes); {minutes:.1f} min")

    result = backbone_weights.ship(backbone, args.name, {
        "name": args.name, "source_task": entry["source_task"] + (
            "" if args.elastic is None else f"; elastic share {args.elastic} (--elastic)"),
        "source_test_accuracy": round(test["accuracy"], 4), "classes": len(classes),
        "rounds": args.rounds, "round_size": args.round_size,
        "train_images_seen": args.rounds * args.round_size, "test_images": len(xt),
        "steps": steps, "batch_size": args.batch_size,
        "peak_learning_rate": args.learning_rate, "seed": args.seed,
        "minutes": round(minutes, 1)}, folder=out)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
