"""Every registered model, checked the same way: build at defaults, output shape, finite outputs,
one training step lowers the loss, and its .keras file reloads in a fresh process (safe mode, no
custom_objects) with identical predictions."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zoo
from tests.helpers import (
    BATCH, build_default, example_inputs, example_targets, example_training_data, run_under_jax,
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


# a "generative" model trains itself (a GAN's two losses pull against each other, so "the loss
# falls" is ill-defined): it is checked by test_one_generative_step_updates_every_part instead
GENERATIVE = [n for n in ALL_MODELS if registry.get(n).task == "generative"]


@pytest.mark.parametrize("name", [n for n in ALL_MODELS if n not in GENERATIVE])
def test_one_training_step_lowers_loss(name):
    """Eagerly: tracing a graph for one step of a MobileNet cost ~45 s of CI time, and the
    compiled paths are exercised by every learning test (tests/models) and by zoo.train."""
    entry, model = build_default(name)
    zoo.train.compile_model(model, task=entry.task, learning_rate=1e-3, run_eagerly=True)
    x = example_inputs(model, entry)
    y = x if entry.task == "autoencoder" else example_targets(model, entry)
    before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.train_on_batch(x, y)
    after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert np.isfinite(before) and np.isfinite(after)
    assert after < before, f"{name}: loss {before:.5f} -> {after:.5f} after one step"


@pytest.mark.parametrize("name", GENERATIVE)
def test_one_generative_step_updates_every_part(name):
    """One train_on_batch reports at least two losses, all finite, and changes the weights of
    every part the model trains (generator and discriminator; encoder and decoder)."""
    entry, model = build_default(name)
    zoo.train.compile_model(model, task=entry.task, learning_rate=1e-3)
    x, y = example_training_data(model, entry)
    before = {part: sub.get_weights() for part, sub in model.parts.items()}
    logs = model.train_on_batch(x, y, return_dict=True)
    assert len(logs) >= 2 and all(np.isfinite(v) for v in logs.values()), logs
    for part, sub in model.parts.items():
        assert weights_changed(before[part], sub), f"{name}: one step left the {part} unchanged"


def _outputs(y):
    """A model call's output(s) as one NumPy array (outputs of one shape stacked)."""
    import keras

    if isinstance(y, (list, tuple)):
        return np.stack([keras.ops.convert_to_numpy(t) for t in y])
    return np.asarray(keras.ops.convert_to_numpy(y))


@pytest.fixture(scope="module")
def reloaded(tmp_path_factory):
    """Save every model, reload all of them in ONE fresh interpreter, return both predictions."""
    tmp = tmp_path_factory.mktemp("saved")
    expected, jobs = {}, []
    for name in ALL_MODELS:
        entry, model = build_default(name)
        x = example_inputs(model, entry)
        xs = x if isinstance(x, list) else [x]
        np.savez(tmp / f"{name}_x.npz", *xs)
        # called, not predict(): tracing a predict graph per model cost ~100 s of CI time
        expected[name] = _outputs(model(x, training=False))
        zoo.save(model, tmp / f"{name}.keras")
        jobs.append(name)
    script = textwrap.dedent(f"""
        import os
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import numpy as np, keras
        import zoo.layers  # registers zoo's serializable layers, as zoo.load does
        from tests.test_models import _outputs
        tmp = {str(tmp)!r}
        for name in {jobs!r}:
            model = keras.saving.load_model(f"{{tmp}}/{{name}}.keras")  # safe_mode defaults on
            data = np.load(f"{{tmp}}/{{name}}_x.npz")
            xs = [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]
            y = model(xs[0] if len(xs) == 1 else xs, training=False)
            np.save(f"{{tmp}}/{{name}}_y.npy", _outputs(y))
    """)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {name: (expected[name], np.load(tmp / f"{name}_y.npy")) for name in jobs}


@pytest.mark.parametrize("name", ALL_MODELS)
def test_reloads_in_fresh_process_with_identical_predictions(reloaded, name):
    before, after = reloaded[name]
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)


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
