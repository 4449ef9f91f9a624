"""Iterated-function-system fractals as classes (FractalDB-style, Kataoka et al., ACCV 2020).

A category is one IFS: 2-4 random contractive affine maps w_j(p) = A_j p + b_j, each chosen
with probability proportional to |det A_j|. An instance renders the attractor by the chaos
game with one coefficient of one map scaled by a factor in [0.8, 1.2] (FractalDB's
intra-category variation) and a random flip, so a network must learn the shape of the
attractor, not one exact picture. Categories whose attractor fills too little or too much of
the frame are redrawn. Pure NumPy; the same seed gives the same categories and images.
"""

from __future__ import annotations

import numpy as np


def ifs_categories(num_categories: int, *, seed: int = 0) -> list[np.ndarray]:
    """`num_categories` IFS, each an array (maps, 6) of [a, b, c, d, e, f]:
    A = [[a, b], [c, d]], offset (e, f); every map contracts (largest singular value < 1)."""
    rng = np.random.default_rng(seed)
    categories = []
    while len(categories) < num_categories:
        maps = rng.integers(2, 5)
        params = rng.uniform(-1.0, 1.0, (maps, 6))
        ok = all(np.linalg.svd(p[:4].reshape(2, 2), compute_uv=False)[0] < 0.95
                 for p in params)
        if not ok:
            continue
        filled = render_ifs(params[None], np.random.default_rng(0), image_size=32,
                            vary=False)[0].mean()
        if 0.08 <= filled <= 0.6:  # not a few dots, not a blob (FractalDB's filling-rate test)
            categories.append(params)
    return categories


def render_ifs(systems, rng: np.random.Generator, *, image_size: int = 32,
               points: int = 96, steps: int = 40, vary: bool = True) -> np.ndarray:
    """(N, image_size, image_size) float32 masks in [0, 1], one attractor per IFS in
    `systems` (a sequence of (maps, 6) arrays), fitted into the frame with a random margin."""
    n = len(systems)
    out = np.zeros((n, image_size, image_size), np.float32)
    for i, params in enumerate(systems):
        params = np.array(params, np.float64)
        if vary:
            params[rng.integers(len(params)), rng.integers(6)] *= rng.uniform(0.8, 1.2)
        a = params[:, :4].reshape(-1, 2, 2)
        weight = np.abs(np.linalg.det(a)) + 1e-3
        choice = rng.choice(len(params), size=(steps, points), p=weight / weight.sum())
        p = rng.uniform(-1.0, 1.0, (points, 2))
        cloud = []
        for t in range(steps):
            j = choice[t]
            p = np.einsum("nij,nj->ni", a[j], p) + params[j, 4:]
            if t >= 8:  # burn-in: the points have reached the attractor
                cloud.append(p)
        cloud = np.concatenate(cloud)
        cloud = cloud[np.all(np.isfinite(cloud), axis=1)]
        if len(cloud) == 0:
            continue
        low, high = cloud.min(0), cloud.max(0)
        span = max(float((high - low).max()), 1e-6)
        fill = (rng.uniform(0.6, 0.95) if vary else 0.9) * (image_size - 1)
        xy = (cloud - (low + high) / 2) / span * fill + (image_size - 1) / 2
        if vary and rng.random() < 0.5:
            xy[:, 0] = image_size - 1 - xy[:, 0]
        cols, rows = np.clip(np.round(xy).astype(int), 0, image_size - 1).T
        out[i, rows, cols] = 1.0
    return out
