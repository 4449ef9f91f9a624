"""`.keras` files written before zoo's modules were rearranged still load, with the same outputs:
the registered names ("zoo>GAN", "zoo>FireModule", "zoo>OneCycle", ...) are a contract.
The files were saved by main at 95af30b (tests/fixtures/make_main_fixtures.py)."""

from pathlib import Path

import numpy as np
import pytest

import zoo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "main-95af30b"
FILES = sorted(FIXTURES.glob("*.keras"))


def test_fixtures_are_there():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_from_before_loads_with_the_same_outputs(path):
    import keras

    data = np.load(path.with_suffix(".npz"))
    xs = [data[k] for k in sorted((k for k in data.files if k.startswith("arr_")),
                                  key=lambda k: int(k.split("_")[1]))]
    for model in (zoo.load(path), keras.saving.load_model(path)):
        y = model(xs[0] if len(xs) == 1 else xs, training=False)
        y = (np.stack([keras.ops.convert_to_numpy(t) for t in y]) if isinstance(y, (list, tuple))
             else keras.ops.convert_to_numpy(y))
        np.testing.assert_allclose(y, data["y"], rtol=1e-5, atol=1e-6)
        assert model.compiled
