"""The `zoo` command: parses arguments, calls the library, prints. No logic of its own.

`zoo --help` and `zoo list` never import Keras or TensorFlow, so they answer at once.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys

from zoo._quiet_startup import quiet_tensorflow_startup


def _parse_value(text: str):
    """`--set key=value` values: Python literals (3, 0.1, (64, 32), True), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _read_config(args) -> dict:
    if not args.config:
        return {}
    try:
        with open(args.config) as f:
            loaded = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise SystemExit(f"zoo train: cannot read --config {args.config!r}: {err}")
    if not isinstance(loaded, dict):
        raise SystemExit(f"zoo train: --config {args.config!r} must hold a JSON object")
    return loaded


def _overrides(args, config: dict) -> dict:
    # a tuner's best.json nests the hyperparameters; a run's config.json is flat
    overrides = dict(config.get("hyperparameters", config))
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
                       "params", "trainable_params", "defaults", "flops_uncounted"):
            print(f"  {key:<12} {value}")
    if info.get("flops_uncounted"):
        print(f"  {'uncounted':<12} {', '.join(info['flops_uncounted'])} (0 FLOPs each: no "
              f"FLOPs rule, or a free (None) length)")
    print("  defaults:")
    for key, value in info["defaults"].items():
        print(f"    {key} = {value!r}")
    return 0


def _given(value, fallback):
    return fallback if value is None else value


def cmd_train(args) -> int:
    from zoo.train.run import run

    config = _read_config(args)
    training = config.get("training", {})  # best.json's optimizer settings, unless given here
    result = run(
        args.name, data=args.data, epochs=args.epochs,
        batch_size=_given(args.batch_size, training.get("batch_size", 32)),
        out=args.out, overrides=_overrides(args, config),
        learning_rate=_given(args.learning_rate, training.get("learning_rate", 1e-3)),
        optimizer=training.get("optimizer", "adam"),
        seed=args.seed, overwrite=args.overwrite, resume=not args.no_resume,
        jit_compile={"auto": "auto", "on": True, "off": False}[args.jit_compile],
        lr_schedule=args.lr_schedule, warmup_epochs=args.warmup_epochs,
        precision=args.precision, patience=args.patience,
        tensorboard="auto" if args.tensorboard else False,
        distribute=args.distribute, image_size=args.image_size,
    )
    print("\ntest: " + "  ".join(f"{k}={v:.4f}" for k, v in result.metrics.items()))
    logs = ", logs/ (TensorBoard)" if (result.out / "logs").exists() else ""
    print(f"saved: {result.out}/model.keras, config.json, history.json/.csv, metrics.json, "
          f"curves.png{logs}")
    if result.stopped_at is not None:
        epoch, step = result.stopped_at
        print(f"zoo train: stopped early: the loss became non-finite at epoch {epoch + 1}, step "
              f"{step + 1}; the saved model holds the last finite weights", file=sys.stderr)
        return 1
    return 0


def cmd_check_xla(args) -> int:
    import zoo
    from zoo import registry
    from zoo.train.run import fit_to_data

    entry = registry.get(args.name)
    data = zoo.data.load(args.data or entry.dataset, as_numpy=True)
    model = zoo.build(args.name, **fit_to_data(entry, data.info, _overrides(args, {})))
    zoo.check_xla(model, data, batch_size=args.batch_size, steps=args.steps)
    return 0


def cmd_tune(args) -> int:
    from zoo.registry import Choice, Float, Int
    from zoo.tune import search

    fixed = {}
    for item in args.fix or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"zoo tune: --fix expects key=value, got {item!r}")
        fixed[key.strip()] = _parse_value(value)
    for item in args.range or []:
        key, sep, value = item.partition("=")
        bounds = _parse_value(value) if sep else None
        if isinstance(bounds, list):
            fixed[key.strip()] = Choice(tuple(bounds))
        elif isinstance(bounds, tuple) and len(bounds) == 2:
            kind = Int if all(isinstance(b, int) for b in bounds) else Float
            fixed[key.strip()] = kind(*bounds)
        else:
            raise SystemExit(f"zoo tune: --range expects key=(min, max) or key=[a, b, ...], "
                             f"got {item!r}")
    objective = None
    if args.objective:
        name, _, direction = args.objective.partition(":")
        objective = (name, direction or ("max" if "acc" in name else "min"))
    if args.workers:
        from zoo.tune.distributed import launch

        return launch(args)
    result = search(args.name, data=args.data, tuner=args.tuner, max_trials=args.max_trials,
                    epochs=args.epochs, out=args.out, overwrite=args.overwrite,
                    objective=objective, seed=args.seed, fixed=fixed)
    best = result.best
    if best is None:  # a distributed worker: the chief reports
        return 0
    print(f"\nbest {best['objective']['name']} = {best['objective']['value']:.4f} "
          f"({best['trials']['completed']} trials completed)")
    print(f"saved: {result.out}/best.json, best_model.keras "
          f"(zoo train {args.name} --config {result.out}/best.json)")
    return 0


def cmd_finetune(args) -> int:
    from zoo.transfer.finetune import finetune

    input_shape = (args.image_size, args.image_size, 3) if args.image_size else None
    result = finetune(args.backbone, args.data, out=args.out, input_shape=input_shape,
                      weights=args.weights, epochs=(args.epochs, args.finetune_epochs),
                      batch_size=args.batch_size, learning_rate=args.learning_rate,
                      finetune_learning_rate=args.finetune_learning_rate,
                      unfreeze_top=args.unfreeze_top, unfreeze_from=args.unfreeze_from,
                      layer_decay=args.layer_decay, batchnorm=args.batchnorm,
                      alpha=args.alpha, pooling=args.pooling, refit=args.refit,
                      probe=args.probe,
                      augment=() if args.no_augment else tuple(args.augment),
                      exports=args.export or (), seed=args.seed, overwrite=args.overwrite,
                      verbose=2)
    print(result.summary())
    return 0 if result.exports_ok else 1


def cmd_predict(args) -> int:
    from zoo.export.saving import write_text
    from zoo.inference.predict import predict

    result = predict(args.run, args.inputs, top_k=args.top_k, batch_size=args.batch_size)
    for line in result.lines():
        print(line)
    for file, reason in result.skipped:
        print(f"zoo predict: skipped {file} ({reason})", file=sys.stderr)
    if args.out:
        write_text(args.out, result.csv())  # atomic: a half-written CSV never replaces one
    where = f"; wrote {args.out}" if args.out else ""
    print(f"zoo predict: {len(result.files)} predicted, {len(result.skipped)} skipped{where}")
    return 0 if result.files else 2


def cmd_evaluate(args) -> int:
    from zoo.inference.evaluate import evaluate

    result = evaluate(args.run, args.data, out=args.out, batch_size=args.batch_size)
    width = max(len(name) for name in result.per_class)
    print(f"{'class':{width}s}  precision  recall     f1  support")
    for name, m in result.per_class.items():
        print(f"{name:{width}s}  {m['precision']:9.4f}  {m['recall']:6.4f}  {m['f1']:5.4f}  "
              f"{m['support']:7d}")
    for file, reason in result.skipped:
        print(f"zoo evaluate: skipped {file} ({reason}: not a readable image)", file=sys.stderr)
    print(result.summary())
    return 0


def cmd_export(args) -> int:
    from zoo.inference.export_run import export_run

    result = export_run(args.run, args.format, out=args.out, data=args.data)
    print(result.summary())
    return 0 if result.ok else 1


def cmd_sample(args) -> int:
    from zoo.inference.sample import sample

    result = sample(args.run, args.n, out=args.out, seed=args.seed, columns=args.columns,
                    scale=args.scale, label=args.label)
    print(result.summary())
    return 0


def cmd_explain(args) -> int:
    from zoo.inference.explain import explain

    result = explain(args.run, args.images, out=args.out, layer=args.layer,
                     class_name=args.class_name, batch_size=args.batch_size,
                     save_maps=args.save_maps)
    for line in result.lines():
        print(line)
    for file, reason in result.skipped:
        print(f"zoo explain: skipped {file} ({reason}: not a readable image)", file=sys.stderr)
    print(result.summary())
    return 0 if result.files else 2


def cmd_generate(args) -> int:
    from zoo.inference.generate import generate

    result = generate(args.run, args.prompt, source=args.source,
                      max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                      top_k=args.top_k, beam=args.beam, seed=args.seed)
    if result.unknown:
        print(f"zoo generate: {len(result.unknown)} prompt token(s) outside the run's "
              f"vocabulary, read as <unk>: {sorted(set(result.unknown))}", file=sys.stderr)
    print(result.text)
    print(result.summary(), file=sys.stderr)  # stdout holds the text alone
    return 0


def _learning_rate(text):
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0 or 'auto', got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo", description="Keras model zoo: list, inspect, train and tune models.")
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
    p.add_argument("--batch-size", type=int, help="default 32 (or --config's training value)")
    p.add_argument("--learning-rate", type=float,
                   help="default 1e-3 (or --config's training value)")
    p.add_argument("--out", help="run folder (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    p.add_argument("--no-resume", action="store_true",
                   help="start afresh even if --out holds an interrupted run (default: resume)")
    p.add_argument("--config", help="JSON hyperparameters: a run's config.json or a search's "
                                    "best.json")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override one hyperparameter, e.g. --set dropout=0.3 (repeatable)")
    p.add_argument("--image-size", type=int,
                   help="an image folder's pictures are resized to this (default 160)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jit-compile", choices=("auto", "on", "off"), default="auto",
                   help="XLA: 'auto' follows zoo's measured per-device policy")
    p.add_argument("--lr-schedule", default="constant",
                   choices=("constant", "cosine", "warmup-cosine", "one-cycle"),
                   help="learning-rate schedule over the run; --learning-rate is its peak")
    p.add_argument("--warmup-epochs", type=int, default=0,
                   help="linear warm-up epochs of --lr-schedule warmup-cosine")
    p.add_argument("--patience", type=int,
                   help="early stopping: stop after N epochs without a better validation loss "
                        "and keep the best epoch's weights (default: train every epoch)")
    p.add_argument("--precision", default="auto",
                   choices=("auto", "float32", "mixed_bfloat16", "mixed_float16"),
                   help="dtype policy; 'auto' follows zoo's measured per-device table "
                        "(float32 on CPU: bfloat16 measured slower)")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false",
                   help="no TensorBoard logs in --out/logs (written by default under TensorFlow)")
    p.add_argument("--distribute", choices=("auto", "data_parallel", "mirrored", "multi_process",
                                            "multi_worker_mirrored"),
                   help="data parallelism, --batch-size being the global batch: MirroredStrategy "
                        "(TensorFlow) or keras.distribution.DataParallel (JAX); multi_process "
                        "(JAX) reads KERAS_DISTRIBUTION_JOB_ADDRESSES, _NUM_PROCESSES, "
                        "_PROCESS_ID (default: one device)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("check-xla", help="does a model compile with XLA, and is it faster?")
    p.add_argument("name")
    p.add_argument("--data", help="dataset (default: the model's own)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=20, help="timed steps each way")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override one hyperparameter (repeatable)")
    p.set_defaults(func=cmd_check_xla)

    p = sub.add_parser("tune", help="search hyperparameters with keras-tuner")
    p.add_argument("name")
    p.add_argument("--data", help="dataset (default: the model's own)")
    p.add_argument("--tuner", choices=("random", "hyperband", "bayesian"), default="random")
    p.add_argument("--max-trials", type=int, default=10)
    p.add_argument("--epochs", type=int, default=5, help="epochs per trial")
    p.add_argument("--out", default="runs/tune", help="search folder; the same folder resumes")
    p.add_argument("--overwrite", action="store_true", help="delete a previous search in --out")
    p.add_argument("--objective", help="e.g. val_accuracy:max (default by task)")
    p.add_argument("--fix", action="append", metavar="KEY=VALUE",
                   help="hold a hyperparameter constant (repeatable)")
    p.add_argument("--range", action="append", metavar="KEY=RANGE",
                   help="narrow a range: dropout=(0.0, 0.3) or activation=['relu','gelu']")
    p.add_argument("--workers", type=int, default=0,
                   help="distributed: a chief and N worker processes on this machine")
    p.add_argument("--oracle-address", default="127.0.0.1",
                   help="chief's bind address for --workers (no TLS, no auth: keep loopback "
                        "unless the network is trusted)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("finetune", help="fine-tune a pretrained backbone on an image folder or "
                                        "dataset; save the run (model, card, exports)")
    p.add_argument("--backbone", default="zoo_mobilenet_synthetic",
                   help="zoo_mobilenet_synthetic (offline, the default), zoo_mobilenet_shapes, "
                        "mobilenet_v2, mobilenet_v3_small, ... (see zoo.transfer.SPECS)")
    p.add_argument("--data", required=True, help="image folder (a sub-folder per class) or a "
                                                 "dataset name (shapes, digits)")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--weights", default="default",
                   help="default, imagenet (from the Keras cache), none, a weights file "
                        "(.weights.h5, or a keras.applications-layout .h5) or a zoo backbone "
                        "name")
    p.add_argument("--image-size", type=int, help="input size (default: the backbone's)")
    p.add_argument("--epochs", type=int, default=5, help="phase 1 (frozen backbone) epochs")
    p.add_argument("--finetune-epochs", type=int, default=10, help="phase 2 epochs (0: skip)")
    p.add_argument("--batch-size", type=int, default=16,
                   help="default 16: more steps on small folders (benchmarks/results/"
                        "transfer_defaults.md)")
    p.add_argument("--learning-rate", type=_learning_rate, default="auto",
                   help="phase 1 (head) rate, or 'auto' (default): a learning-rate range test "
                        "on your images picks it (benchmarks/results/transfer_defaults.md)")
    p.add_argument("--finetune-learning-rate", type=float,
                   help="phase 2 peak rate (default: --learning-rate / 10)")
    p.add_argument("--batchnorm", choices=("inference", "train"), default="train",
                   help="phase 2: the backbone's BatchNorm trains (default) or keeps its "
                        "pretrained statistics (inference)")
    p.add_argument("--pooling", choices=("avg", "grid"), default="avg",
                   help="the head's pooling of the backbone's feature map: global average "
                        "(default), or the mean of each cell of a 2x2 grid (keeps layout; "
                        "better at 10 images per class on digits, worse above: "
                        "benchmarks/results/transfer_defaults.md)")
    p.add_argument("--refit", choices=("auto", "always", "never"), default="never",
                   help="train the winning recipe again on train + validation: always, never "
                        "(default), or auto: when under 50 training images per class")
    p.add_argument("--probe", choices=("auto", "always", "never"), default="auto",
                   help="average the fine-tuned model with a linear probe on the frozen "
                        "pretrained features: auto (default: when under 50 training images "
                        "per class; dev, 10 digits per class: 0.939 against 0.887, benchmarks/"
                        "results/transfer_defaults.md), always, or never")
    p.add_argument("--alpha", type=float,
                   help="width multiplier of a keras.applications backbone (e.g. 0.35)")
    p.add_argument("--unfreeze-top", type=int, help="phase 2: unfreeze the top N layers")
    p.add_argument("--unfreeze-from", help="phase 2: unfreeze from this block, e.g. block_13")
    p.add_argument("--layer-decay", type=float,
                   help="phase 2: layer-wise learning-rate decay in (0, 1], e.g. 0.8: each "
                        "backbone stage trains at that times the rate of the one above")
    augment = p.add_mutually_exclusive_group()
    augment.add_argument("--augment", nargs="+", default=["translate", "zoom"],
                         choices=("flip", "translate", "zoom", "rotate", "contrast"),
                         metavar="AUG",
                         help="augmentation layers, active in training only: any of flip, "
                              "translate, zoom, rotate, contrast (default: translate zoom)")
    augment.add_argument("--no-augment", action="store_true", help="no augmentation layers")
    p.add_argument("--export", action="append",
                   choices=("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8",
                            "onnx"),
                   help="also export into --out, each checked against the model on training "
                        "images as zoo export checks it (repeatable; exit code 1 if one fails)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_finetune)

    p = sub.add_parser("predict", help="top-k classes (or a regressor's values) of images, "
                                       "texts or .npy arrays by a trained run")
    p.add_argument("run", help="a run folder (zoo train / zoo finetune) or a .keras file")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image models: image files and folders (recursively); text "
                        "classifiers: texts, text files (a text a line), folders of .txt; "
                        "other models: .npy arrays (one input, or a batch of them) and folders")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--out", help="also write a CSV (header: input, label_1, probability_1, ...)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="score a run on a labelled image folder: per-class "
                                        "metrics, confusion matrix, calibration")
    p.add_argument("run", help="a run folder (zoo train / zoo finetune) or a .keras file")
    p.add_argument("--data", required=True, help="image folder, a sub-folder per class")
    p.add_argument("--out", help="where to write (default: RUN/evaluation/)")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("export", help="export a run (SavedModel, TFLite, ONNX) and check it "
                                      "against the Keras model on real inputs")
    p.add_argument("run", help="a run folder (zoo train / zoo finetune) or a .keras file")
    p.add_argument("--format", required=True,
                   choices=("savedmodel", "tflite-float32", "tflite-float16", "tflite-int8",
                            "onnx"))
    p.add_argument("--out", help="where to write (default: RUN/exports/...)")
    p.add_argument("--data", help="inputs to check parity on: an image folder or a dataset name "
                                  "(digits, sequences:TASK, text:TASK, ...; default: the run's "
                                  "own data)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("generate", help="text from a language-model run (gpt, rnn_lm), or "
                                        "a seq2seq run's output for --source")
    p.add_argument("run", help="a zoo train run folder (it holds the vocabulary)")
    p.add_argument("--prompt", help="the text to continue (default: a new line)")
    p.add_argument("--source", help="transformer_seq2seq: the text to transform, e.g. 12345")
    p.add_argument("--max-new-tokens", type=int,
                   help="default 100; seq2seq: up to its end token, at most its max_length")
    p.add_argument("--temperature", type=float,
                   help="sampling temperature, 0 = the most likely token (default: 1.0; "
                        "greedy for seq2seq)")
    p.add_argument("--top-k", type=int, help="sample from the K most likely tokens only")
    p.add_argument("--beam", type=int, default=1,
                   help="beam search with B beams: the most likely sequence it finds "
                        "(deterministic; not with --temperature or --top-k)")
    p.add_argument("--seed", type=int, help="sampling seed (default: a fresh draw)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("explain", help="Grad-CAM heatmaps: where in each image a run sees its "
                                       "class (a PNG per image)")
    p.add_argument("run", help="a run folder (zoo train / zoo finetune) or a .keras file")
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="image files and folders (searched recursively)")
    p.add_argument("--out", help="folder for the PNGs (default: RUN/explain/)")
    p.add_argument("--layer", help="the spatial layer to read, nested models searched (default: "
                                   "the last one, before global pooling)")
    p.add_argument("--class", dest="class_name", metavar="NAME",
                   help="explain this class for every image (default: its predicted class)")
    p.add_argument("--save-maps", action="store_true",
                   help="also write each map at the model's input size as NAME_gradcam.npy")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("sample", help="draw new images from a VAE or GAN run into a PNG grid")
    p.add_argument("run", help="a zoo train run folder of a VAE or GAN, or its .keras file")
    p.add_argument("--n", type=int, default=40, help="how many images (default 40, at most "
                                                     "1024)")
    p.add_argument("--out", required=True, help="the grid PNG to write, e.g. grid.png")
    p.add_argument("--seed", type=int, default=0, help="seed of the prior noise: the same "
                                                      "seed, the same images")
    p.add_argument("--columns", type=int, help="tiles per row (default: min(n, 10))")
    p.add_argument("--scale", type=int, help="upscale each image this many times (default: "
                                             "tiles of at least 64 px)")
    p.add_argument("--label", help="conditional GANs: draw only this class (name or index; "
                                   "default: every class in turn)")
    p.set_defaults(func=cmd_sample)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    quiet_tensorflow_startup()  # before anything imports TensorFlow; ZOO_DEBUG=1 shows it all
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, FileExistsError, RuntimeError) as err:
        if os.environ.get("ZOO_DEBUG") == "1":  # the full traceback, for bug reports
            raise
        message = str(err.args[0] if isinstance(err, KeyError) and err.args else err)
        prefix = f"zoo {args.command}: "  # the library's own messages often name the command
        message = message[len(prefix):] if message.startswith(prefix) else message
        print(f"{prefix}error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
