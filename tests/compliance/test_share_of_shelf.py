"""Share of shelf per brand, by facings and by width (facings x pack width), against targets."""

from __future__ import annotations

import re

import pytest

from shelfai.compliance.scoring import score_photo
from shelfai.compliance.types import ScoringWeights
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram, shelf_photo

# PLAN_ROWS: Gold 4 x 120 mm + 2 x 90 mm; Rival 2 x 100 + 2 x 100 + 2 x 80; Silver 3 x 80 + 3 x 110.
GOLD_MM, RIVAL_MM, SILVER_MM = 660, 560, 570


def shares(report):
    return {s.brand: s for s in report.brand_shares}


def test_shares_by_facings_and_by_width_for_own_brand_and_competitors():
    report = score_photo(planogram(brand_targets={"Gold": 0.3}), CATALOG, shelf_photo(PLAN_ROWS))
    gold, rival, silver = shares(report)["Gold"], shares(report)["Rival"], shares(report)["Silver"]
    total_mm = GOLD_MM + RIVAL_MM + SILVER_MM

    assert gold.is_own and not rival.is_own and not silver.is_own
    assert gold.facings_share == pytest.approx(6 / 18)
    assert gold.width_share == pytest.approx(GOLD_MM / total_mm)
    assert rival.width_share == pytest.approx(RIVAL_MM / total_mm)
    assert report.own_share["width"] == pytest.approx(GOLD_MM / total_mm)
    assert sum(s.facings_share for s in report.brand_shares) == pytest.approx(1)
    assert gold.target == 0.3
    assert [d for d in report.deductions if d.code == "share_below_target"] == []  # 36.9 % >= 30 %


def test_products_outside_the_planogram_still_count_for_share():
    rows = [PLAN_ROWS[0] + [("X1", 4)], PLAN_ROWS[1], PLAN_ROWS[2]]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))

    assert shares(report)["Rival"].facings == 10


def test_a_brand_below_target_loses_points_and_is_told_how_many_facings_to_add():
    spec = planogram(brand_targets={"Gold": 0.5})
    weights = ScoringWeights(share_basis="facings")
    report = score_photo(spec, CATALOG, shelf_photo(PLAN_ROWS), weights)
    [cut] = [d for d in report.deductions if d.code == "share_below_target"]

    assert cut.points == pytest.approx(weights.share_of_shelf * (0.5 - 6 / 18) / 0.5, abs=0.01)
    assert "Gold: 33% of facings, target 50%" in cut.message
    more = int(re.search(r"add about (\d+) facings", cut.message).group(1))

    fixed = [PLAN_ROWS[0], PLAN_ROWS[1] + [("G400", more)], PLAN_ROWS[2]]
    after = score_photo(spec, CATALOG, shelf_photo(fixed), weights)
    assert shares(after)["Gold"].facings_share >= 0.5
    assert [d for d in after.deductions if d.code == "share_below_target"] == []


def test_width_targets_count_wide_packs_more():
    spec = planogram(brand_targets={"Gold": 0.5})
    report = score_photo(spec, CATALOG, shelf_photo(PLAN_ROWS))
    [cut] = [d for d in report.deductions if d.code == "share_below_target"]
    more = int(re.search(r"add about (\d+) facings", cut.message).group(1))

    assert "of shelf width" in cut.message
    fixed = [PLAN_ROWS[0], PLAN_ROWS[1] + [("G900", more)], PLAN_ROWS[2]]
    assert shares(score_photo(spec, CATALOG, shelf_photo(fixed)))["Gold"].width_share >= 0.5
