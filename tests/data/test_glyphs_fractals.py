"""The offline pretraining corpus: letters from matplotlib's fonts and IFS fractals. Seeded, in
range, every class drawable, fractals contractive and neither dots nor blobs, no digits."""

import numpy as np

from zoo.data.fractals import ifs_categories, render_ifs
from zoo.data.glyphs import LETTERS, font_files, glyph_masks, render_glyphs
from zoo.transfer.source_task import (
    FRACTAL_CATEGORIES, GLYPH_CHARACTERS, glyphs_and_fractals, glyphs_and_fractals_class_names,
)


def test_every_letter_is_drawn_by_many_fonts_and_no_digit_is_a_class():
    masks, present = glyph_masks(LETTERS)
    assert len(font_files()) >= 10
    assert present.sum(axis=0).min() >= 10  # each letter in at least 10 typefaces
    drawn = masks[present]
    assert drawn.max(axis=(1, 2)).min() > 0.5  # no empty glyph counted as present
    assert not any(c.isdigit() for c in GLYPH_CHARACTERS)
    names = glyphs_and_fractals_class_names()
    assert len(names) == len(GLYPH_CHARACTERS) + FRACTAL_CATEGORIES == 100


def test_glyphs_vary_with_the_generator_and_repeat_with_the_seed():
    labels = np.arange(8)
    a = render_glyphs(labels, np.random.default_rng(1), image_size=24)
    b = render_glyphs(labels, np.random.default_rng(1), image_size=24)
    c = render_glyphs(labels, np.random.default_rng(2), image_size=24)
    assert a.shape == (8, 24, 24) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.max(axis=(1, 2)).min() > 0.5  # every warped glyph still shows a stroke


def test_fractal_categories_are_contractive_and_fill_part_of_the_frame():
    systems = ifs_categories(6, seed=3)
    for params in systems:
        for p in params:
            assert np.linalg.svd(p[:4].reshape(2, 2), compute_uv=False)[0] < 0.95
    masks = render_ifs(systems, np.random.default_rng(0), image_size=32)
    assert (masks.max(axis=(1, 2)) == 1).all()
    filled = masks.mean(axis=(1, 2))
    assert filled.min() > 0.02 and filled.max() < 0.8
    assert [np.array_equal(a, b) for a, b in zip(systems, ifs_categories(6, seed=3))] == [True] * 6


def test_corpus_images_and_labels():
    x, y = glyphs_and_fractals(n=64, image_size=32, seed=4)
    x2, y2 = glyphs_and_fractals(n=64, image_size=32, seed=4)
    assert x.shape == (64, 32, 32, 3) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1 and 0 <= y.min() and y.max() < 100
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, glyphs_and_fractals(n=64, image_size=32, seed=5)[0])
