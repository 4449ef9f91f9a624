"""ONNX export through `tf2onnx` and ONNX Runtime inference (TensorFlow-only module).

`export_onnx(model, path)` writes a `.onnx` file with Keras 3's `model.export(...,
format="onnx")`, which traces the model with TensorFlow and converts the graph with `tf2onnx`.
The file is written to a temporary name, checked (`onnx.checker`, and every node an ONNX
operator: tf2onnx logs an op it cannot convert and writes it anyway) and only then renamed, so
a failed conversion never leaves a half-written or unloadable file.

Two gaps of tf2onnx 1.17 under TensorFlow 2.21 are bridged here:
- TensorFlow writes exact GELU (Keras' `gelu`, in zoo's transformers) as `Erfc`, which tf2onnx
  does not convert; it is registered as `1 - Erf(x)` (ONNX has `Erf` since opset 9).
- Keras' ONNX export needs float32 layers: a model built in a mixed policy (`mixed_bfloat16`,
  `mixed_float16`) is rebuilt in float32 with the same weights first (`float32_model`, which
  `zoo export` also applies before TFLite conversion: TFLite has no bfloat16 kernels).

`predict_onnx(path, x)` runs the file with `onnxruntime` on the CPU. Both need the `onnx`
extra: `pip install "zoo[onnx]"` (tf2onnx, onnxruntime).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

INSTALL = 'pip install "zoo[onnx]" (or: pip install tf2onnx onnxruntime)'


def require() -> None:
    """Raise RuntimeError naming the install command when tf2onnx or onnxruntime is missing."""
    import importlib.util

    missing = [m for m in ("tf2onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(f"ONNX export needs {' and '.join(missing)}, not installed; "
                           f"{INSTALL}")


def export_onnx(model, path, *, opset: int | None = None) -> Path:
    """Write `model` as an ONNX file at `path` (float32 in and out, token ids int32, batch
    dimension free); returns the path. Input names are the Keras model's input names. Raises
    ValueError naming the operators tf2onnx could not convert (nothing is written then)."""
    import onnx

    from zoo.export.saving import atomic_replace

    require()
    _register_erfc()
    path = Path(path)
    model = float32_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with _quiet_tf2onnx():
            model.export(tmp, format="onnx", verbose=False, opset_version=opset)
        graph = onnx.load(tmp)
        unknown = sorted({n.op_type for n in graph.graph.node
                          if not onnx.defs.has(n.op_type, n.domain or "")})
        if unknown:
            raise ValueError(f"export_onnx: tf2onnx cannot convert TensorFlow op(s) "
                             f"{', '.join(unknown)} of {model.name!r}")
        onnx.checker.check_model(graph)
        atomic_replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def predict_onnx(path, x):
    """Outputs of the ONNX file at `path` on NumPy `x`: one array, or {input name: array} for
    a model with several inputs; each is cast to its input's dtype. ONNX Runtime, CPU."""
    import numpy as np
    import onnxruntime

    from zoo.export.saving import named_inputs

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    specs = {s.name: s for s in session.get_inputs()}
    x = named_inputs(x, specs, owner="predict_onnx", path=path)
    dtypes = {"tensor(float)": np.float32, "tensor(int32)": np.int32,
              "tensor(int64)": np.int64, "tensor(double)": np.float64}
    feed = {name: np.asarray(a, dtypes.get(specs[name].type, np.float32))
            for name, a in x.items()}
    return session.run(None, feed)[0]


def float32_model(model):
    """`model` itself when its layers compute in float32, else a float32 copy with its weights
    (Keras' ONNX export refuses mixed policies; TFLite has no bfloat16 kernels)."""
    import keras
    import numpy as np

    policies = {layer.dtype_policy.name for layer in model._flatten_layers(include_self=True)
                if getattr(layer, "dtype_policy", None) is not None}
    if policies <= {"float32"}:
        return model
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        copy = model.__class__.from_config(_float32_config(model.get_config()))
    finally:
        keras.config.set_dtype_policy(before)
    copy.set_weights(model.get_weights())
    # Keras exports only a model that has been called: once, on zeros
    zeros = [np.zeros((1, *(1 if d is None else d for d in i.shape[1:])), i.dtype)
             for i in copy.inputs]
    copy(zeros[0] if len(zeros) == 1 else zeros)
    return copy


def _float32_config(config):
    """`config` with every mixed dtype policy replaced by "float32" (layer names untouched)."""
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy" and isinstance(config.get("config"), dict):
            return {**config, "config": {**config["config"], "name": "float32"}}
        return {k: "float32" if k == "dtype" and isinstance(v, str) and v.startswith("mixed_")
                else _float32_config(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_float32_config(v) for v in config]
    return config


@contextlib.contextmanager
def _quiet_tf2onnx():
    """tf2onnx logs every op it cannot convert (export_onnx names them in its error) and Keras'
    shim warns about `np.object`; ZOO_DEBUG=1 shows them."""
    if os.environ.get("ZOO_DEBUG") == "1":
        yield
        return
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*np.object.*", category=FutureWarning)
            yield
    finally:
        logger.setLevel(level)


_ERFC_REGISTERED = []


def _register_erfc() -> None:
    """Teach tf2onnx TensorFlow's `Erfc` (exact GELU) as 1 - Erf(x), once per process."""
    if _ERFC_REGISTERED:
        return
    import numpy as np
    from tf2onnx import utils
    from tf2onnx.handler import tf_op

    @tf_op("Erfc")
    class Erfc:  # noqa: F841 (registered by the decorator)
        @classmethod
        def version_9(cls, ctx, node, **kwargs):
            dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
            erf = ctx.make_node("Erf", [node.input[0]], op_name_scope=node.name, name="erf")
            one = ctx.make_const(utils.make_name(f"{node.name}_one"), np.array(1, dtype))
            shapes, dtypes = node.output_shapes, node.output_dtypes
            ctx.remove_node(node.name)
            ctx.make_node("Sub", [one.output[0], erf.output[0]], outputs=[node.output[0]],
                          name=node.name, shapes=shapes, dtypes=dtypes)

    _ERFC_REGISTERED.append(Erfc)
