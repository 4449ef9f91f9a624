"""`zoo explain RUN IMAGE...` the way a user runs it: on a `zoo finetune` run (the shipped
zoo_mobilenet_synthetic backbone nested as one functional model, its BatchNorm frozen with
`--batchnorm inference`, augmentation layers in the graph) trained on small shapes drawn at
random places, then asked about shapes drawn in a known quadrant of a plain background: the
Grad-CAM mass lies on the shape (measured: 4.1x to 6.4x the shape's box area fraction, median
5.2x; 74-97% of the mass in the shape's quadrant). The maps equal the classic CAM of the
nested backbone's last feature map and the head's kernel (exact for GAP -> Dense), and the
probabilities equal model.predict's; bad requests are one line, exit code 2, nothing written."""

import numpy as np
import pytest

import zoo
from zoo.cli import main

pytestmark = pytest.mark.slow  # the module's fixture fine-tunes a backbone (~15 s alone)

CLASSES = ("circle", "square", "triangle")
SIZE = 64  # the backbone's stride is 8: an 8x8 last feature map


def draw(rng, kinds, centre_y, centre_x, radius_fraction):
    from zoo.data.images import draw_masks, paint

    radius = np.asarray(radius_fraction) * SIZE
    masks = draw_masks(kinds, centre_y, centre_x, radius, height=SIZE, width=SIZE)
    return masks, paint(masks, rng, channels=3, noise=0.0)


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    import keras

    root = tmp_path_factory.mktemp("explain")
    rng = np.random.default_rng(0)
    n = 120
    y = rng.permutation(np.arange(n) % len(CLASSES))
    radius = rng.uniform(0.12, 0.2, n)
    centre_y = rng.uniform(radius * SIZE, SIZE - radius * SIZE)
    centre_x = rng.uniform(radius * SIZE, SIZE - radius * SIZE)
    _, x = draw(rng, [CLASSES[c] for c in y], centre_y, centre_x, radius)
    for i, (image, label) in enumerate(zip(x, y)):
        folder = root / "images" / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        keras.utils.save_img(folder / f"{i:04d}.png", image * 255.0, scale=False)
    run = root / "run"
    assert main(["finetune", "--data", str(root / "images"), "--out", str(run),
                 "--image-size", str(SIZE), "--epochs", "3", "--finetune-epochs", "2",
                 "--learning-rate", "3e-3", "--batch-size", "16",
                 "--batchnorm", "inference",
                 # one GAP -> Dense classifier, so Grad-CAM is exactly CAM below (a probe-averaged
                 # run is explained in tests/transfer/test_finetune_recipe.py)
                 "--probe", "never"]) == 0

    # held-out images: one shape per image, in a known quadrant (0 1 / 2 3), plain background
    count = 12
    quadrant = np.arange(count) % 4
    labels = np.arange(count) % len(CLASSES)
    centre_y = np.where(quadrant // 2 == 0, 0.25, 0.75) * SIZE + rng.uniform(-3, 3, count)
    centre_x = np.where(quadrant % 2 == 0, 0.25, 0.75) * SIZE + rng.uniform(-3, 3, count)
    masks, x = draw(rng, [CLASSES[c] for c in labels], centre_y, centre_x, [0.15] * count)
    (root / "held_out").mkdir()
    files = []
    for i, image in enumerate(x):
        files.append(str(root / "held_out" / f"{i:02d}_{CLASSES[labels[i]]}.png"))
        keras.utils.save_img(files[-1], image * 255.0, scale=False)
    return run, files, masks, quadrant, labels


def test_explain_cli_heatmaps_lie_on_the_object(finetuned, tmp_path, capsys):
    import matplotlib.image

    run, files, masks, quadrant, labels = finetuned
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(b"not an image")
    out = tmp_path / "cams"
    capsys.readouterr()
    assert main(["explain", str(run), *files, str(corrupt), "--out", str(out),
                 "--save-maps"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[-1] == (f"zoo explain: 12 explained at layer 'head_relu6', 1 skipped; "
                         f"wrote {out}")  # the backbone's last spatial layer, nested
    assert f"skipped {corrupt}" in captured.err
    correct, box_ratios, quadrant_mass = 0, [], []
    for i, (file, line) in enumerate(zip(files, lines[:-1])):
        stem = file.rsplit("/", 1)[-1][:-4]
        png = out / f"{stem}_gradcam.png"
        name, probability, written = line.split()[1:]
        assert line.startswith(f"{file}  ") and written == str(png)
        assert name in CLASSES and 0.0 < float(probability) <= 1.0
        correct += name == CLASSES[labels[i]]
        picture = matplotlib.image.imread(png)
        assert picture.ndim == 3 and min(picture.shape[:2]) >= 300  # a real, viewable PNG
        cam = np.load(out / f"{stem}_gradcam.npy")
        assert cam.shape == (SIZE, SIZE) and cam.min() >= 0.0 and cam.max() == pytest.approx(1)
        rows, cols = np.flatnonzero(masks[i].any(1)), np.flatnonzero(masks[i].any(0))
        box = np.zeros((SIZE, SIZE), bool)
        box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
        box_ratios.append(cam[box].sum() / cam.sum() / box.mean())
        half = SIZE // 2
        top, left = (quadrant[i] // 2) * half, (quadrant[i] % 2) * half
        quadrant_mass.append(cam[top:top + half, left:left + half].sum() / cam.sum())
    assert not (out / "broken_gradcam.png").exists()
    assert correct >= 10, correct  # the model knows the shapes, so the maps explain something
    # a map that ignored the object would put ~1x the box's area fraction inside it
    assert sum(r >= 2.0 for r in box_ratios) >= 11, np.round(box_ratios, 2)
    assert np.median(box_ratios) >= 3.0, np.round(box_ratios, 2)
    assert sum(m >= 0.5 for m in quadrant_mass) >= 11, np.round(quadrant_mass, 2)


def test_maps_are_grad_cam_of_the_nested_backbone_in_inference_mode(finetuned, tmp_path):
    """With GAP -> Dense on top, Grad-CAM at the last feature map A is exactly CAM:
    ReLU(sum_k W[k, c] A_k), computed here from a sub-model of the nested backbone; and the
    probabilities are model.predict's (augmentation off, frozen BatchNorm on its statistics)."""
    import keras

    from zoo.data.images import resize_bilinear
    from zoo.inference.predict import decode
    from zoo.inference.runs import open_run

    run, files, *_ = finetuned
    opened = open_run(run)
    model = opened.model
    nested = [layer for layer in model.layers if hasattr(layer, "layers")]
    assert [layer.name for layer in nested] == ["zoo_mobilenet_synthetic"]  # really nested
    batchnorm = [layer for layer in nested[0].layers
                 if isinstance(layer, keras.layers.BatchNormalization)]
    assert batchnorm and not any(layer.trainable for layer in batchnorm)  # really frozen
    assert any(layer.name.startswith("augment_") for layer in model.layers)

    result = zoo.explain(run, files, out=tmp_path / "cams")
    images, kept, _ = decode(files, opened)
    x = np.stack(images)
    expected = model.predict(x, verbose=0)
    picked = np.argmax(expected, -1)
    np.testing.assert_allclose(result.probabilities, expected[np.arange(len(x)), picked],
                               atol=1e-5)
    features = keras.Model(nested[0].inputs, nested[0].get_layer("head_relu6").output)(
        [x], training=False)
    kernel = keras.ops.convert_to_numpy(model.get_layer("predictions").kernel)
    cam = np.maximum(np.einsum("nhwk,kn->nhw", np.asarray(features), kernel[:, picked]), 0)
    cam = resize_bilinear(cam, (SIZE, SIZE))
    cam /= cam.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(result.maps, cam, atol=1e-4)
    assert len(list((tmp_path / "cams").glob("*_gradcam.png"))) == len(files)

    # BatchNorm that could train (zoo finetune's default --batchnorm train) must still use its
    # moving statistics: the same maps and probabilities once every BatchNorm is trainable
    from zoo.inference.explain import find_layer, gradcam

    for layer in batchnorm:
        layer.trainable = True
    maps, probabilities = gradcam(model, x, find_layer(model))
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    np.testing.assert_allclose(maps, cam, atol=1e-4)



def test_class_and_layer_options(finetuned, tmp_path, capsys):
    """--class explains another class than the predicted one; --layer reads an earlier, finer
    (16x16) map inside the nested backbone."""
    run, files, *_ = finetuned
    out = tmp_path / "square"
    capsys.readouterr()
    assert main(["explain", str(run), *files[:3], "--class", "square", "--layer",
                 "stack3_block3_add", "--out", str(out), "--save-maps"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("zoo explain: 3 explained at layer 'stack3_block3_add', ")
    probabilities = zoo.predict(run, files[:3], top_k=3)
    for line, top in zip(lines, probabilities.top):
        name, probability = line.split()[1:3]
        assert name == "square"
        assert float(probability) == pytest.approx(dict(top)["square"], abs=1e-3)
    default = zoo.explain(run, files[:3], write=False)
    assert default.written == [] and default.out is None
    for file, cam in zip(files[:3], default.maps):
        stem = file.rsplit("/", 1)[-1][:-4]
        assert not np.allclose(np.load(out / f"{stem}_gradcam.npy"), cam, atol=0.05)


def test_bad_requests_are_one_line_exit_2_and_write_nothing(finetuned, tmp_path, capsys):
    run, files, *_ = finetuned
    text_run = tmp_path / "mlp"
    assert main(["train", "mlp", "--data", "digits", "--epochs", "1", "--out", str(text_run),
                 "--no-tensorboard"]) == 0
    out = tmp_path / "cams"
    cases = [
        ([str(text_run), files[0]], "not images"),
        ([str(run), files[0], "--layer", "head_rela6"], "(did you mean 'head_relu6'"),
        ([str(run), files[0], "--layer", "predictions"], "not a spatial"),
        ([str(run), files[0], "--class", "hexagon"], "unknown class 'hexagon'"),
        ([str(run), files[0], str(tmp_path / "missing.png")], "missing.png"),
        ([str(tmp_path), files[0]], "without model.keras"),
    ]
    for argv, message in cases:
        capsys.readouterr()
        assert main(["explain", *argv, "--out", str(out)]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("zoo explain: error:"), err
        assert message in err[0], (message, err[0])
        assert not out.exists(), argv
