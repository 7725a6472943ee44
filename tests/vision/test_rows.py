"""Shelf rows, on generated shelves with exact truth and on hand-made geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shelfai.vision.rows import assign_rows
from shelfai.vision.types import Box
from tests.vision.shelves import generated_catalog, scene, shelf


@pytest.fixture(scope="module")
def catalog():
    return generated_catalog()


@pytest.mark.parametrize("seed,rotation", [(0, 0.0), (1, 4.0), (2, -5.0), (3, 2.5)])
def test_every_facing_gets_its_true_shelf_level_in_tilted_photos(catalog, seed, rotation):
    generated = scene(catalog, seed, rotation)
    boxes = [f.box for f in generated.facings]
    levels, rows = assign_rows(boxes, 720, 960)
    assert levels == [f.row for f in generated.facings]
    assert sorted({r.level for r in rows}) == [r.level for r in generated.rows]


def test_rows_follow_a_tilted_shelf_edge():
    slope = math.tan(math.radians(7))
    boxes = shelf(200, 0, 14, slope=slope) + shelf(330, 0, 14, slope=slope)
    levels, rows = assign_rows(boxes, 600, 800)
    assert levels == [1] * 14 + [2] * 14
    assert len(rows) == 2


def test_packs_of_different_heights_on_one_shelf_share_a_row():
    tall = shelf(400, 0, 5, height=150)
    short = shelf(400, 5 * 44, 5, height=50)
    levels, rows = assign_rows(tall + short, 800, 600)
    assert set(levels) == {1} and len(rows) == 1


def test_side_by_side_bays_at_other_heights_are_separate_segments_on_the_same_levels():
    left = shelf(200, 0, 8) + shelf(400, 0, 8)
    right = shelf(240, 400, 8) + shelf(440, 400, 8)  # the next bay's shelves sit 40 px lower
    levels, rows = assign_rows(left + right, 800, 800)
    assert levels == [1] * 8 + [2] * 8 + [1] * 8 + [2] * 8
    assert [(r.level, round(r.x1)) for r in rows] == [(1, 0), (1, 400), (2, 0), (2, 400)]


def test_no_boxes_no_rows():
    assert assign_rows([], 100, 100) == ([], [])


def _painted_bays(upright: bool) -> tuple[np.ndarray, list[Box]]:
    """Two bays side by side whose five shelves are level with each other: packs of assorted widths drawn as
    printed (noisy) blocks in front of a plain back wall. With ``upright``, the metal post between the bays
    (x 436-446) runs from the top to the bottom of the photo; on the middle shelf a wide case stands in
    front of it, so no empty stretch runs down through every shelf there."""
    rng = np.random.default_rng(7)
    image = np.full((1000, 900, 3), 120, np.uint8)
    if upright:
        image[20:980, 436:446] = 30
    boxes: list[Box] = []
    for level, bottom in enumerate((160, 340, 520, 700, 880)):
        image[bottom:bottom + 20] = 200  # the shelf edge the packs stand on
        x = 20
        while x < 840:
            width = int(rng.integers(30, 60))
            if level == 2 and x < 441 < x + width + 30:
                width = 441 - x + 30  # the case in front of the post
            elif level != 2 and x < 448 and x + width > 434:
                x = 448  # the post: the next bay starts after it
                continue
            y1 = bottom - int(rng.integers(90, 110))
            boxes.append(Box(x, y1, x + width, bottom))
            print_ = rng.integers(0, 200, size=3) + rng.integers(0, 56, size=(bottom - y1, width, 1))
            image[y1:bottom, x:x + width] = print_.astype(np.uint8)
            x += width + 2
    return image, boxes


def test_an_upright_in_the_photo_splits_level_shelves_into_bays():
    image, boxes = _painted_bays(upright=True)
    truth = [1 + (round(b.y2) - 160) // 180 for b in boxes]
    levels, rows = assign_rows(boxes, 1000, 900, image=image)
    assert levels == truth
    assert [r.level for r in rows] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # each shelf ends at the post; the case in front of it goes with the bay that holds its centre
    assert [(round(r.x1), r.x2 < 441) for r in rows if r.level != 3] == [(20, True), (448, False)] * 4
    # from the boxes alone the bays' shelves line up and the case hides the cut: one row per shelf
    levels_alone, rows_alone = assign_rows(boxes, 1000, 900)
    assert levels_alone == truth
    assert [(r.level, round(r.x1)) for r in rows_alone] == [(level, 20) for level in range(1, 6)]


def test_without_an_upright_the_photo_does_not_split_a_shelf():
    image, boxes = _painted_bays(upright=False)
    levels, rows = assign_rows(boxes, 1000, 900, image=image)
    assert [(r.level, round(r.x1)) for r in rows] == [(level, 20) for level in range(1, 6)]


@pytest.mark.parametrize("seed,rotation", [(0, 0.0), (1, 4.0), (2, -5.0)])
def test_rendered_shelves_keep_their_levels_when_the_photo_is_used(catalog, seed, rotation):
    generated = scene(catalog, seed, rotation)
    boxes = [f.box for f in generated.facings]
    levels, rows = assign_rows(boxes, 720, 960, image=generated.image)
    assert levels == [f.row for f in generated.facings]
    assert len(rows) == len(assign_rows(boxes, 720, 960)[1])  # no upright in a generated bay: no split
