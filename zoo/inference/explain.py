"""`zoo explain RUN IMAGE... --out DIR`: Grad-CAM heatmaps (Selvaraju et al., ICCV 2017) of an
image run's decision, one PNG per image: the image with the map of where the evidence for a
class lies drawn over it.

    L^c = ReLU(sum_k alpha_k^c A^k),  alpha_k^c = mean_ij d y^c / d A^k_ij

A is the feature map of one spatial layer (default: the last layer with a (H, W, C) output,
the one global pooling reads), y^c the class score before the softmax (the Dense head's
activation is left out for the gradient, as the paper does: the softmax saturates at p ~ 1).
The map is upsampled bilinearly to the image and scaled to [0, 1].

A fine-tuned model nests its backbone as one functional model, and
`keras.Model(model.inputs, [backbone.get_layer(x).output, model.output])` then fails with
"Graph disconnected" (keras-team/keras#16355). So no sub-model is built: the model's graph is
run here, layer by layer, descending into nested models, every layer called with
`training=False` (augmentation is the identity, Dropout is off, BatchNorm -- frozen or not --
uses its moving statistics, exactly as `model.predict`), and the target layer's output is
taken from that one forward pass. The gradient is TensorFlow's `GradientTape`, so this module
is TensorFlow-only (as image decoding already is).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import numpy as np

from zoo.inference.predict import decode, image_inputs
from zoo.inference.runs import open_run

HEATMAP_ALPHA = 0.45  # the heatmap's opacity over the image


@dataclasses.dataclass
class Explanation:
    files: list            # the images explained, in order
    classes: list          # per file: the class explained
    probabilities: list    # per file: the model's probability of that class
    predicted: list        # per file: the model's top class
    maps: np.ndarray       # (N, H, W) Grad-CAM at the model's input size, each in [0, 1]
    layer: str             # the layer whose feature map was used
    skipped: list          # [(file, reason), ...]
    written: list          # per file: the PNG written (empty when out was not written)
    out: Path | None = None

    def lines(self):
        for file, name, p, png in zip(self.files, self.classes, self.probabilities,
                                      self.written or [None] * len(self.files)):
            yield f"{file}  {name} {p:.3f}" + (f"  {png}" if png else "")

    def summary(self) -> str:
        where = f"; wrote {self.out}" if self.written else ""
        return (f"zoo explain: {len(self.files)} explained at layer {self.layer!r}, "
                f"{len(self.skipped)} skipped{where}")


def explain(run, images, *, out=None, layer=None, class_name=None, batch_size: int = 32,
            save_maps: bool = False, write: bool = True) -> Explanation:
    """Grad-CAM of `run` (a run folder or a `.keras` file) for every image in `images` (files
    and folders); writes `out/STEM_gradcam.png` per image (and `STEM_gradcam.npy`, the map at
    the model's input size, with `save_maps`). `out` defaults to RUN/explain/ for a run folder.
    `layer`: a layer name, nested models searched (default: the last spatial layer).
    `class_name`: explain this class for every image (default: each image's predicted class).
    Nothing is written unless every image named exists and the run, layer and class are valid;
    `write=False` writes nothing at all (the maps are in the result).
    Example: `zoo.explain("runs/ft", ["photos/cat.png"], out="cams")`."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"zoo explain: batch_size must be an int >= 1, got {batch_size!r}")
    files = _image_files(images)  # before loading the model: a typo fails at once
    run = open_run(run)
    if len(run.input_shape) != 3:
        raise ValueError(f"zoo explain: {str(run.path)!r} takes inputs of shape "
                         f"{run.input_shape}, not images (H, W, C); Grad-CAM needs an image "
                         "model")
    if None in run.input_shape:
        raise ValueError(f"zoo explain: {str(run.path)!r} takes images of any size "
                         f"{run.input_shape}; Grad-CAM here needs a model with a fixed input size")
    target = find_layer(run.model, layer)
    class_index = None
    if class_name is not None:
        if str(class_name) not in run.class_names:
            raise ValueError(f"zoo explain: unknown class {class_name!r}; the run's classes "
                             f"are {run.class_names}")
        class_index = run.class_names.index(str(class_name))
    if write:
        if out is None:
            if not run.path.is_dir():
                raise ValueError("zoo explain: give out= (--out) when explaining a .keras file")
            out = run.path / "explain"
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise FileExistsError(f"zoo explain: --out {str(out)!r} is a file, not a folder")
    decoded, kept, skipped = decode(files, run)
    maps, chosen, probabilities, predicted = [], [], [], []
    for start in range(0, len(kept), batch_size):
        x = np.stack(decoded[start:start + batch_size]).astype(np.float32)
        cam, probs = gradcam(run.model, x, target, class_index)
        picked = (np.argmax(probs, -1) if class_index is None
                  else np.full(len(x), class_index))
        maps.append(cam)
        chosen += [int(c) for c in picked]
        probabilities += [float(probs[i, c]) for i, c in enumerate(picked)]
        predicted += [run.class_names[int(i)] for i in np.argmax(probs, -1)]
    height, width = run.input_shape[:2]
    maps = np.concatenate(maps) if maps else np.zeros((0, height, width), np.float32)
    result = Explanation(kept, [run.class_names[c] for c in chosen], probabilities, predicted,
                         maps, target.name, skipped, [], out if write else None)
    if write and kept:
        _write(result, run, out, save_maps)
    return result


def _image_files(images):
    if isinstance(images, (str, Path)):
        images = [images]
    for item in images:
        if not Path(item).exists():
            raise FileNotFoundError(f"zoo explain: no file or folder at {str(item)!r}")
    try:
        return image_inputs(images)
    except ValueError as err:  # a folder without images; its message names zoo predict
        raise ValueError(str(err).replace("zoo predict:", "zoo explain:")) from None


def _graph(layer):
    """The functional graph of a nested model (a Sequential's inner one), else None."""
    graph = getattr(layer, "_functional", None) or layer
    return graph if callable(getattr(graph, "_run_through_graph", None)) else None


def _walk(model):
    """Every layer of `model` in graph order, nested models and then their layers."""
    for layer in model.layers:
        yield layer
        if _graph(layer) is not None:
            yield from _walk(layer)


def _output_shape(layer):
    """A layer's output shape, or None when it has none or several (it is called twice)."""
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def spatial_layers(model) -> list:
    """Leaf layers (nested models expanded) whose output is a (batch, H, W, C) map, in graph
    order; layers called more than once (no single output) are left out."""
    return [layer for layer in _walk(model)
            if _graph(layer) is None and layer.__class__.__name__ != "InputLayer"
            and len(_output_shape(layer) or ()) == 4]


def find_layer(model, name=None):
    """The layer Grad-CAM reads: `name` (searched in nested models too; the last layer of that
    name in graph order), which must output a (H, W, C) map; by default the last such layer
    whose map is more than 1x1."""
    spatial = spatial_layers(model)
    wide = [layer for layer in spatial if _cells(layer) != 1]  # a 1x1 map shows no place
    default = (wide or spatial or [None])[-1]
    if name is None:
        if default is None:
            raise ValueError(f"zoo explain: model {model.name!r} has no layer with a spatial "
                             "(H, W, C) output; Grad-CAM needs a convolutional model")
        return default
    # a name in two nested models (a finetune run averaged with a linear probe holds the
    # backbone twice, the probe's first) is the last one's, as the default is: the fine-tuned one
    for layer in reversed(spatial):
        if layer.name == name:
            return layer
    named = [layer for layer in _walk(model) if layer.name == name]
    default = f"; the default is {default.name!r}" if default else ""
    if named:
        shape = _output_shape(named[0]) or "several shapes (it is called more than once)"
        raise ValueError(f"zoo explain: layer {name!r} outputs {shape}, not a spatial "
                         f"(batch, H, W, C) map; choose a convolutional layer{default}")
    close = difflib.get_close_matches(name, [layer.name for layer in spatial], n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    span = (f"; its {len(spatial)} spatial layers run from {spatial[0].name!r} to "
            f"{spatial[-1].name!r}" if spatial else "")
    raise ValueError(f"zoo explain: no layer {name!r} in model {model.name!r}{hint}{span}"
                     f"{default}")


def _cells(layer):
    height, width = layer.output.shape[1:3]
    return None if height is None or width is None else height * width


def _final_op(model):
    """The leaf layer that computes the model's output (nested models descended into)."""
    op = model.outputs[0]._keras_history.operation
    while _graph(op) is not None:
        op = _graph(op).outputs[0]._keras_history.operation
    return op


def forward(model, x, target, tape=None):
    """(scores, probabilities, features) of `model` on images `x`, every layer called with
    training=False: scores are the head's pre-activation outputs (logits) when its activation
    is softmax or sigmoid, features the output of layer `target` (watched by `tape`)."""
    import keras

    final = _final_op(model)
    squash = getattr(final, "activation", None)
    squash = squash if squash in (keras.activations.softmax, keras.activations.sigmoid) else None
    taken = {"features": [], "scores": None}

    def run_graph(container, inputs):
        return _graph(container)._run_through_graph(inputs, operation_fn=wrap)

    def wrap(op):
        def call(*args, **kwargs):
            if _graph(op) is not None:
                out = run_graph(op, args[0] if len(args) == 1 else list(args))
            else:
                if "training" in getattr(op, "_call_context_args", ()):
                    kwargs["training"] = False
                if op is final and squash is not None:
                    op.activation = keras.activations.linear
                    try:
                        logits = op(*args, **kwargs)
                    finally:
                        op.activation = squash
                    taken["scores"] = logits
                    out = squash(logits)
                else:
                    out = op(*args, **kwargs)
            if op is target:
                if tape is not None:
                    tape.watch(out)
                taken["features"].append(out)
            return out
        return call

    probabilities = run_graph(model, [keras.ops.convert_to_tensor(x)])
    if isinstance(probabilities, (list, tuple)):
        probabilities = probabilities[0]
    if not taken["features"]:
        raise ValueError(f"zoo explain: layer {target.name!r} lies inside a model whose graph "
                         "cannot be opened (a subclassed model); choose a layer outside it")
    if len(taken["features"]) > 1:
        raise ValueError(f"zoo explain: layer {target.name!r} ran {len(taken['features'])} "
                         "times in one forward pass; choose a layer used once")
    scores = probabilities if taken["scores"] is None else taken["scores"]
    return scores, probabilities, taken["features"][0]


def gradcam(model, x, target, class_index=None):
    """(maps (N, H, W) at x's size, each scaled to [0, 1], probabilities (N, classes)) for
    images `x` already scaled as the model expects; the class is `class_index`, else each
    image's top class. A map with no positive evidence is all zeros."""
    import tensorflow as tf

    from zoo.data.images import resize_bilinear

    with tf.GradientTape() as tape:
        scores, probabilities, features = forward(model, x, target, tape)
        probabilities = tf.cast(probabilities, tf.float32)
        picked = (tf.argmax(probabilities, axis=-1, output_type=tf.int32) if class_index is None
                  else tf.fill([tf.shape(probabilities)[0]], class_index))
        score = tf.reduce_sum(tf.gather(tf.cast(scores, tf.float32), picked, axis=1,
                                        batch_dims=1))
    grads = tape.gradient(score, features)
    if grads is None:
        raise ValueError(f"zoo explain: the class score does not depend on layer "
                         f"{target.name!r}; choose a layer below the head")
    features = np.asarray(features, np.float32)
    grads = np.asarray(grads, np.float32)
    alpha = grads.mean(axis=(1, 2))                                      # (N, K)
    cam = np.maximum(np.einsum("nhwk,nk->nhw", features, alpha), 0.0)    # (N, h, w)
    cam = resize_bilinear(cam, tuple(x.shape[1:3]))
    peak = cam.max(axis=(1, 2), keepdims=True)
    cam = np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)
    return cam, np.asarray(probabilities)


def _names(files):
    """An output stem per file: the file's stem, its parent folder's name added where two
    files share a stem, a counter where that still clashes."""
    from collections import Counter

    stems = Counter(Path(f).stem for f in files)
    names = [Path(f).stem if stems[Path(f).stem] == 1 else f"{Path(f).parent.name}_{Path(f).stem}"
             for f in files]
    clashes, seen, unique = Counter(names), Counter(), []
    for name in names:
        seen[name] += 1
        unique.append(name if clashes[name] == 1 else f"{name}_{seen[name]}")
    return unique


def _write(result, run, out, save_maps):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import tensorflow as tf

    from zoo.data.images import resize_bilinear
    from zoo.train.plots import save_figure

    out.mkdir(parents=True, exist_ok=True)
    channels = run.input_shape[2]
    for file, name, cam, label, p in zip(result.files, _names(result.files), result.maps,
                                         result.classes, result.probabilities):
        # the file at its own resolution, the map stretched over it
        image = tf.io.decode_image(tf.io.read_file(file), channels=channels,
                                   expand_animations=False).numpy()
        heat = resize_bilinear(cam[None], image.shape[:2])[0]
        width, height = 4.0 / max(image.shape[:2]) * np.array(image.shape[1::-1])
        fig = plt.figure(figsize=(width, height + 0.3))  # 0.3 inch for the title
        ax = fig.add_axes((0, 0, 1, height / (height + 0.3)))
        ax.imshow(image[..., 0] if channels == 1 else image,
                  cmap="gray" if channels == 1 else None)
        ax.imshow(heat, cmap="jet", alpha=HEATMAP_ALPHA, vmin=0.0, vmax=1.0)
        ax.set_axis_off()
        fig.text(0.5, 1 - 0.15 / (height + 0.3), f"{label} {p:.3f}  (Grad-CAM, {result.layer})",
                 fontsize=8, ha="center", va="center")
        png = save_figure(fig, out / f"{name}_gradcam.png")
        if save_maps:
            _save_npy(out / f"{name}_gradcam.npy", cam)
        result.written.append(png)


def _save_npy(path, array):
    import os
    import tempfile

    from zoo.export.saving import atomic_replace

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array)
        atomic_replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
