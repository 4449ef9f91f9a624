import os

# quiet TensorFlow's C++ start-up banner before anything imports it
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# XLA is a speed choice, not behaviour: the suite runs without it so that compiling a fresh XLA
# program for every small test model does not eat the CI budget (tests that need XLA ask for it)
os.environ.setdefault("ZOO_JIT_COMPILE", "0")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same seeds (Python, NumPy, backend)."""
    import keras

    keras.utils.set_random_seed(1234)
    yield
