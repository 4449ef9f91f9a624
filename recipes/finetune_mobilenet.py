"""Fine-tune a MobileNet-style backbone on a folder of images (a sub-folder per class) and get a
model you can ship: phase 1 trains a new head on the frozen backbone at the rate a learning-rate
range test picks, phase 2 unfreezes the backbone (BatchNorm training) at a tenth of it, warmed up
then cosine-decayed, and the better phase is kept; then a report, a confusion
matrix, `model.keras` + config/metadata/model card, and SavedModel/TFLite exports.

    python recipes/finetune_mobilenet.py --data photos/ --out runs/ft       # your images
    python recipes/finetune_mobilenet.py --demo --out runs/ft-demo         # offline demo folder

The default backbone, zoo_mobilenet_synthetic, was pretrained by zoo itself (saved_models/), so this
works with no network. With ImageNet weights in the Keras cache, use --backbone mobilenet_v2.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_demo_folder(root, n=300, seed=0):
    """A small image folder drawn from zoo.data.shapes: root/<shape>/<i>.png."""
    import keras

    import zoo

    classes = ("circle", "square", "triangle", "star")
    data = zoo.data.shapes(n=n, image_size=32, classes=classes, seed=seed,
                           validation_split=0.0, test_split=0.0, as_numpy=True)
    for i, (image, label) in enumerate(zip(*data.train)):
        folder = os.path.join(root, classes[label])
        os.makedirs(folder, exist_ok=True)
        keras.utils.save_img(os.path.join(folder, f"{i:04d}.png"), image * 255.0, scale=False)
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="image folder, or a dataset name (shapes, digits)")
    parser.add_argument("--demo", action="store_true", help="build a demo folder from shapes")
    parser.add_argument("--backbone", default="zoo_mobilenet_synthetic")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5, help="phase 1 epochs")
    parser.add_argument("--finetune-epochs", type=int, default=10, help="phase 2 epochs")
    parser.add_argument("--unfreeze-top", type=int, default=None)
    parser.add_argument("--out", default="runs/finetune")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import zoo

    data = args.data
    if args.demo:
        data = make_demo_folder(os.path.join(args.out + "-images"), seed=args.seed)
    if data is None:
        parser.error("give --data DIR_OR_DATASET or --demo")

    result = zoo.finetune(
        args.backbone, data, out=args.out, overwrite=True,
        input_shape=(args.image_size, args.image_size, 3),
        epochs=(args.epochs, args.finetune_epochs),  # rate: the range test's ("auto")
        unfreeze_top=args.unfreeze_top, seed=args.seed,
        exports=("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8"))

    print(result.summary())
    model = zoo.load(args.out)  # what you ship reloads in safe mode
    print(f"reloaded {model.name}: {model.count_params():,} parameters")
    return 0 if result.exports_ok else 1  # the summary line names an export that failed


if __name__ == "__main__":
    sys.exit(main())
