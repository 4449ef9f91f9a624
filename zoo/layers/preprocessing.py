"""`ImagePreprocessing`: a backbone's own input preprocessing as a serializable layer.

Every pretrained network expects its own input: MobileNet v1/v2 [-1, 1], MobileNetV3 and
EfficientNet [0, 255] (they rescale inside), ResNet50 "caffe" (BGR, ImageNet mean subtracted).
The layer maps the range the user feeds (`input_range`, [0, 1] for zoo's datasets, [0, 255] for
`zoo.data.image_folder`) onto what the network wants, so users never need to know.
"""

import warnings

from zoo._lazy import keras


@keras.saving.register_keras_serializable(package="zoo")
class ImagePreprocessing(keras.layers.Layer):
    """y = ((x - in_lo) / (in_hi - in_lo) * (out_hi - out_lo) + out_lo)[, RGB->BGR] - mean) / std.

    On its first eager call it warns when the values cannot come from `input_range` (e.g. 0-255
    pixels fed to a backbone built for [0, 1]): the silent cause of many "pretrained model gives
    bad accuracy" reports. Compiled calls (fit/predict) cannot look at values; use
    `zoo.transfer.check_input_range(model, x)` on a NumPy batch there.
    """

    def __init__(self, input_range=(0.0, 1.0), output_range=(0.0, 1.0), mean=None, std=None,
                 bgr=False, **kwargs):
        super().__init__(**kwargs)
        self.input_range = tuple(float(v) for v in input_range)
        self.output_range = tuple(float(v) for v in output_range)
        for arg, pair in (("input_range", self.input_range), ("output_range", self.output_range)):
            if len(pair) != 2 or pair[1] <= pair[0]:
                raise ValueError(f"ImagePreprocessing: {arg} must be (low, high) with low < high, "
                                 f"got {pair!r}")
        self.mean = None if mean is None else tuple(float(v) for v in mean)
        self.std = None if std is None else tuple(float(v) for v in std)
        self.bgr = bool(bgr)
        self._range_checked = False

    def call(self, inputs):
        if not self._range_checked:
            self._range_checked = True
            self._warn_if_out_of_range(inputs)
        (in_lo, in_hi), (out_lo, out_hi) = self.input_range, self.output_range
        scale = (out_hi - out_lo) / (in_hi - in_lo)
        x = keras.ops.cast(inputs, self.compute_dtype) * scale + (out_lo - in_lo * scale)
        if self.bgr:
            x = keras.ops.flip(x, axis=-1)
        if self.mean is not None:
            x = x - keras.ops.convert_to_tensor(self.mean, dtype=x.dtype)
        if self.std is not None:
            x = x / keras.ops.convert_to_tensor(self.std, dtype=x.dtype)
        return x

    def _warn_if_out_of_range(self, inputs):
        try:  # only eager values can be looked at; traced (symbolic) inputs are skipped
            low = float(keras.ops.convert_to_numpy(keras.ops.min(inputs)))
            high = float(keras.ops.convert_to_numpy(keras.ops.max(inputs)))
        except Exception:  # noqa: BLE001  (symbolic tensors raise backend-specific errors)
            return
        message = range_problem(low, high, self.input_range)
        if message:
            warnings.warn(f"{self.name}: {message}", UserWarning, stacklevel=3)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "input_range": self.input_range,
                "output_range": self.output_range, "mean": self.mean, "std": self.std,
                "bgr": self.bgr}


def range_problem(low, high, input_range):
    """A message when values spanning [low, high] cannot come from `input_range`, else None."""
    lo, hi = input_range
    span = hi - lo
    if low < lo - 0.1 * span or high > hi + 0.5 * span:
        return (f"inputs span [{low:.3g}, {high:.3g}] but this backbone was built for "
                f"input_range={tuple(input_range)}; rescale the images or build it with "
                f"input_range=({0.0 if low >= 0 else -1.0}, {255.0 if high > 2 else 1.0})")
    if span > 10 and high <= 1.0 + 1e-6 and high > low:
        return (f"inputs span [{low:.3g}, {high:.3g}], which looks like [0, 1] images, but this "
                f"backbone was built for input_range={tuple(input_range)}; build it with "
                "input_range=(0.0, 1.0)")
    return None
