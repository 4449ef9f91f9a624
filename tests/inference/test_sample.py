"""`zoo sample RUN --n N --out grid.png` the way a user runs it: on run folders `zoo train`
makes here (a VAE, a DCGAN, a class-conditional DCGAN, one epoch each on the digits zoo ships,
and an MLP classifier for the refusal): the PNG has the size the grid promises and holds the
very images the Python twin returns; a seed gives the same grid again, another seed another;
a conditional GAN draws the class asked for; bad requests are one line, exit code 2, and leave
any file already at --out as it was."""

import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.cli import main
from zoo.inference.sample import PAD, PAD_VALUE

RUNS = {
    "vae": ["--set", "hidden_units=(32,)"],
    "dcgan": ["--set", "filters=(16, 8)", "--set", "latent_dim=8"],
    "conditional_dcgan": ["--set", "filters=(16, 8)", "--set", "latent_dim=8"],
    "mlp": [],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    for name, extra in RUNS.items():
        assert main(["train", name, "--data", "digits", "--epochs", "1", "--out",
                     str(root / name), "--no-tensorboard", *extra]) == 0
    return root


def _png(path):
    with Image.open(path) as image:
        return image.mode, image.size, np.asarray(image)


def _tile(grid, index, columns, side):
    r, c = divmod(index, columns)
    top, left = PAD + r * (side + PAD), PAD + c * (side + PAD)
    return grid[top:top + side, left:left + side]


@pytest.mark.parametrize("name, argv, rows, columns, scale", [
    ("vae", ["--n", "12"], 2, 10, 8),                                   # defaults: 10 wide, 64 px
    ("dcgan", ["--n", "6", "--columns", "3", "--scale", "2"], 2, 3, 2),
])
def test_grid_size_content_and_seed(runs, tmp_path, capsys, name, argv, rows, columns, scale):
    run, n = runs / name, int(argv[1])
    first, again, other = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    for out, seed in ((first, "1"), (again, "1"), (other, "2")):
        assert main(["sample", str(run), *argv, "--seed", seed, "--out", str(out)]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"zoo sample: {n} images from {name} (seed 2), {rows} x {columns}")
    assert summary.endswith(f"wrote {other}")
    side = 8 * scale  # digits are 8x8
    mode, size, grid = _png(first)
    assert mode == "L"
    assert size == (columns * (side + PAD) + PAD, rows * (side + PAD) + PAD)
    assert np.array_equal(grid, _png(again)[2])                       # same seed, same image
    assert np.mean(np.abs(grid.astype(int) - _png(other)[2])) > 1.0   # another seed, another
    # the PNG holds the images the Python twin draws, upscaled, framed in grey
    images = zoo.sample(run, n, seed=1).images
    assert images.shape == (n, 8, 8, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.std() > 0.01
    for i in range(n):
        expected = np.kron(np.round(images[i, ..., 0] * 255), np.ones((scale, scale)))
        assert np.array_equal(_tile(grid, i, columns, side), expected.astype(np.uint8)), i
    assert (grid[:PAD] == PAD_VALUE).all() and (grid[:, :PAD] == PAD_VALUE).all()
    if n < rows * columns:  # the empty places of the last row stay grey
        assert (_tile(grid, rows * columns - 1, columns, side) == PAD_VALUE).all()
    # a .keras file samples as its run folder does
    assert np.array_equal(zoo.sample(run / "model.keras", n, seed=1).images, images)


def test_conditional_gan_draws_the_class_asked_for(runs, tmp_path, capsys):
    run = runs / "conditional_dcgan"
    cycling = zoo.sample(run, 12, seed=0)
    assert cycling.labels == [str(i % 10) for i in range(12)]  # the run's class names
    three = zoo.sample(run, 12, seed=0, label="3")
    assert three.labels == ["3"] * 12
    # the same noise under another label is another image; under the same label the same
    assert np.array_equal(three.images[3], cycling.images[3])
    assert np.abs(three.images[5] - cycling.images[5]).max() > 1e-3
    out = tmp_path / "threes.png"
    assert main(["sample", str(run), "--n", "4", "--label", "3", "--out", str(out)]) == 0
    assert _png(out)[1] == (4 * (64 + PAD) + PAD, 64 + 2 * PAD)
    assert main(["sample", str(run), "--label", "cat", "--out", str(tmp_path / "x.png")]) == 2
    assert "unknown label 'cat'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("name, argv, message", [
    ("mlp", [], "holds 'mlp', a classification model, which has no prior to draw images from; "
                "zoo sample needs a VAE or GAN run (conditional_dcgan, "),
    ("vae", ["--n", "0"], "n must be an int in 1..1024, got 0"),
    ("vae", ["--seed", "-1"], "seed must be an int >= 0, got -1"),
    ("dcgan", ["--label", "3"], "needs a class-conditional GAN"),
])
def test_bad_requests_are_one_line_and_write_nothing(runs, tmp_path, capsys, name, argv,
                                                     message):
    out = tmp_path / "grid.png"
    out.write_bytes(b"an earlier grid")
    assert main(["sample", str(runs / name), *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zoo sample: error: ") and message in err[0]
    if name == "mlp":
        assert str(runs / name) in err[0]  # names the run
    assert out.read_bytes() == b"an earlier grid"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]


def test_not_a_png_and_a_failed_write_leave_the_old_file(runs, tmp_path, capsys, monkeypatch):
    assert main(["sample", str(runs / "vae"), "--out", str(tmp_path / "grid.jpg")]) == 2
    assert "out must be a .png file" in capsys.readouterr().err
    out = tmp_path / "grid.png"
    out.write_bytes(b"an earlier grid")

    def crash(self, fp, *args, **kwargs):  # half a file, then the disk fills up
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", crash)
    with pytest.raises(OSError):
        zoo.sample(runs / "vae", 4, out=out)
    assert out.read_bytes() == b"an earlier grid"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]  # no temp file left
