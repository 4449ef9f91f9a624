"""`import zoo` registers zoo's Keras classes for plain `keras.saving.load_model`, whichever of
zoo and Keras is imported first, and whichever zoo module first pulls Keras in."""

import os
import subprocess
import sys
import textwrap

import pytest

import zoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# one model class per kind of registered object: a layer (FireModule), a model class
# (Autoencoder), a sub-model of zoo layers (gpt's TransformerBlock)
NAMES = ("squeezenet", "autoencoder", "gpt")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plain")
    for name in NAMES:
        zoo.build(name).save(folder / f"{name}.keras")  # Keras' own save
    return folder


def _run(code, folder, **env):
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import glob, keras
        for path in sorted(glob.glob({str(folder)!r} + "/*.keras")):
            keras.saving.load_model(path)  # safe mode
        print("loaded", len(glob.glob({str(folder)!r} + "/*.keras")))
    """)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env})


@pytest.mark.parametrize("imports", [
    "import zoo\nimport keras",                      # the hook
    "import keras\nimport zoo",                      # at once
    "import zoo.layers.attention",                   # a zoo module's own `import keras`
    "from zoo.models.cnn import resnet\nresnet()",   # keras through the lazy proxy
])
def test_plain_load_model_after_import_zoo(saved, imports):
    proc = _run(imports, saved)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"loaded {len(NAMES)}" in proc.stdout
    assert "could not register" not in proc.stderr


def test_without_zoo_keras_error_names_the_class(saved):
    """A process that never imports zoo gets Keras' own error, not a zoo crash."""
    proc = _run("", saved)
    assert proc.returncode != 0
    assert "Could not locate class" in proc.stderr or "could not be deserialized" in proc.stderr


def test_import_zoo_imports_no_keras_and_the_hook_leaves_after_registering():
    code = textwrap.dedent("""
        import sys
        import zoo
        from zoo import custom_objects
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
        assert custom_objects._hook in sys.meta_path
        import keras
        assert custom_objects._hook not in sys.meta_path
        assert keras.saving.get_registered_object("zoo>FireModule") is not None
        assert keras.saving.get_registered_object("zoo>GAN") is not None
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]
