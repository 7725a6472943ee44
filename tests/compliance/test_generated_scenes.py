"""Scoring a generated shelf photo whose ground truth holds planted violations.

The renderer's truth (facings with their rows, gaps) stands in for a perfect detector, so what is
tested is that the violations drawn into the scene come out of the scoring.
"""

from __future__ import annotations

import numpy as np
import pytest

from shelfai.compliance.observations import PhotoObservation
from shelfai.compliance.scoring import score_photo
from shelfai.vision.offline.synthetic import RenderOptions, ShelfLayout, random_catalog, render_shelf
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram


@pytest.fixture(scope="module")
def packs():
    catalog = random_catalog(len(CATALOG), 4, np.random.default_rng(1))
    return {sku: catalog.pack_images[code] for sku, code in zip(CATALOG, catalog.codes, strict=True)}


def scene(rows, packs, seed=0):
    result = render_shelf(
        ShelfLayout.from_rows(rows),
        packs,
        rng=np.random.default_rng(seed),
        options=RenderOptions(size=(960, 720), perspective=0.01, occlusion_rate=0.0),
    )
    return PhotoObservation(facings=result.facings, gaps=result.gaps, rows=result.rows)


def test_a_scene_drawn_from_the_planogram_is_compliant(packs):
    report = score_photo(planogram(), CATALOG, scene(PLAN_ROWS, packs))

    assert {d.code for d in report.deductions} <= {"empty_gap"}  # the renderer may leave end slack
    assert report.score >= 90
    assert report.confidence == 1


def test_planted_violations_in_a_generated_scene_are_found(packs):
    planted = [
        [("B", 2), ("A", 2), ("X1", 2)],  # C never placed, A/B swapped, a foreign product
        [("G400", 2), (None, 3), ("G900", 1)],  # a void; Gold 900 g down to 1 facing
        [("S1", 3), ("S2", 3)],
    ]
    report = score_photo(planogram(), CATALOG, scene(planted, packs))
    found = {(d.code, d.sku) for d in report.deductions}

    assert ("missing_sku", "C") in found
    assert ("not_in_planogram", "X1") in found
    assert ("short_facings", "G900") in found
    assert {("wrong_order", "A"), ("wrong_order", "B")} & found
    assert any(d.code == "empty_gap" and d.level == 2 for d in report.deductions)
    assert "Gold Formula 900 g: 1 of 4 facings" in next(
        d.message for d in report.deductions if d.code == "short_facings"
    )
