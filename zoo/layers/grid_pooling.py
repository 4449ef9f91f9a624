"""Pooling that keeps a coarse layout: the mean of each cell of a `grid` x `grid` partition of a
feature map, concatenated. Global average pooling is grid=1.

Why: a head on global-average-pooled features cannot tell where in the image a feature fired,
and for classes told apart by layout (a 6 from a 9) that is much of the signal. A linear probe
on frozen zoo_mobilenet_synthetic features of real digits, 6 images per class, scores 0.915 on
2x2-grid features against 0.876 on global pooling (`python -m benchmarks.pooling_probe`); on
drawn shapes 0.980 against 0.987. As `zoo finetune --pooling grid` it wins only at 10 images
per class on digits, so it is an option, not the default (benchmarks/results/transfer_defaults.md).
"""

from zoo._lazy import keras


def grid_edges(size: int, grid: int) -> list[tuple[int, int]]:
    """[(start, stop), ...] of `grid` cells over `size` positions, as even as integers allow,
    every cell non-empty (adaptive pooling: floor(i size / grid) .. ceil((i+1) size / grid)),
    overlapping when size < grid."""
    return [((i * size) // grid, -(-((i + 1) * size) // grid)) for i in range(grid)]


@keras.saving.register_keras_serializable(package="zoo")
class GridPooling2D(keras.layers.Layer):
    """(batch, H, W, C) -> (batch, grid * grid * C): the mean over each cell of a grid x grid
    partition of the map, row by row. H and W must be known; a map smaller than the grid gets
    overlapping cells (adaptive pooling's rule: a 1x1 map gives its one vector grid^2 times).

    Example:
        >>> import numpy as np
        >>> from zoo.layers import GridPooling2D
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> np.asarray(GridPooling2D(grid=2)(x)).tolist()
        [[2.5, 4.5, 10.5, 12.5]]
    """

    def __init__(self, grid: int = 2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(grid, int) or isinstance(grid, bool) or grid < 1:
            raise ValueError(f"GridPooling2D: grid must be an int >= 1, got {grid!r}")
        self.grid = grid

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"GridPooling2D: expects (batch, H, W, C), got {tuple(input_shape)}")
        height, width = input_shape[1], input_shape[2]
        if height is None or width is None:
            raise ValueError(f"GridPooling2D(grid={self.grid}): the feature map's size must be "
                             f"known (a fixed input size), got {height}x{width}")
        self._rows, self._cols = grid_edges(height, self.grid), grid_edges(width, self.grid)

    def call(self, inputs):
        cells = [keras.ops.mean(inputs[:, r0:r1, c0:c1, :], axis=(1, 2))
                 for r0, r1 in self._rows for c0, c1 in self._cols]
        return keras.ops.concatenate(cells, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.grid * self.grid * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "grid": self.grid}
