import os

# quiet TensorFlow's C++ start-up banner before anything imports it
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# XLA is a speed choice, not behaviour: the suite runs without it so that compiling a fresh XLA
# program for every small test model does not eat the CI budget (tests that need XLA ask for it)
os.environ.setdefault("ZOO_JIT_COMPILE", "0")

# under pytest-xdist each worker gets its share of the cores: TensorFlow's default (a thread
# pool as wide as the machine per process) oversubscribes them. Measured on 2 cores, the CNN
# learning tests with -n 2: 187 s wall (299 s user) with TensorFlow's default, 172 s (250 s) with
# one thread per worker
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _workers > 1:
    _threads = str(max(1, (os.cpu_count() or 1) // _workers))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _threads)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", _threads)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same seeds (Python, NumPy, backend)."""
    import keras

    keras.utils.set_random_seed(1234)
    yield


def pytest_collection_modifyitems(config, items):
    """The `slow` learning tests run first: under pytest-xdist a minute-long test that starts
    last keeps one worker busy while the others idle, so the short tests go at the end, where
    they even out the workers' finishing times."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: order kept
