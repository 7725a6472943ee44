"""The synthetic shelf generator: its ground truth must match its pixels exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from shelfai.vision.offline.packart import make_pack_art, pack_size_for
from shelfai.vision.offline.synthetic import (
    Distractors,
    RenderOptions,
    ShelfLayout,
    random_catalog,
    random_layout,
    render_shelf,
)
from shelfai.vision.types import UNKNOWN_SKU

CLEAN = RenderOptions(
    size=(960, 720), perspective=0.0, lighting=0.0, blur_sigma=0.0, noise_sigma=0.0, occlusion_rate=0.0, pack_jitter=0.0
)


@pytest.fixture(scope="module")
def catalog():
    return random_catalog(12, 4, np.random.default_rng(11))


def _box_pixels(image, box, size):
    x1, y1, x2, y2 = (int(round(v)) for v in (box.x1, box.y1, box.x2, box.y2))
    return cv2.resize(image[y1:y2, x1:x2], size, interpolation=cv2.INTER_AREA).astype(np.int16)


def _art_difference(scene, catalog, facing, sku):
    art = catalog.pack_images[sku]
    size = (art.shape[1] // 2, art.shape[0] // 2)
    reference = cv2.resize(art, size, interpolation=cv2.INTER_AREA).astype(np.int16)
    return float(np.abs(_box_pixels(scene.image, facing.box, size) - reference).mean())


def test_the_same_seed_draws_the_same_photo_and_truth(catalog):
    layout = random_layout(catalog.codes, np.random.default_rng(1))
    first = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(5))
    again = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(5))
    other = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(6))
    assert np.array_equal(first.image, again.image)
    assert first.facings == again.facings and first.gaps == again.gaps and first.rows == again.rows
    assert not np.array_equal(first.image, other.image)


def test_truth_boxes_sit_exactly_on_the_drawn_packs(catalog):
    layout = random_layout(catalog.codes, np.random.default_rng(2), n_rows=4, facings_per_row=(8, 12))
    scene = render_shelf(layout, catalog.pack_images, options=CLEAN, rng=np.random.default_rng(2))
    assert len(scene.facings) >= 30
    for facing in scene.facings:
        own = _art_difference(scene, catalog, facing, facing.sku)
        assert own < 12, f"{facing.sku} box does not show its pack (mean difference {own:.0f})"


def test_boxes_follow_the_perspective_warp(catalog):
    layout = random_layout(catalog.codes, np.random.default_rng(3), n_rows=4, facings_per_row=(8, 12))
    options = RenderOptions(size=(960, 720), perspective=0.08, rotation_deg=3.0, occlusion_rate=0.0)
    scene = render_shelf(layout, catalog.pack_images, options=options, rng=np.random.default_rng(3))
    inside = [f for f in scene.facings if f.box.x1 > 1 and f.box.x2 < 959 and f.box.y1 > 1 and f.box.y2 < 719]
    matches = 0
    for facing in inside:
        own = _art_difference(scene, catalog, facing, facing.sku)
        others = [_art_difference(scene, catalog, facing, s) for s in catalog.codes if s != facing.sku]
        matches += own < min(others)
    assert matches >= 0.9 * len(inside)


def test_yolo_labels_describe_every_facing(catalog):
    layout = random_layout(catalog.codes, np.random.default_rng(4))
    scene = render_shelf(
        layout, catalog.pack_images, options=RenderOptions(size=(640, 480)), rng=np.random.default_rng(4)
    )
    lines = scene.to_yolo_labels().splitlines()
    assert len(lines) == len(scene.facings)
    for line, facing in zip(lines, scene.facings, strict=True):
        cls, xc, yc, w, h = line.split()
        assert cls == "0"
        assert float(xc) * 640 == pytest.approx(facing.box.cx, abs=0.01)
        assert float(h) * 480 == pytest.approx(facing.box.height, abs=0.01)
        assert all(0 <= float(v) <= 1 for v in (xc, yc, w, h))


def test_rows_are_numbered_from_the_top_and_hold_their_facings(catalog):
    layout = random_layout(catalog.codes, np.random.default_rng(5), n_rows=5)
    scene = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(5))
    assert [r.level for r in scene.rows] == [1, 2, 3, 4, 5]
    assert all(a.y2 < b.y2 for a, b in zip(scene.rows, scene.rows[1:], strict=False))
    for facing in scene.facings:
        row = scene.rows[facing.row - 1]
        assert row.y1 <= facing.box.cy <= row.y2


def test_an_empty_slot_becomes_a_gap_as_wide_as_the_packs_it_could_hold(catalog):
    a, b = catalog.codes[:2]
    layout = ShelfLayout.from_rows([[(a, 5), (None, 2), (b, 5)], [(b, 12)]])
    scene = render_shelf(layout, catalog.pack_images, options=CLEAN, rng=np.random.default_rng(6))
    (gap,) = [g for g in scene.gaps if g.row == 1]
    assert gap.width_in_facings == pytest.approx(2, abs=0.3)
    first_row = [f for f in scene.facings if f.row == 1]
    assert not any(f.box.x1 < gap.box.cx < f.box.x2 for f in first_row)
    assert not any(g.row == 2 for g in scene.gaps)


def test_distractors_are_labelled_unknown(catalog):
    rng = np.random.default_rng(7)
    distractors = Distractors.from_catalog(catalog, rng)
    layout = random_layout(catalog.codes, rng, n_rows=3)
    foreign = render_shelf(
        layout, catalog.pack_images, rng=rng, distractors=distractors, options=RenderOptions(unknown_rate=1.0)
    )
    assert {f.sku for f in foreign.facings} == {UNKNOWN_SKU}
    assert set(foreign.facing_kinds) == {"foreign"}
    lookalikes = render_shelf(
        layout, catalog.pack_images, rng=rng, distractors=distractors, options=RenderOptions(lookalike_rate=1.0)
    )
    assert {f.sku for f in lookalikes.facings} == {UNKNOWN_SKU}
    assert set(lookalikes.facing_kinds) == {"lookalike"}


def test_a_missing_pack_image_is_reported_by_sku(catalog):
    layout = ShelfLayout.from_rows([[("NOT-IN-CATALOG", 3)]])
    with pytest.raises(KeyError, match="NOT-IN-CATALOG"):
        render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(0))


def test_look_alike_flavours_differ_only_in_their_flavour_band():
    size = pack_size_for("330ML")
    lemon = make_pack_art("A", family="KALO", variant=0, size=size, size_label="330ML").astype(np.int16)
    berry = make_pack_art("B", family="KALO", variant=1, size=size, size_label="330ML").astype(np.int16)
    other_brand = make_pack_art("C", family="ZEPO", variant=0, size=size, size_label="330ML").astype(np.int16)
    changed_rows = np.abs(lemon - berry).max(axis=(1, 2)) > 30
    h = len(changed_rows)
    # The brand block (logo, name, small print between the lid and the flavour label) is the same ...
    assert not changed_rows[int(h * 0.06) : int(h * 0.38)].any()
    # ... the flavour shows in the lid, the label, its picture and the wash below: not the whole pack.
    assert 0.25 < changed_rows.mean() < 0.7
    assert np.abs(lemon - berry).mean() < 0.5 * np.abs(lemon - other_brand).mean()


def test_catalog_groups_skus_into_brands_with_references(catalog):
    families = catalog.families
    assert len(families) == 4 and sum(len(v) for v in families.values()) == 12
    for brand, codes in families.items():
        assert all(code.startswith(brand + "-") for code in codes)
    assert all(1 <= len(catalog.references[c]) <= 3 for c in catalog.codes)
    assert all(catalog.lookalikes[c] for c in catalog.codes)
