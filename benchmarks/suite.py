"""The benchmarks: each yields Records (zoo's figure, its reference's, the ratio) as it measures
them, so `python -m benchmarks` prints each line when it is ready."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

from benchmarks.harness import (EpochTimer, Record, StepTimer, TraceCounter, alternate,
                                machine_name, median_of, random_batch)


# --- 1. no overhead: zoo.build + zoo.train vs the same architecture trained by plain model.fit
FAMILY_CASES = {
    # family: (zoo entry, overrides, input shape, classes, batch, integer inputs' vocabulary)
    "mlp": ("mlp", {}, (8, 8), 10, 64, None),
    "cnn": ("cnn", {"input_shape": (28, 28, 1)}, (28, 28, 1), 10, 64, None),
    "rnn": ("rnn", {}, (64,), 5, 32, 99),
    "cnn_rnn": ("cnn_lstm_video", {}, (8, 16, 16, 1), 4, 32, None),
    "autoencoder": ("conv_autoencoder", {"input_shape": (28, 28, 1)}, (28, 28, 1), None, 64,
                    None),
    "gan": ("dcgan", {"input_shape": (28, 28, 1)}, (28, 28, 1), None, 64, None),
    "transformer": ("transformer_classifier", {}, (64,), 5, 32, 99),
    "backbone": ("mobilenet_v2", {}, (32, 32, 3), 4, 64, None),
}


def _cases(families=None):
    """(label, case, task) for each family asked for (default all), the seeds reset."""
    import keras

    from zoo import registry

    for label in families or FAMILY_CASES:
        if label not in FAMILY_CASES:
            raise ValueError(f"benchmarks: no family case {label!r}; choose from "
                             f"{sorted(FAMILY_CASES)}")
        keras.utils.set_random_seed(0)
        yield label, FAMILY_CASES[label], registry.get(FAMILY_CASES[label][0]).task


def _case_arrays(case, rows):
    """Random inputs `x` of the case's shape (token ids for a vocabulary, pixels in [0, 1] for
    image models with no classes, else normal noise) and class ids `y` (all 0 for a model with
    no classes: a GAN ignores them). An autoencoder's target is `x`: the callers pass it."""
    _, _, shape, classes, _, vocab = case
    if vocab:
        x = random_batch((rows,) + shape, high=vocab, dtype="int32")
    elif classes is None:
        x = np.random.default_rng(0).uniform(0, 1, (rows,) + shape).astype("float32")
    else:
        x = random_batch((rows,) + shape)
    y = np.random.default_rng(1).integers(0, classes or 1, size=(rows,))
    return x, y


def _reference(name, overrides, task):
    """The same architecture compiled at Keras' defaults (jit_compile="auto", which Keras
    resolves to off on a TensorFlow machine without an accelerator; Adam 1e-3).

    The MLP is written out in plain Keras; other graphs are rebuilt by `keras.models.clone_model`;
    a GAN (a subclassed model with its own train_step) is a fresh build compiled by Keras'
    `compile()` with its default arguments."""
    import keras

    import zoo
    from zoo.train import loss_and_metrics

    if name == "mlp" and not overrides:
        model, how = _plain_keras_mlp(), "written in plain Keras"
    elif task == "generative":
        model, how = zoo.build(name, **overrides), "same class, Keras-default compile"
        model.compile()
        return model, how
    else:
        model, how = keras.models.clone_model(zoo.build(name, **overrides)), "keras clone"
    loss, metrics = loss_and_metrics(model, task)
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model, how


def _plain_keras_mlp():
    """zoo's `mlp` at defaults, written in plain Keras (the reference)."""
    import keras

    return keras.Sequential([
        keras.Input((8, 8)), keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])


def overhead(steps=50, repeats=5, families=None):
    """Seconds per step of one epoch of `zoo.train.fit` (EpochBatches, tf.data under
    TensorFlow, zoo's XLA policy) against one epoch of `model.fit(x, y)` at Keras' defaults, on
    the same `steps * batch` random rows; each side's first epoch (tracing) is excluded.
    `families`: labels of FAMILY_CASES to run (default all)."""
    import zoo
    from zoo.data import Splits

    for label, case, task in _cases(families):
        name, overrides, shape, classes, batch, _ = case
        x, y = _case_arrays(case, batch * steps)
        target = x if task == "autoencoder" else y
        # labelled random data; the model's own task (autoencoder, GAN) decides how it trains
        splits = Splits(train=(x, y), validation=None, test=None,
                        info={"name": "random", "task": "classification",
                              "num_classes": classes or 1, "input_shape": shape,
                              "class_names": None})
        ours = zoo.build(name, **overrides)
        zoo.train.compile_model(ours, task=task)
        ref, how = _reference(name, overrides, task)
        counters = {"zoo": TraceCounter(ours), "reference": TraceCounter(ref)}

        def zoo_epoch():
            start = time.perf_counter()
            zoo.train.fit(ours, splits, epochs=1, batch_size=batch, task=task, compile=False,
                          verbose=0)
            return (time.perf_counter() - start) / steps

        def reference_epoch():
            start = time.perf_counter()
            ref.fit(x, target, batch_size=batch, epochs=1, verbose=0)
            return (time.perf_counter() - start) / steps

        compile_s = {"zoo": zoo_epoch() * steps, "reference": reference_epoch() * steps}
        traced = {k: c.traces for k, c in counters.items()}
        s_ours, s_ref = alternate(zoo_epoch, reference_epoch, repeats=repeats)
        retraces = {k: counters[k].retraces_since(traced[k]) for k in counters}
        yield (Record(
            name=f"overhead/{label}", unit="steps/s", zoo=1 / s_ours, reference=1 / s_ref,
            ratio=s_ref / s_ours, machine=machine_name(),
            note=f"{name}: zoo.build+zoo.train vs model.fit at Keras defaults ({how}), "
                 f"batch {batch}",
            extra={"first_epoch_s": compile_s, "steps_per_epoch": steps,
                   "retraces_after_first_epoch": retraces,
                   "jit_compile": {"zoo": bool(ours.jit_compile),
                                   "reference": bool(ref.jit_compile)}}))


# --- 2. published CPU anchors, built with zoo (context, not a ratio)
def anchors(steps=50, repeats=5):
    import keras

    import zoo

    cases = [
        # keras issue #19953: 10 x [Dense(128, relu) + Dropout(0.1)] + Dense(1), 4 inputs, batch 500
        ("anchor/keras19953_mlp", "11.9-12.4 ms/step on a 16-core EPYC (keras #19953)",
         lambda: zoo.build("mlp", input_shape=(4,), num_classes=1, hidden_units=(128,) * 10,
                           dropout=0.1), (4,), 2, 500, None, "binary_crossentropy"),
        # keras.io MNIST convnet: Conv32-Pool-Conv64-Pool-Flatten-Dropout(0.5)-Dense(10), batch 128
        ("anchor/mnist_convnet", "keras.io example; no published step time",
         lambda: zoo.build("cnn", input_shape=(28, 28, 1), stackwise_filters=(32, 64),
                           padding="valid", dense_units=(), dropout=0.5),
         (28, 28, 1), 10, 128, None, "sparse_categorical_crossentropy"),
        # keras.io IMDB: Embedding(20000, 128) - BiLSTM(64) x2 - Dense(1), maxlen 200, batch 32
        ("anchor/imdb_bilstm", "keras.io example; no published step time",
         lambda: zoo.build("rnn", input_shape=(200,), vocab_size=20000, embedding_dim=128,
                           stackwise_units=(64, 64), bidirectional=True, num_classes=1),
         (200,), 2, 32, 20000, "binary_crossentropy"),
    ]
    for name, published, make, shape, classes, batch, vocab, loss in cases:
        keras.utils.set_random_seed(0)
        model = make()
        zoo.train.compile_model(model, task="classification",
                                loss=keras.losses.BinaryCrossentropy(label_smoothing=0.1)
                                if loss == "binary_crossentropy" else loss)
        x = random_batch((batch * 2,) + shape, high=vocab, dtype="int32" if vocab else "float32")
        y = np.random.default_rng(1).integers(0, classes, size=(batch * 2,))
        if classes == 2:
            y = y.astype("float32")[:, None]
        timer = StepTimer(model, x, y, batch_size=batch, steps=steps)
        ms = 1000 * median_of(timer, repeats=repeats)
        yield (Record(name=name, unit="ms/step", zoo=ms, reference=None, ratio=None,
                              machine=machine_name(), note=f"published: {published}",
                              extra={"compile_s": timer.compile_s}))


# --- 3. XLA policy: each family with jit on and off, and what zoo's policy picks
def xla_policy(steps=50, repeats=5, families=None):
    """Each family's step with jit_compile on and off (alternated), and what zoo's policy picks;
    ratio = the faster one's time over the pick's (1.0: the pick is the faster)."""
    import zoo
    from zoo.train.policy import family_of
    from zoo.train.policy import jit_compile as policy

    for label, case, task in _cases(families):
        name, overrides, _, _, batch, _ = case
        x, y = _case_arrays(case, batch * 2)
        timers = {}
        for jit in (True, False):
            model = zoo.build(name, **overrides)
            zoo.train.compile_model(model, task=task, jit_compile=jit)
            timers[jit] = StepTimer(model, x, x if task == "autoencoder" else y,
                                    batch_size=batch, steps=steps)
        s_on, s_off = alternate(timers[True], timers[False], repeats=repeats)
        pick = policy("auto", family=family_of(model))
        s_pick, s_best = (s_on if pick else s_off), min(s_on, s_off)
        # traces of the train step after the first fit, over all timed steps (target: 0)
        retraces = {"on": timers[True].retraces(), "off": timers[False].retraces()}
        yield (Record(
            name=f"xla_policy/{label}", unit="steps/s", zoo=1 / s_pick, reference=1 / s_best,
            ratio=s_best / s_pick, machine=machine_name(),
            note=f"XLA on {1 / s_on:.1f} vs off {1 / s_off:.1f} steps/s; policy picks "
                 f"{'on' if pick else 'off'}; retraces after step 1: on {retraces['on']}, "
                 f"off {retraces['off']}",
            extra={"xla_on_steps_s": 1 / s_on, "xla_off_steps_s": 1 / s_off,
                   "retraces_after_first_step": retraces,
                   "compile_s": {"on": timers[True].compile_s,
                                 "off": timers[False].compile_s}}))


# --- 4. near the machine's limit: training FLOP/s over a large matmul's FLOP/s, same run
def training_flops_per_example(model) -> int:
    """3 x forward FLOPs (the backward pass costs about twice the forward); the forward count
    (`zoo.models.flops`) includes attention's QK^T and AV matmuls."""
    from zoo.models.flops import count_flops

    return 3 * count_flops(model)


ROOFLINE_CASES = {
    # label: (zoo entry, overrides, input shape, classes, batch, vocabulary of integer inputs,
    #         most timed steps, what it is)
    "mlp": ("mlp", {"input_shape": (256,), "hidden_units": (1024, 1024, 1024), "dropout": 0.0},
            (256,), 10, 512, None, 50, "MLP 256-1024x3-10"),
    "resnet": ("resnet", {"input_shape": (32, 32, 3)}, (32, 32, 3), 10, 64, None, 20,
               "ResNet-20 (basic, 16-32-64) on 32x32x3"),
    "transformer": ("transformer_classifier",
                    {"input_shape": (128,), "vocab_size": 1000, "d_model": 256, "num_heads": 4,
                     "num_layers": 2, "mlp_dim": 1024, "dropout": 0.0},
                    (128,), 5, 32, 1000, 20, "transformer encoder d256 x2, mlp 1024, T=128"),
}


def roofline(steps=50, repeats=5):
    import keras

    import zoo

    n = 2048
    a = keras.ops.convert_to_tensor(random_batch((n, n)))
    b = keras.ops.convert_to_tensor(random_batch((n, n), seed=1))

    def matmul():
        start = time.perf_counter()
        for _ in range(5):
            c = keras.ops.matmul(a, b)
        np.asarray(c)  # wait for the result (JAX dispatches asynchronously)
        return (time.perf_counter() - start) / 5

    matmul()
    for label, (name, overrides, shape, classes, batch, vocab, most_steps,
                what) in ROOFLINE_CASES.items():
        keras.utils.set_random_seed(0)
        model = zoo.build(name, **overrides)
        zoo.train.compile_model(model, task="classification")
        x = random_batch((batch * 2,) + shape, high=vocab, dtype="int32" if vocab else "float32")
        y = np.random.default_rng(1).integers(0, classes, size=(batch * 2,))
        timer = StepTimer(model, x, y, batch_size=batch, steps=min(steps, most_steps))
        # the matmul is re-measured beside each model (alternated) so load drift hits both
        matmul_s, step_s = alternate(matmul, timer, repeats=repeats)
        peak = 2 * n**3 / matmul_s
        achieved = training_flops_per_example(model) * batch / step_s
        yield (Record(
            name=f"roofline/{label}", unit="GFLOP/s", zoo=achieved / 1e9, reference=peak / 1e9,
            ratio=achieved / peak, machine=machine_name(),
            note=f"{what} at batch {batch} vs float32 {n}x{n} matmul",
            extra={"train_flops_per_example": training_flops_per_example(model),
                   "step_s": step_s, "compile_s": timer.compile_s}))


# --- 5. input pipeline: each zoo.data pipeline alone, and feeding a model, vs in-memory arrays
def _image_folder_of_shapes(root, n, size):
    """`n` PNG files of zoo's shapes, one sub-folder per class, under `root`."""
    import keras

    import zoo.data

    splits = zoo.data.shapes(n=n, image_size=size, validation_split=0.0, test_split=0.0,
                             as_numpy=True)
    x, y = splits.train
    for index, (image, label) in enumerate(zip(x, y)):
        folder = os.path.join(root, splits.info["class_names"][label])
        os.makedirs(folder, exist_ok=True)
        keras.utils.save_img(os.path.join(folder, f"{index:05d}.png"), image * 255.0,
                             scale=False)
    return root


def _pipeline_cases(root):
    """label -> (what it is, model builder, tf.data train split, the same samples as arrays,
    batch size). Arrays lose the remainder where the pipeline drops it; image_folder keeps its
    partial last batch, and so do the arrays (Keras batches them alike)."""
    import zoo.data

    batch = 64
    cases = {}
    digits = zoo.data.digits(as_numpy=True)  # to_tf over in-memory arrays, drop_remainder
    cases["to_tf/digits-mlp"] = (
        "zoo.data.to_tf(digits) -> mlp", lambda: zoo.build("mlp"),
        digits.as_tf(batch, drop_remainder=True).train, _drop_remainder(digits.train, batch),
        batch)
    shapes = zoo.data.shapes(n=3000, image_size=32, as_numpy=True)
    cases["to_tf/shapes-cnn"] = (
        "zoo.data.to_tf(shapes 32x32x3) -> cnn",
        lambda: zoo.build("cnn", input_shape=(32, 32, 3), num_classes=4),
        shapes.as_tf(batch, drop_remainder=True).train, _drop_remainder(shapes.train, batch),
        batch)
    lines = zoo.data.text(task="modules", as_numpy=True)
    cases["to_tf/text-rnn"] = (
        "zoo.data.to_tf(text:modules) -> rnn (LSTM)",
        lambda: zoo.build("rnn", num_classes=lines.info["num_classes"],
                          vocab_size=len(lines.info["vocab"])),
        lines.as_tf(32, drop_remainder=True).train, _drop_remainder(lines.train, 32), 32)
    # image_folder decodes and resizes every file each epoch (no cache)
    folder = _image_folder_of_shapes(os.path.join(root, "shapes"), 1200, 32)
    files = zoo.data.image_folder(folder, image_size=32, rescale=True, batch_size=batch)
    in_memory = zoo.data.image_folder(folder, image_size=32, rescale=True, as_numpy=True)
    cases["image_folder/png-cnn"] = (
        "zoo.data.image_folder(PNG files, decode+resize) -> cnn",
        lambda: zoo.build("cnn", input_shape=(32, 32, 3), num_classes=4),
        files.train, in_memory.train, batch)
    return cases


def _drop_remainder(arrays, batch):
    x, y = arrays
    n = len(y) // batch * batch
    return x[:n], y[:n]


def input_pipeline(steps=None, repeats=5):
    """Not timed per step: one epoch of each split is the unit (`steps` is unused)."""
    import tempfile

    import keras

    import zoo

    with tempfile.TemporaryDirectory() as root:
        for label, (what, make, dataset, arrays, batch) in _pipeline_cases(root).items():
            samples = len(arrays[1])

            def pipeline_alone():
                start = time.perf_counter()
                for _ in dataset:
                    pass
                return time.perf_counter() - start

            pipeline_alone()  # warm-up: first iterator, shuffle buffer, decoder start-up
            alone_s = median_of(pipeline_alone, repeats=repeats)
            timers = []
            for data in (dataset, arrays):
                keras.utils.set_random_seed(0)
                model = make()
                zoo.train.compile_model(model, task="classification")
                timers.append(EpochTimer(model, data, batch_size=batch))
            fed_s, memory_s = alternate(*timers, repeats=repeats)
            yield (Record(
                name=f"pipeline/{label}", unit="samples/s", zoo=samples / fed_s,
                reference=samples / memory_s, ratio=memory_s / fed_s, machine=machine_name(),
                note=f"{what}, batch {batch}: model fed by the pipeline vs on in-memory arrays; "
                     f"pipeline alone {samples / alone_s:.0f} samples/s",
                extra={"pipeline_alone_samples_s": samples / alone_s,
                       "model_in_memory_samples_s": samples / memory_s,
                       "samples_per_epoch": samples,
                       "retraces_after_first_epoch": {"pipeline": timers[0].retraces(),
                                                      "in_memory": timers[1].retraces()},
                       "compile_s": {"pipeline": timers[0].compile_s,
                                     "in_memory": timers[1].compile_s}}))


# --- 7. generation: gpt tokens/s with the key/value cache against without it
def generation(steps=500, repeats=3, *, prompt_tokens=16, d_model=256, num_layers=4,
               num_heads=4, vocab_size=97):
    """Greedy generation of `steps` new tokens after a `prompt_tokens` prompt, with the cache
    (each token runs the blocks alone against cached keys/values) and without (each token
    re-runs the whole context); the two are alternated, and must give the same tokens."""
    import zoo
    from zoo.models.generation import generate

    model = zoo.build("gpt", vocab_size=vocab_size, d_model=d_model, num_heads=num_heads,
                      num_layers=num_layers, mlp_dim=4 * d_model,
                      max_length=prompt_tokens + steps)
    head = model.get_layer("predictions")  # random head: the tokens then depend on the context
    head.kernel.assign(np.random.default_rng(0).normal(size=head.kernel.shape).astype("float32"))
    prompt = np.random.default_rng(0).integers(1, vocab_size, size=prompt_tokens)
    tokens = {}

    def run(use_cache):
        def once():
            start = time.perf_counter()
            tokens[use_cache] = generate(model, prompt, max_new_tokens=steps, temperature=0,
                                         use_cache=use_cache)
            return time.perf_counter() - start
        return once

    warm_s = {"cached": run(True)(), "uncached": run(False)()}  # tracing, first calls
    s_cached, s_uncached = alternate(run(True), run(False), repeats=repeats)
    same = bool((np.asarray(tokens[True]) == np.asarray(tokens[False])).all())
    yield Record(
        name="generation/gpt_kv_cache", unit="tokens/s", zoo=steps / s_cached,
        reference=steps / s_uncached, ratio=s_uncached / s_cached, machine=machine_name(),
        note=f"gpt d_model {d_model}, {num_layers} layers, prompt {prompt_tokens} + {steps} "
             f"new tokens, greedy: with the KV cache vs without; same tokens: {same}",
        extra={"same_tokens": same, "first_call_s": warm_s})


# --- 8. start-up: the commands a user types first
def startup(repeats=5):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for label, cmd in (("zoo --help", [sys.executable, "-m", "zoo", "--help"]),
                       ("zoo list", [sys.executable, "-m", "zoo", "list"]),
                       ("import zoo", [sys.executable, "-c", "import zoo"]),
                       ("python -c pass", [sys.executable, "-c", "pass"])):
        def once():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            return time.perf_counter() - start

        yield (Record(name=f"startup/{label}", unit="s", zoo=median_of(once, repeats=repeats),
                              reference=None, ratio=None, machine=machine_name()))


from benchmarks.serving import serving  # noqa: E402  (its own module: it exports models)

SUITE = {"overhead": overhead, "anchors": anchors, "xla_policy": xla_policy,
         "roofline": roofline, "pipeline": input_pipeline, "generation": generation,
         "startup": startup, "serving": serving}
