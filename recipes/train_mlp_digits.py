"""Train zoo's MLP on the bundled handwritten digits, evaluate it, save it and load it back.

The whole foundation in one story: offline data -> zoo.build -> zoo.train -> zoo.save/zoo.load.

    python recipes/train_mlp_digits.py --epochs 30 --out runs/recipe-mlp
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default="runs/recipe-mlp")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras
    import numpy as np

    import zoo

    keras.utils.set_random_seed(args.seed)

    # data: 1,797 real 8x8 digits, fixed train/validation/test splits
    data = zoo.data.digits(seed=args.seed, as_numpy=True)
    print(f"train {data.train[0].shape}, validation {data.validation[0].shape}, "
          f"test {data.test[0].shape}")

    # model: a plain keras.Model; inputs of any rank are flattened
    model = zoo.build("mlp", input_shape=data.info["input_shape"],
                      num_classes=data.info["num_classes"])
    model.summary()

    # train: compiled for classification with zoo's device policy (no XLA on CPU)
    zoo.train(model, data, epochs=args.epochs, batch_size=args.batch_size)
    metrics = zoo.train.evaluate(model, data)
    print(f"test accuracy {metrics['accuracy']:.4f}")

    # save atomically, load back in safe mode, check the predictions survived
    path = zoo.save(model, os.path.join(args.out, "model.keras"))
    reloaded = zoo.load(path)
    x = data.test[0][:16]
    same = np.allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), atol=1e-6)
    print(f"saved {path}; reloaded predictions identical: {same}")


if __name__ == "__main__":
    main()
