"""Does `zoo finetune` lose at 10 images per class because its folder split keeps only 6 of them
for training (2 validation, 2 test)? Fine-tune with the defaults on the benchmark's digits
folders with and without the internal test split (validation 15% either way) and score on the
dev folder (never the test folder).

    python -m benchmarks.transfer_split [--per-class 10] [--target digits] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    import numpy as np

    import zoo
    from benchmarks.transfer import TARGETS, make_target, read_folder
    from zoo.data import Splits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--target", default="digits", choices=TARGETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--work", default="/tmp/zoo-transfer-split")
    args = parser.parse_args(argv)
    for seed in args.seeds:
        root = Path(args.work) / f"{args.target}-{args.per_class}-{seed}"
        make_target(args.target, root, args.per_class, seed)
        xe, ye = read_folder(root / "dev", (32, 32))
        for test_split in (0.15, 0.0):
            d = zoo.data.image_folder(root / "train", image_size=32, validation_split=0.15,
                                      test_split=test_split, as_numpy=True, seed=seed)
            test = d.test if test_split else d.validation  # finetune needs a test split
            data = Splits(train=d.train, validation=d.validation, test=test, info=d.info)
            result = zoo.finetune("zoo_mobilenet_synthetic", data, verbose=0, seed=seed)
            accuracy = float(np.mean(np.argmax(result.model.predict(xe, verbose=0), -1) == ye))
            print(f"{args.target} {args.per_class}/class seed {seed} test_split {test_split}: "
                  f"{len(d.train[1])} training images, dev accuracy {accuracy:.3f}", flush=True)


if __name__ == "__main__":
    main()
