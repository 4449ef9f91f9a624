"""benchmarks/gpu_smoke.py runs where GPU machines are: KERAS_BACKEND=jax, no TensorFlow (nor
tensorflow-datasets, keras-tuner, scikit-learn, matplotlib). Checked here on CPU with those
blocked, at tiny sizes; one family keeps it cheap (the GPU run covers all of them)."""

import textwrap

from tests.helpers import run_under_jax


def test_smoke_trains_under_jax_with_tensorflow_unimportable():
    script = textwrap.dedent("""
        import sys
        from benchmarks.gpu_smoke import main
        code = main(["--tiny", "--block-tensorflow", "--families", "dense"])
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            print("tensorflow blocked")
        sys.exit(code)
    """)
    out = run_under_jax(script, timeout=300).stdout
    assert "tensorflow blocked" in out
    assert "tensorflow imported: no; 1/1 families ok" in out
    line = next(line for line in out.splitlines() if line.startswith("dense"))
    assert "mlp" in line and "steps/s" in line and "loss" in line
