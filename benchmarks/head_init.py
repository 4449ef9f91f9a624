"""Classifier-head initialisation: zeros vs Glorot, measured across the families.

Each model is built at its defaults, the kernel of its "predictions" layer set by the rule,
then trained with plain Keras (Adam 1e-3, batch 64) on two datasets for a short budget; test
accuracy per seed. The rule zoo's heads use (zoo.layers.heads) comes from this table.

    python -m benchmarks.head_init [--epochs 6] [--seeds 0 1 2] [--out benchmarks/results/head_init.md]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (model, build overrides per dataset); image models on digits resized to 32x32 RGB
CASES = {
    "cnn": {"digits": {}, "shapes": {"input_shape": (32, 32, 3), "num_classes": 4}},
    "resnet_small": {"digits": {}, "shapes": {"input_shape": (32, 32, 3), "num_classes": 4}},
    "squeezenet": {"digits": {"input_shape": (32, 32, 3), "num_classes": 10}, "shapes": {}},
    "vit": {"digits": {"input_shape": (32, 32, 3), "num_classes": 10}, "shapes": {}},
    "mlp": {"digits": {}, "shapes": {"input_shape": (32, 32, 3), "num_classes": 4}},
    "transformer_classifier": {"text:modules": {}},
    "gru_classifier": {"text:modules": {}},
}
RULES = ("zeros", "glorot_uniform")


def _data(name, input_shape):
    import numpy as np

    import zoo.data

    splits = zoo.data.load(name, seed=0, as_numpy=True)
    (x, y), (xt, yt) = splits.train, splits.test
    if name == "digits" and len(input_shape) == 3:  # 8x8 grey -> H x W x C in [0, 1]
        import tensorflow as tf

        def resize(a):
            a = tf.image.resize(a[..., None].astype("float32"), input_shape[:2]).numpy()
            return np.repeat(a, input_shape[2], axis=-1)
        x, xt = resize(x), resize(xt)
    return x, y, xt, yt


def run_case(model_name, dataset, overrides, rule, seed, epochs):
    import keras
    import numpy as np

    from zoo import registry

    keras.utils.set_random_seed(seed)
    model = registry.build(model_name, **overrides)
    # the classifier's weights: "predictions" itself, or the last layer with a kernel before it
    # (SqueezeNet's head is a 1x1 convolution and "predictions" its softmax)
    head = [layer for layer in model._flatten_layers(include_self=False)
            if hasattr(layer, "kernel")][-1]
    init = keras.initializers.get(rule)
    head.kernel.assign(init(head.kernel.shape))
    x, y, xt, yt = _data(dataset, model.input_shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    accuracy = model.evaluate(xt, yt, verbose=0, return_dict=True)["accuracy"]
    return float(accuracy), time.perf_counter() - start, float(np.mean(y == np.bincount(y).argmax()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=list(CASES))
    parser.add_argument("--out", default=None, help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    rows = ["| model | dataset | " + " | ".join(f"{r} (mean, min..max)" for r in RULES) + " |",
            "|---|---|" + "---|" * len(RULES)]
    print(rows[0], rows[1], sep="\n", flush=True)
    for model_name in args.models:
        for dataset, overrides in CASES[model_name].items():
            cells = []
            for rule in RULES:
                accs = [run_case(model_name, dataset, overrides, rule, s, args.epochs)[0]
                        for s in args.seeds]
                cells.append(f"{sum(accs) / len(accs):.3f} ({min(accs):.3f}..{max(accs):.3f})")
            rows.append(f"| {model_name} | {dataset} | " + " | ".join(cells) + " |")
            print(rows[-1], flush=True)
    if args.out:
        command = "python -m benchmarks.head_init " + " ".join(
            f"--{k} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in (("epochs", args.epochs), ("seeds", args.seeds)))
        text = (f"# Classifier-head initialisation\n\n`{command}`: test accuracy after "
                f"{args.epochs} epochs of plain Keras fit (Adam 1e-3, batch 64), "
                f"{len(args.seeds)} seeds.\n\n" + "\n".join(rows) + "\n")
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
