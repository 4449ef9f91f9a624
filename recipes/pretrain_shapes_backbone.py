"""Pretrain zoo's own MobileNet-style backbone on the procedurally generated textured-shapes task
and ship its weights under saved_models/ (updates MANIFEST.sha256).

    python recipes/pretrain_shapes_backbone.py            # about 6 min on 2 CPU cores

Source task: `zoo.transfer.source_task.textured_shapes` (7 shapes x 4 textures = 28 classes,
32x32 RGB, random colours, sizes, positions, stripe periods, noise; 25% grey images).
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="zoo_mobilenet_shapes")
    parser.add_argument("--n", type=int, default=16000, help="source images (train+val+test)")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder (default: saved_models/)")
    args = parser.parse_args()

    import keras

    import zoo
    from zoo.models import backbone_weights
    from zoo.transfer.source_task import textured_shapes

    keras.utils.set_random_seed(args.seed)
    entry = backbone_weights.ZOO_PRETRAINED[args.name]
    out = backbone_weights.SAVED_MODELS if args.out is None else Path(args.out)

    data = textured_shapes(n=args.n, image_size=entry["kwargs"]["input_shape"][0], seed=args.seed)
    (x, y), (xv, yv), (xt, yt) = data.train, data.validation, data.test
    print(f"source task: {data.info['num_classes']} classes, train {x.shape}, test {xt.shape}")

    backbone = zoo.build(entry["builder"], **entry["kwargs"], name=args.name)
    inputs = keras.Input(entry["kwargs"]["input_shape"])
    features = backbone(inputs)
    outputs = keras.layers.Dense(data.info["num_classes"], activation="softmax",
                                 name="predictions")(keras.layers.Dropout(0.1)(features))
    model = keras.Model(inputs, outputs)
    steps = args.epochs * -(-len(x) // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, warmup_target=4e-3, warmup_steps=steps // 20)
    zoo.train.compile_model(model, optimizer=keras.optimizers.Adam(schedule))
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_data=(xv, yv),
              verbose=2)
    test = model.evaluate(xt, yt, verbose=0, return_dict=True)
    print(f"source test accuracy: {test['accuracy']:.4f} ({len(xt)} images)")

    result = backbone_weights.ship(backbone, args.name, {
        "name": args.name, "source_test_accuracy": round(test["accuracy"], 4),
        "train_images": len(x), "test_images": len(xt), "epochs": args.epochs,
        "steps": steps, "batch_size": args.batch_size, "seed": args.seed}, folder=out)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
