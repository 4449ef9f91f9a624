"""The `zoo` command: parses arguments, calls the library, prints. No logic of its own.

`zoo --help` and `zoo list` never import Keras or TensorFlow, so they answer at once.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys


def _parse_value(text: str):
    """`--set key=value` values: Python literals (3, 0.1, (64, 32), True), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _overrides(args) -> dict:
    overrides = {}
    if args.config:
        try:
            with open(args.config) as f:
                loaded = json.load(f)
        except (OSError, json.JSONDecodeError) as err:
            raise SystemExit(f"zoo train: cannot read --config {args.config!r}: {err}")
        if not isinstance(loaded, dict):
            raise SystemExit(f"zoo train: --config {args.config!r} must hold a JSON object")
        # a tuner's best.json may nest the hyperparameters
        overrides.update(loaded.get("hyperparameters", loaded))
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"zoo train: --set expects key=value, got {item!r}")
        overrides[key.strip()] = _parse_value(value)
    return overrides


def cmd_list(args) -> int:
    from zoo import registry

    names = registry.list_models(args.pattern, family=args.family)
    if not names:
        print("no models match", file=sys.stderr)
        return 1
    width = max(len(n) for n in names)
    for n in names:
        e = registry.get(n)
        desc = e.description if len(e.description) <= 70 else e.description[:67] + "..."
        print(f"{n:<{width}}  {e.family:<11}  {e.task:<14}  {desc}")
    return 0


def cmd_info(args) -> int:
    import zoo

    info = zoo.model_info(args.name)
    if args.json:
        print(json.dumps(info, indent=2, default=list))
        return 0
    print(f"{info['name']}: {info['description']}")
    for key in ("family", "task", "input_shape", "dataset"):
        print(f"  {key:<12} {info[key]}")
    print(f"  {'params':<12} {info['params']:,} ({info['trainable_params']:,} trainable)")
    for key, value in info.items():
        if key not in ("name", "description", "family", "task", "input_shape", "dataset",
                       "params", "trainable_params", "defaults"):
            print(f"  {key:<12} {value}")
    print("  defaults:")
    for key, value in info["defaults"].items():
        print(f"    {key} = {value!r}")
    return 0


def cmd_train(args) -> int:
    from zoo.train.run import run

    result = run(
        args.name, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
        out=args.out, overrides=_overrides(args), learning_rate=args.learning_rate,
        seed=args.seed, overwrite=args.overwrite,
        jit_compile={"auto": "auto", "on": True, "off": False}[args.jit_compile],
    )
    print(f"\ntest: " + "  ".join(f"{k}={v:.4f}" for k, v in result.metrics.items()))
    print(f"saved: {result.out}/model.keras, config.json, history.json, metrics.json, curves.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo", description="Keras model zoo: list, inspect and train models.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", help="fnmatch pattern, e.g. '*mlp*'")
    p.add_argument("--family", help="only this family (dense, cnn, rnn, ...)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="show a model's family, defaults and parameter count")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train a model and save model.keras, history, curves")
    p.add_argument("name")
    p.add_argument("--data", help="digits, shapes, sequences:TASK, text:TASK, tfds:NAME or an "
                                  "image folder (default: the model's own dataset)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--out", help="run folder (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    p.add_argument("--config", help="JSON file of hyperparameters (e.g. a run's config.json)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override one hyperparameter, e.g. --set dropout=0.3 (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jit-compile", choices=("auto", "on", "off"), default="auto",
                   help="XLA: 'auto' follows zoo's measured per-device policy")
    p.set_defaults(func=cmd_train)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ banner out
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, FileExistsError) as err:
        if os.environ.get("ZOO_DEBUG") == "1":  # the full traceback, for bug reports
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"zoo {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
