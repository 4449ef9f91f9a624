"""The offline pretraining corpus: letters from matplotlib's fonts and IFS fractals. Seeded, in
range, every class drawable, fractals contractive and neither dots nor blobs, no digits."""

import numpy as np
import pytest

from zoo.data.fractals import ifs_categories, render_ifs
from zoo.data.glyphs import LETTERS, font_files, glyph_masks, render_glyphs
from zoo.transfer.source_task import (
    FRACTAL_CATEGORIES, GLYPH_CHARACTERS, GLYPH_CHARACTERS_WIDE, glyphs_and_fractals,
    glyphs_and_fractals_class_names,
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


def test_the_wide_corpus_adds_distinct_drawable_glyphs_and_still_no_digit():
    wide = GLYPH_CHARACTERS_WIDE
    assert wide.startswith(GLYPH_CHARACTERS) and len(set(wide)) == len(wide) == 112
    assert not any(c.isdigit() for c in wide)
    masks, present = glyph_masks(wide)
    assert present.sum(axis=0).min() >= 10  # Greek, Cyrillic, symbols: DejaVu and STIX
    names = glyphs_and_fractals_class_names(wide)
    assert len(names) == 112 + FRACTAL_CATEGORIES and len(set(names)) == len(names)
    assert names[:52] == glyphs_and_fractals_class_names()[:52]  # the Latin ids unchanged
    x, y = glyphs_and_fractals(n=96, image_size=32, seed=4, characters=wide, elastic=0.5)
    assert x.shape == (96, 32, 32, 3) and 0 <= y.min() and y.max() < len(names)
    assert (y >= 52).any() and (y < 112).any()


def test_elastic_distortion_bends_strokes_without_erasing_them():
    labels = np.arange(16)
    plain = render_glyphs(labels, np.random.default_rng(3), image_size=32)
    bent = render_glyphs(labels, np.random.default_rng(3), image_size=32, elastic=1.0)
    assert not np.allclose(plain, bent)
    ink = bent.sum(axis=(1, 2)) / plain.sum(axis=(1, 2))  # same glyphs, other warp draws
    assert bent.max(axis=(1, 2)).min() > 0.5 and 0.5 < np.median(ink) < 1.5
    assert np.array_equal(bent, render_glyphs(labels, np.random.default_rng(3), image_size=32,
                                              elastic=1.0))
    with pytest.raises(ValueError, match="elastic must be a share in \\[0, 1\\], got 2"):
        render_glyphs(labels, np.random.default_rng(3), elastic=2)
