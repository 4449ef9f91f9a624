"""Every registered model, checked the same way, along the path a Keras user takes: build at
defaults, output shape, finite outputs; Keras' own compile and fit (one step lowers the loss),
`model.save`, and `keras.saving.load_model` after only `import zoo` in a fresh process (safe mode,
no custom_objects) with identical predictions; `model.export()` as a SavedModel that serves the
same outputs; under JAX too."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zoo
from tests.helpers import (
    BATCH, build_default, example_inputs, keras_compile_kwargs, keras_fit_data, run_under_jax,
    weights_changed,
)
from zoo import registry

ALL_MODELS = zoo.list_models()
ONE_PER_BUILDER = sorted({registry.get(n).builder: n for n in reversed(ALL_MODELS)}.values())


def test_registry_is_populated():
    assert "mlp" in ALL_MODELS
    assert ALL_MODELS == sorted(ALL_MODELS)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_builds_with_defaults(name):
    entry, model = build_default(name)
    assert model.name == name
    assert entry.family in zoo.FAMILIES
    x = example_inputs(model, entry)
    y = np.asarray(model.predict(x, verbose=0))
    assert y.shape == (BATCH,) + tuple(
        12 if d is None else d for d in model.output_shape[1:])
    assert np.all(np.isfinite(y))
    if model.output_shape[-1] and entry.defaults.get("num_classes"):
        assert model.get_layer("predictions") is not None


def _outputs(y):
    """A model call's output(s) as one NumPy array (outputs of one shape stacked)."""
    import keras

    if isinstance(y, (list, tuple)):
        return np.stack([keras.ops.convert_to_numpy(t) for t in y])
    return np.asarray(keras.ops.convert_to_numpy(y))


USER_PATH_CHUNKS = 4  # fresh interpreters the models are shared among (each imports Keras once)


@pytest.mark.parametrize("chunk", range(USER_PATH_CHUNKS))
def test_keras_user_path(chunk, tmp_path):
    """What a Keras user does with a zoo model, with no zoo helper after `zoo.build`: Keras' own
    `compile` (a loss string for the task) and `fit` (two steps on one batch: the first must
    lower fit's loss or, for a generative model, the steps move every part), `model.save`, then in a fresh interpreter that imports
    only `zoo` and `keras` (in one order for even chunks, the other for odd ones)
    `keras.saving.load_model` in safe mode: equal predictions, the optimizer's step count kept,
    and one more `fit` step runs. Eager steps: tracing a graph per model costs minutes of CI."""
    import keras

    names = ALL_MODELS[chunk::USER_PATH_CHUNKS]
    expected, failures = {}, []
    for name in names:
        keras.utils.set_random_seed(1234)  # each model as if alone, whatever its chunk holds
        entry, model = build_default(name)
        model.compile(**keras_compile_kwargs(model, entry), run_eagerly=True)
        x, y = keras_fit_data(model, entry)
        if entry.task == "generative":
            before = {part: sub.get_weights() for part, sub in model.parts.items()}
            model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
            failures += [f"{name}: two fit steps left the {part} unchanged"
                         for part, sub in model.parts.items()
                         if not weights_changed(before[part], sub)]
        else:
            # two steps on one batch; the first must lower the loss as seen by evaluate
            # (inference mode) or by fit itself (training mode, before each step). Each view
            # alone misleads: one step moves BatchNorm's moving statistics only 10% of the way
            # (separable_cnn's inference loss rose), and fit's loss carries dropout's noise
            # (mlp's rose)
            before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            losses = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
            after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            losses += model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
            if not (np.isfinite(after) and (after < before or losses[1] < losses[0])):
                failures.append(f"{name}: one plain Keras fit step took the loss from "
                                f"{before:.5f} to {after:.5f} (evaluate) and from "
                                f"{losses[0]:.5f} to {losses[1]:.5f} (fit)")
        inputs = example_inputs(model, entry)
        np.savez(tmp_path / f"{name}_x.npz", *(inputs if isinstance(inputs, list) else [inputs]))
        xs = x if isinstance(x, list) else [x]
        np.savez(tmp_path / f"{name}_fit.npz", *xs, **({} if y is None else {"y": y}))
        expected[name] = _outputs(model(inputs, training=False))
        model.save(tmp_path / f"{name}.keras")  # Keras' own save, not zoo.save
    imports = "import zoo\nimport keras" if chunk % 2 == 0 else "import keras\nimport zoo"
    script = textwrap.dedent("""
        import os, sys
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import numpy as np
        {imports}
        from tests.test_models import _outputs
        tmp, names = sys.argv[1], sys.argv[2:]

        def arrays(stem):  # np.savez's positional arrays, in order: one input or a list
            data = np.load(f"{{tmp}}/{{stem}}.npz")
            xs = [data[k] for k in sorted((k for k in data.files if k.startswith("arr_")),
                                          key=lambda k: int(k.split("_")[1]))]
            return xs[0] if len(xs) == 1 else xs

        for name in names:
            model = keras.saving.load_model(f"{{tmp}}/{{name}}.keras")  # safe_mode defaults on
            np.save(f"{{tmp}}/{{name}}_y.npy", _outputs(model(arrays(f"{{name}}_x"),
                                                          training=False)))
            assert int(model.optimizer.iterations) == 2, (name, int(model.optimizer.iterations))
            fit = np.load(f"{{tmp}}/{{name}}_fit.npz")
            model.run_eagerly = True
            model.fit(arrays(f"{{name}}_fit"), fit["y"] if "y" in fit.files else None,
                      epochs=1, verbose=0)
            assert int(model.optimizer.iterations) == 3, (name, int(model.optimizer.iterations))
        print("loaded", len(names))
    """).format(imports=imports)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path), *names],
                          capture_output=True, text=True, timeout=600, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"loaded {len(names)}" in proc.stdout
    for name in names:
        after = np.load(tmp_path / f"{name}_y.npy")
        if not np.allclose(after, expected[name], rtol=1e-5, atol=1e-6):
            failures.append(f"{name}: reloaded predictions differ by up to "
                            f"{np.max(np.abs(after - expected[name])):.3g}")
    assert not failures, "\n".join(failures)


EXPORT_CHUNKS = 3


@pytest.mark.parametrize("chunk", range(EXPORT_CHUNKS))
def test_keras_export_savedmodel(chunk, tmp_path):
    """`model.export(path)` (Keras' own SavedModel export) works for every model, and the
    SavedModel's `serve` endpoint gives the Keras model's outputs."""
    import tensorflow as tf

    failures = []
    for name in ALL_MODELS[chunk::EXPORT_CHUNKS]:
        entry, model = build_default(name)
        inputs = example_inputs(model, entry)
        expected = _outputs(model(inputs, training=False))
        model.export(str(tmp_path / name), verbose=False)
        exported = tf.saved_model.load(str(tmp_path / name))  # kept: serve needs its variables
        got = _outputs(exported.serve(inputs))
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            failures.append(f"{name}: SavedModel serve differs from the Keras model")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_info_is_complete(name):
    info = zoo.model_info(name)
    entry = registry.get(name)
    assert {"family", "task", "input_shape", "defaults", "params", "description"} <= set(info)
    assert info["params"] > 0
    assert info["description"], f"{name} needs a docstring whose first paragraph describes it"
    assert set(info["defaults"]) == set(entry.defaults)
    json.dumps(info, default=list)  # `zoo info --json` must be able to print it


JAX_CHUNKS = 3  # interpreters the builders are shared among (pytest-xdist runs them side by side)


@pytest.mark.parametrize("chunk", range(JAX_CHUNKS))
def test_every_model_builds_and_runs_under_jax(chunk):
    """Builders and layers are backend-portable: every builder (at its first registered name;
    presets share its code) builds under KERAS_BACKEND=jax and gives finite outputs of the right
    batch size; every JAX_CHUNKS-th builder shares one interpreter."""
    names = ONE_PER_BUILDER[chunk::JAX_CHUNKS]
    script = textwrap.dedent(f"""
        import numpy as np, keras, zoo
        from tests.helpers import example_inputs
        from zoo import registry
        assert keras.backend.backend() == "jax"
        for name in {names!r}:
            model = zoo.build(name)
            y = model(example_inputs(model, registry.get(name), n=2))
            y = np.asarray(y[0] if isinstance(y, (list, tuple)) else y)
            assert np.isfinite(y).all() and y.shape[0] == 2, name
        print("ok", len({names!r}))
    """)
    assert names and f"ok {len(names)}" in run_under_jax(script, timeout=600).stdout
