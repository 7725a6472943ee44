"""Shelf rows and out-of-stock gaps, on generated shelves with exact truth and on hand-made geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shelfai.vision.rows import assign_rows, find_gaps
from shelfai.vision.types import Box


def _shelf(y_bottom: float, x_start: float, count: int, *, width=40.0, height=90.0, spacing=4.0,
           slope=0.0, skip=()) -> list[Box]:
    """``count`` packs standing on a shelf edge at ``y_bottom`` (rising by ``slope`` per pixel)."""
    boxes = []
    for i in range(count):
        if i in skip:
            continue
        x1 = x_start + i * (width + spacing)
        bottom = y_bottom + slope * (x1 + width / 2)
        boxes.append(Box(x1, bottom - height, x1 + width, bottom))
    return boxes


@pytest.fixture(scope="module")
def catalog():
    from shelfai.vision.synthetic import random_catalog

    return random_catalog(12, 4, np.random.default_rng(1))


def _scene(catalog, seed: int, rotation: float, gap_rate: float = 0.0):
    from shelfai.vision.synthetic import RenderOptions, random_layout, render_shelf

    rng = np.random.default_rng(seed)
    layout = random_layout(catalog.codes, rng, n_rows=5, gap_rate=gap_rate)
    options = RenderOptions(size=(960, 720), perspective=0.06, rotation_deg=rotation)
    return render_shelf(layout, catalog.pack_images, options=options, rng=rng)


@pytest.mark.parametrize("seed,rotation", [(0, 0.0), (1, 4.0), (2, -5.0), (3, 2.5)])
def test_every_facing_gets_its_true_shelf_level_in_tilted_photos(catalog, seed, rotation):
    scene = _scene(catalog, seed, rotation)
    boxes = [f.box for f in scene.facings]
    levels, rows = assign_rows(boxes, 720, 960)
    assert levels == [f.row for f in scene.facings]
    assert sorted({r.level for r in rows}) == [r.level for r in scene.rows]


def test_planted_gaps_are_found_and_full_shelves_have_none(catalog):
    found_total = planted_total = false_total = 0
    for seed in range(6):
        scene = _scene(catalog, seed, rotation=float(seed % 3) - 1.0, gap_rate=0.1)
        boxes = [f.box for f in scene.facings]
        levels, rows = assign_rows(boxes, 720, 960)
        gaps = find_gaps(boxes, rows, levels, image_size=(720, 960))

        def overlap(a, b):
            return max(0.0, min(a.box.x2, b.box.x2) - max(a.box.x1, b.box.x1))

        planted_total += len(scene.gaps)
        found_total += sum(any(g.row == t.row and overlap(g, t) > 0.5 * t.box.width for g in gaps)
                           for t in scene.gaps)
        false_total += sum(not any(g.row == t.row and overlap(g, t) > 0.5 * g.box.width for t in scene.gaps)
                           for g in gaps)
    assert planted_total >= 8
    assert found_total >= 0.8 * planted_total
    assert false_total == 0  # a false out-of-stock costs a rep a wasted trip


def test_a_gap_between_packs_is_reported_with_its_width_in_facings():
    boxes = _shelf(300, 10, 12, skip=(4, 5))
    levels, rows = assign_rows(boxes, 800, 600)
    gaps = find_gaps(boxes, rows, levels)
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.row == 1
    assert 4 * 44 <= gap.box.x1 + 1 and gap.box.x2 <= 6 * 44 + 10 + 1
    assert gap.width_in_facings == pytest.approx(2.2, abs=0.15)  # two packs and their spacing
    assert gap.box.y2 == pytest.approx(300, abs=2)


def test_a_small_space_between_packs_is_not_a_gap():
    boxes = _shelf(300, 10, 12, spacing=20)  # half a pack between neighbours
    levels, rows = assign_rows(boxes, 800, 600)
    assert find_gaps(boxes, rows, levels) == []


def test_an_empty_end_of_a_shelf_inside_the_bay_is_a_gap():
    upper = _shelf(300, 10, 12)
    lower = _shelf(500, 10, 12, skip=(9, 10, 11))  # the right end of the lower shelf is empty
    boxes = upper + lower
    levels, rows = assign_rows(boxes, 800, 600)
    gaps = find_gaps(boxes, rows, levels)
    assert [(g.row, round(g.width_in_facings)) for g in gaps] == [(2, 3)]
    assert gaps[0].box.x2 == pytest.approx(upper[-1].x2)


def test_rows_follow_a_tilted_shelf_edge():
    slope = math.tan(math.radians(7))
    boxes = _shelf(200, 0, 14, slope=slope) + _shelf(330, 0, 14, slope=slope)
    levels, rows = assign_rows(boxes, 600, 800)
    assert levels == [1] * 14 + [2] * 14
    assert len(rows) == 2


def test_packs_of_different_heights_on_one_shelf_share_a_row():
    tall = _shelf(400, 0, 5, height=150)
    short = _shelf(400, 5 * 44, 5, height=50)
    levels, rows = assign_rows(tall + short, 800, 600)
    assert set(levels) == {1} and len(rows) == 1


def test_side_by_side_bays_at_other_heights_are_separate_segments_on_the_same_levels():
    left = _shelf(200, 0, 8) + _shelf(400, 0, 8)
    right = _shelf(240, 400, 8) + _shelf(440, 400, 8)  # the next bay's shelves sit 40 px lower
    boxes = left + right
    levels, rows = assign_rows(boxes, 800, 800)
    assert levels == [1] * 8 + [2] * 8 + [1] * 8 + [2] * 8
    assert [(r.level, round(r.x1)) for r in rows] == [(1, 0), (1, 400), (2, 0), (2, 400)]
    assert find_gaps(boxes, rows, levels) == []  # the aisle between bays is not an empty shelf


def test_no_boxes_no_rows():
    assert assign_rows([], 100, 100) == ([], [])
    assert find_gaps([], []) == []


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
    for shelf, bottom in enumerate((160, 340, 520, 700, 880)):
        image[bottom:bottom + 20] = 200  # the shelf edge the packs stand on
        x = 20
        while x < 840:
            width = int(rng.integers(30, 60))
            if shelf == 2 and x < 441 < x + width + 30:
                width = 441 - x + 30  # the case in front of the post
            elif shelf != 2 and x < 448 and x + width > 434:
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
    scene = _scene(catalog, seed, rotation)
    boxes = [f.box for f in scene.facings]
    levels, rows = assign_rows(boxes, 720, 960, image=scene.image)
    assert levels == [f.row for f in scene.facings]
    assert len(rows) == len(assign_rows(boxes, 720, 960)[1])  # no upright in a generated bay: no split


def _gaps_on_missed_packs(gaps, scene, dropped: set[int]) -> int:
    """Reported gaps that hold a pack the detector missed and no planted gap."""
    def holds_missed(g) -> bool:
        return any(g.row == scene.facings[i].row and g.box.x1 - 2 <= scene.facings[i].box.cx <= g.box.x2 + 2
                   for i in dropped)

    def holds_planted(g) -> bool:
        return any(g.row == t.row and min(g.box.x2, t.box.x2) - max(g.box.x1, t.box.x1) > 0 for t in scene.gaps)

    return sum(holds_missed(g) and not holds_planted(g) for g in gaps)


def test_packs_the_detector_missed_are_not_reported_as_gaps_when_the_photo_is_used(catalog):
    """A missed pack leaves a product-wide hole between boxes, like an empty facing; in the photo it still
    shows printed pack art, which an empty shelf does not."""
    missed_reported = missed_reported_with_photo = planted = found_with_photo = 0
    for seed in range(6):
        scene = _scene(catalog, 10 + seed, rotation=float(seed % 3) - 1.0, gap_rate=0.1)
        rng = np.random.default_rng(seed)
        dropped = {i for i in range(len(scene.facings)) if rng.random() < 0.08}
        boxes = [f.box for i, f in enumerate(scene.facings) if i not in dropped]
        levels, rows = assign_rows(boxes, 720, 960, image=scene.image)

        plain = find_gaps(boxes, rows, levels, image_size=(720, 960))
        checked = find_gaps(boxes, rows, levels, image_size=(720, 960), image=scene.image)
        missed_reported += _gaps_on_missed_packs(plain, scene, dropped)
        missed_reported_with_photo += _gaps_on_missed_packs(checked, scene, dropped)
        planted += len(scene.gaps)
        found_with_photo += sum(any(g.row == t.row and min(g.box.x2, t.box.x2) - max(g.box.x1, t.box.x1)
                                    > 0.5 * t.box.width for g in checked) for t in scene.gaps)
    assert missed_reported >= 10  # from the boxes alone, missed packs look like out-of-stock facings
    assert missed_reported_with_photo == 0
    assert planted >= 8 and found_with_photo >= 0.8 * planted
