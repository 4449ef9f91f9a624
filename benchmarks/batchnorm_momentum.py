"""Test accuracy by BatchNormalization momentum after a short plain Keras fit.

The measurement behind `zoo._normalization.BN_MOMENTUM` (results/batchnorm_momentum.md):

    python -m benchmarks.batchnorm_momentum [--momenta 0.99 0.9 0.8] [--seeds 0 1]
    python -m benchmarks.batchnorm_momentum --momenta 0.9 --head-init glorot_uniform

The script of the issue that found it, per model and dataset: `zoo.build(name, input_shape=(32,
32, 3), num_classes=...)`, Keras' own `compile(Adam(1e-3), "sparse_categorical_crossentropy")`
and `fit` (8 epochs, batch 64), then the test accuracy. Datasets: scikit-learn's digits resized
to 32x32 RGB (1,400 to train, the other 397 to test, as in the issue) and zoo's `shapes` (2,000
drawn 32x32 shapes: 1,400 train, 300 test). "train-mode" is the test accuracy with batch norm
normalizing by the test batch's own statistics (and dropout on): what the weights can do once
the moving statistics are right, so `test` far below it means stale moving statistics. Models
with a batch-norm switch get it on (`cnn` with `batch_norm=True`). `--head-init` re-initialises
the "predictions" kernel after building: zoo's CNN heads start at zeros, except cnn's (Keras'
default, glorot_uniform).
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODELS = ("resnet", "resnet_small", "cnn", "inception", "separable_cnn", "mobilenet_v1_style")
DATASETS = ("digits", "shapes")
TRAIN_SIZE = 1400


def load(dataset):
    """(x_train, y_train, x_test, y_test, num_classes), images 32x32x3 in [0, 1]."""
    import numpy as np

    import zoo

    if dataset == "digits":
        from sklearn.datasets import load_digits

        from zoo.data.images import resize_bilinear

        bunch = load_digits()
        x = resize_bilinear(bunch.images.astype("float32") / 16.0, (32, 32))
        x = np.repeat(x[..., None], 3, axis=-1)
        y = bunch.target.astype("int32")
        return x[:TRAIN_SIZE], y[:TRAIN_SIZE], x[TRAIN_SIZE:], y[TRAIN_SIZE:], 10
    splits = zoo.data.shapes(n=2000, image_size=32, as_numpy=True, seed=0)
    (x_train, y_train), (x_test, y_test) = splits.train, splits.test
    return x_train, y_train, x_test, y_test, splits.info["num_classes"]


def run(name, momentum, data, *, epochs, batch_size, seed, head_init=None):
    """{"test", "train_mode", "train", "seconds"} of one plain fit."""
    import keras
    import numpy as np

    import zoo

    x_train, y_train, x_test, y_test, num_classes = data
    keras.utils.set_random_seed(seed)
    switch = {"batch_norm": True} if "batch_norm" in zoo.registry.get(name).defaults else {}
    model = zoo.build(name, input_shape=x_train.shape[1:], num_classes=num_classes,
                      bn_momentum=momentum, **switch)
    if head_init is not None:
        kernel = model.get_layer("predictions").kernel
        kernel.assign(keras.initializers.get(head_init)(kernel.shape))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start

    def accuracy(training):
        return float(np.mean(np.argmax(model(x_test, training=training), -1) == y_test))

    test = accuracy(False)  # before the training-mode call, which updates the moving statistics
    return {"test": test, "train_mode": accuracy(True), "train": history.history["accuracy"][-1],
            "seconds": seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--momenta", type=float, nargs="+", default=[0.99, 0.9, 0.8])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one fit per seed; the table shows the mean (and each)")
    parser.add_argument("--head-init", default=None,
                        help="re-initialise the head's kernel: zeros, glorot_uniform, ...")
    args = parser.parse_args(argv)

    import keras

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}; {args.epochs} epochs, "
          f"batch {args.batch_size}, Adam 1e-3, seeds {args.seeds}"
          + (f", head kernel re-initialised: {args.head_init}" if args.head_init else ""))
    print()
    print("| dataset | model | momentum | test accuracy | train-mode test accuracy | "
          "train accuracy | fit s |")
    print("|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        data = load(dataset)
        for name in args.models:
            for momentum in args.momenta:
                runs = [run(name, momentum, data, epochs=args.epochs,
                            batch_size=args.batch_size, seed=seed, head_init=args.head_init)
                        for seed in args.seeds]

                def cell(key):
                    values = [r[key] for r in runs]
                    mean = sum(values) / len(values)
                    each = " / ".join(f"{v:.3f}" for v in values)
                    return f"{mean:.3f}" + (f" ({each})" if len(values) > 1 else "")

                seconds = sum(r["seconds"] for r in runs) / len(runs)
                print(f"| {dataset} | {name} | {momentum} | {cell('test')} | "
                      f"{cell('train_mode')} | {cell('train')} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
