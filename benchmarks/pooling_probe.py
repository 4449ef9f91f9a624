"""Which pooling of the frozen backbone's features should the fine-tuning head read? A linear
probe (logistic regression) on each, trained on the first 6 or all 10 images per class of the
benchmark's 10-per-class train folders (`zoo finetune`'s split leaves 6 of 10 for training),
scored on the fixed test folder; 3 seeds.

    python -m benchmarks.pooling_probe --target digits
    python -m benchmarks.pooling_probe --target shapes
    python -m benchmarks.pooling_probe --target digits --eval dev --size 48     # input size
    python -m benchmarks.pooling_probe --target digits --eval dev --inner 24    # shrink + pad

Features (zoo_mobilenet_synthetic at 32x32): "gap" the global average of the last map (4x4x256),
"grid" the means of its 2x2 grid cells (zoo.layers.GridPooling2D, 1024 values), and the same
two for the stage before the network's 1x1 head convolution (4x4x96): "stage4 gap", "stage4 grid",
and "gap + stage4 grid" (both, concatenated). `--size S` feeds the images at SxS instead
(the backbone was pretrained at 32); `--inner N` resizes them to NxN and pads them (edge
values) back to 32x32, which makes the object smaller in the frame. `--eval dev` scores on the
dev folder (for choosing), `test` (default) on the test folder.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    import keras
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    import zoo
    from benchmarks.transfer import TARGETS, make_target
    from zoo.layers import GridPooling2D

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="digits", choices=TARGETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--work", default="/tmp/zoo-pooling-probe")
    parser.add_argument("--eval", default="test", choices=("test", "dev"))
    parser.add_argument("--size", type=int, default=32, help="input size (>= 32)")
    parser.add_argument("--inner", type=int, help="resize to this, then pad to 32")
    parser.add_argument("--weights", default="default",
                        help="zoo_mobilenet_synthetic's network with these weights (a .h5 "
                             "file, e.g. another corpus' pretraining; default: the shipped)")
    args = parser.parse_args(argv)
    if args.inner is not None and (args.size != 32 or not 1 <= args.inner <= 32):
        parser.error("--inner N takes 1 <= N <= 32 and the default --size 32")
    size = args.size

    net = zoo.backbone("zoo_mobilenet_synthetic", input_shape=(size, size, 3),
                       input_range=(0, 255), weights=args.weights)
    weights = net.get_weights()  # a fresh graph: layer.output of the shared layers is ambiguous
    net = keras.models.clone_model(net)
    net.set_weights(weights)
    last, stage4 = (net.get_layer(n).output for n in ("head_relu6", "stack4_block2_add"))
    taps = {"gap": keras.layers.GlobalAveragePooling2D()(last), "grid": GridPooling2D()(last),
            "stage4 gap": keras.layers.GlobalAveragePooling2D()(stage4),
            "stage4 grid": GridPooling2D()(stage4),
            "gap + stage4 grid": keras.layers.Concatenate()(
                [keras.layers.GlobalAveragePooling2D()(last), GridPooling2D()(stage4)])}
    features = keras.Model(net.inputs, list(taps.values()))
    scores = {}
    for seed in args.seeds:
        root = Path(args.work) / f"{args.target}-10-{seed}"
        make_target(args.target, root, 10, seed)
        x, y = _read(root / "train", size, args.inner)
        xt, yt = _read(root / args.eval, size, args.inner)
        train, test = features.predict(x, verbose=0), features.predict(xt, verbose=0)
        for name, f, ft in zip(taps, train, test):
            for n in (6, 10):
                keep = np.concatenate([np.flatnonzero(y == c)[:n] for c in np.unique(y)])
                scaler = StandardScaler().fit(f[keep])
                probe = LogisticRegression(max_iter=3000).fit(scaler.transform(f[keep]), y[keep])
                scores.setdefault((name, n), []).append(probe.score(scaler.transform(ft), yt))
    shown = f"{size}x{size}" + (f", objects shrunk to {args.inner} and padded" if args.inner
                                 else "")
    print(f"{args.target}, {args.eval} accuracy at {shown}, mean +- std over seeds {args.seeds}")
    print("| features | 6 per class | 10 per class |\n|---|---|---|")
    for name in taps:
        cells = [f"{np.mean(scores[name, n]):.3f} +- {np.std(scores[name, n]):.3f}"
                 for n in (6, 10)]
        print(f"| {name} | {cells[0]} | {cells[1]} |")


def _read(folder, size, inner):
    import numpy as np

    from benchmarks.transfer import read_folder

    if inner is None:
        return read_folder(folder, (size, size))
    x, y = read_folder(folder, (inner, inner))
    before = (size - inner) // 2
    pad = ((0, 0), (before, size - inner - before), (before, size - inner - before), (0, 0))
    return np.pad(x, pad, mode="edge"), y


if __name__ == "__main__":
    main()
