"""zoo.data stays NumPy-only at import, and its NumPy loaders run without TensorFlow at all."""

import doctest
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import zoo
import zoo.data

ROOT = Path(__file__).resolve().parents[2]

# Load zoo.data under a bare `zoo` package, so zoo/__init__.py (owned elsewhere) cannot mask
# what zoo.data itself imports.
_ISOLATED_ZOO = f"""
import sys, types
package = types.ModuleType("zoo")
package.__path__ = [{str(ROOT / "zoo")!r}]
sys.modules["zoo"] = package
"""


def _run(code, env_overrides=None):
    env = {**os.environ, **(env_overrides or {})}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_importing_zoo_data_does_not_import_tensorflow_or_keras():
    out = _run(_ISOLATED_ZOO + """
import zoo.data
print(sorted(name for name in ("tensorflow", "keras", "tensorflow_datasets", "sklearn")
             if name in sys.modules))
""")
    assert out.strip() == "[]"


def test_import_zoo_data_through_the_package_does_not_import_tensorflow():
    out = _run("import sys, zoo.data; print('tensorflow' in sys.modules)",
               {"KERAS_BACKEND": "jax"})
    assert out.strip() == "False"


def test_numpy_loaders_work_without_tensorflow_installed():
    out = _run(_ISOLATED_ZOO + """
sys.modules["tensorflow"] = None  # any `import tensorflow` now raises ImportError
import zoo.data as data
shapes = [
    data.digits(image_size=12, as_numpy=True).train[0].shape,
    data.shapes(n=40, as_numpy=True).train[0].shape,
    data.sequences(task="clips", n=20, as_numpy=True).train[0].shape,
    data.text(task="modules", n=50, as_numpy=True).train[0].shape,
    data.load("sequences:parity", n=20, as_numpy=True).train[0].shape,
]
print(shapes)
try:
    data.digits()
except ImportError:
    print("tf.data needs tensorflow")
""")
    lines = out.strip().splitlines()
    # stratified 70/15/15 (rounded per class) of 1797, 40, 20, 50 and 20 examples
    assert lines[0] == ("[(1259, 12, 12, 1), (24, 32, 32, 3), (12, 8, 16, 16, 1), (30, 64), "
                        "(14, 20, 1)]")
    assert lines[1] == "tf.data needs tensorflow"


EXAMPLES = [zoo.data, zoo.data.Splits, zoo.data.Vocabulary, zoo.data.load, zoo.data.digits,
            zoo.data.shapes, zoo.data.sequences, zoo.data.text, zoo.data.tfds,
            zoo.data.image_folder]


@pytest.mark.parametrize("documented", EXAMPLES, ids=lambda obj: obj.__name__)
def test_docstring_examples_run(documented):
    assert ">>>" in documented.__doc__
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {**vars(zoo.data), "zoo": zoo}
    for test in finder.find(documented, documented.__name__, globs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{documented.__name__}: {result.failed} example(s) failed"
