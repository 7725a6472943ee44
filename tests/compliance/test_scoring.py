"""Planogram compliance on hand-written shelves whose violations are planted, so the truth is known.

Expected points are worked out from the formulas documented in ``shelfai.compliance.scoring``.
"""

from __future__ import annotations

import json

import pytest

from shelfai.compliance.scoring import score_photo, score_visit
from shelfai.compliance.types import ScoringWeights
from shelfai.vision.types import UNKNOWN_SKU
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram, shelf_photo

N_SKUS = 7  # planned SKUs in PLAN_ROWS
PLANNED_FACINGS = 18


def by_code(report, code):
    return [d for d in report.deductions if d.code == code]


def test_a_shelf_that_matches_the_planogram_scores_100():
    report = score_photo(planogram(), CATALOG, shelf_photo(PLAN_ROWS))

    assert report.score == 100
    assert report.deductions == []
    assert report.confidence == 1
    assert {line.status for line in report.skus} == {"ok"}


def test_each_planted_violation_costs_its_documented_points_and_says_what_to_do():
    photo = shelf_photo(
        [
            [("B", 2), ("A", 2), ("X1", 1)],  # C missing, A and B swapped, a product that does not belong
            [("G400", 2), (None, 2)],  # Gold Formula 900 g gone from shelf 2, an empty stretch
            [("S1", 3), ("S2", 3), ("G900", 2)],  # ... and standing on shelf 3 with 2 of its 4 facings
        ]
    )
    report = score_photo(planogram(), CATALOG, photo)
    w = ScoringWeights()

    [missing] = by_code(report, "missing_sku")
    assert missing.sku == "C"
    assert missing.points == pytest.approx((w.presence + w.facings) / N_SKUS, abs=0.01)
    assert "Gamma Oats 500 g is missing" in missing.message and "shelf 1" in missing.message

    [short] = by_code(report, "short_facings")
    assert short.points == pytest.approx(w.facings / N_SKUS * 2 / 4, abs=0.01)
    assert short.message.startswith("Gold Formula 900 g: 2 of 4 facings, on shelf 3 instead of 2")

    [wrong_shelf] = by_code(report, "wrong_shelf")
    assert wrong_shelf.points == pytest.approx(w.shelf_level / N_SKUS, abs=0.01)
    assert "move them to shelf 2" in wrong_shelf.message

    [order] = by_code(report, "wrong_order")
    assert order.sku in {"A", "B"} and order.level == 1
    assert order.points == pytest.approx(w.order * 3 / N_SKUS / 2, abs=0.01)

    [foreign] = by_code(report, "not_in_planogram")
    assert foreign.sku == "X1" and "Rival Muesli 750 g" in foreign.message
    assert foreign.points == pytest.approx(w.not_in_planogram * 1 / PLANNED_FACINGS, abs=0.01)

    [gap] = by_code(report, "empty_gap")
    assert gap.points == pytest.approx(w.gaps * 2 / PLANNED_FACINGS, abs=0.01)
    assert "Shelf 2: empty space for about 2 facings right of Gold Formula 400 g" in gap.message

    assert report.score == pytest.approx(100 - sum(d.points for d in report.deductions), abs=0.06)
    assert report.deductions == sorted(report.deductions, key=lambda d: -d.points)  # worst first


def test_unknown_and_low_confidence_facings_lower_confidence_not_the_score():
    rows = [list(row) for row in PLAN_ROWS]
    rows[0] = rows[0] + [("G900", 2, 0.2)]  # would be "wrong shelf" if it were trusted
    rows[2] = rows[2] + [(UNKNOWN_SKU, 4)]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))

    assert report.score == 100
    assert report.deductions == []
    assert report.facings_recognised == PLANNED_FACINGS
    assert report.confidence == pytest.approx(PLANNED_FACINGS / (PLANNED_FACINGS + 6), abs=1e-3)


def test_a_pack_the_recogniser_could_not_name_inside_a_block_is_not_a_shortfall():
    rows = [PLAN_ROWS[0], [("G900", 2), (UNKNOWN_SKU, 1), ("G900", 1), ("G400", 2)], PLAN_ROWS[2]]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))

    assert report.score == 100
    assert report.confidence == pytest.approx(17 / 18, abs=1e-3)
    [g900] = [line for line in report.skus if line.sku == "G900"]
    assert (g900.observed_facings, g900.unrecognised_nearby, g900.status) == (3, 1, "ok")


def test_unrecognised_packs_do_not_hide_a_missing_product_or_a_large_shortfall():
    # One unrecognised pack on C's shelf cannot be C's two facings, so C is missing. (Two could be:
    # then C is "not verified", tests/compliance/test_evidence_gate.py.)
    rows = [
        [("A", 2), ("B", 2), (UNKNOWN_SKU, 1)],
        [("G900", 1), (UNKNOWN_SKU, 1), ("G400", 2)],
        PLAN_ROWS[2],
    ]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))

    assert [d.sku for d in by_code(report, "missing_sku")] == ["C"]
    [short] = by_code(report, "short_facings")
    assert short.sku == "G900"
    assert short.message.startswith(
        "Gold Formula 900 g: 1 of 4 facings (1 more may stand among unrecognised packs)"
    )
    assert short.points == pytest.approx(ScoringWeights().facings / N_SKUS * 2 / 4, abs=0.01)


def test_a_mostly_unrecognised_shelf_gets_a_low_confidence():
    rows = [[(UNKNOWN_SKU, 6)], [("G900", 4), (UNKNOWN_SKU, 2)], [(UNKNOWN_SKU, 6)]]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))

    assert report.confidence == pytest.approx(4 / 18, abs=1e-3)
    assert report.confidence < 0.5


def test_shelves_no_photo_shows_are_not_assessed_but_lower_confidence():
    top_two = shelf_photo(PLAN_ROWS[:2])
    report = score_photo(planogram(), CATALOG, top_two)

    assert report.score == 100
    assert report.unseen_levels == [3]
    assert {line.sku for line in report.skus if line.status == "not_assessed"} == {"S1", "S2"}
    assert report.confidence == pytest.approx(12 / 18, abs=1e-3)


def test_first_level_maps_a_photo_of_the_lower_shelves():
    lower_two = shelf_photo(PLAN_ROWS[1:], first_level=2)
    report = score_photo(planogram(), CATALOG, lower_two)

    assert report.score == 100
    assert report.unseen_levels == [1]


def test_overlapping_photos_of_one_bay_are_not_added_up():
    retake_a = shelf_photo([PLAN_ROWS[0], [("G900", 3), ("G400", 2)], PLAN_ROWS[2]])
    retake_b = shelf_photo([PLAN_ROWS[0], PLAN_ROWS[1], [("S1", 3), ("S2", 2)]])
    report = score_visit(planogram(), CATALOG, [retake_a, retake_b])

    assert report.score == 100  # each shortfall is made up by the other photo
    assert report.facings_by_sku["G900"] == 4  # the largest count one photo shows, not 3 + 4
    assert report.photos == 2


def test_photos_of_different_bays_add_up_in_bay_order():
    left = shelf_photo([[("A", 2), ("B", 2)], [("G900", 4)], [("S1", 3)]], bay=1)
    right = shelf_photo([[("C", 2)], [("G400", 2)], [("S2", 3)]], bay=2)
    report = score_visit(planogram(), CATALOG, [right, left])  # upload order does not matter

    assert report.score == 100
    assert by_code(report, "wrong_order") == []

    same_stretch = score_visit(
        planogram(), CATALOG, [shelf_photo(PLAN_ROWS, bay=1), shelf_photo(PLAN_ROWS, bay=2)]
    )
    assert same_stretch.facings_by_sku["G900"] == 8  # labelled as two bays, so counted twice


def test_weights_are_configurable_and_must_add_up_to_100():
    photo = shelf_photo([[("A", 2), ("B", 2)], PLAN_ROWS[1], PLAN_ROWS[2]])  # C missing
    heavy = ScoringWeights(presence=45, facings=5)
    report = score_photo(planogram(), CATALOG, photo, heavy)

    assert report.deductions[0].points == pytest.approx(50 / N_SKUS, abs=0.01)
    with pytest.raises(ValueError, match="add up to 100"):
        ScoringWeights(presence=40)


def test_a_category_weighted_zero_costs_nothing():
    weights = ScoringWeights(gaps=0, presence=40)
    photo = shelf_photo([PLAN_ROWS[0] + [(None, 3)], PLAN_ROWS[1], PLAN_ROWS[2]])

    assert score_photo(planogram(), CATALOG, photo, weights).score == 100


def test_nothing_to_judge_gives_no_score():
    report = score_photo(planogram(), CATALOG, shelf_photo([]))

    assert report.score is None
    assert report.confidence == 0


def test_the_report_is_plain_json():
    photo = shelf_photo([[("B", 2), ("A", 2)], [(None, 2)], PLAN_ROWS[2]])
    data = json.loads(json.dumps(planogram_report(photo).to_dict()))

    assert data["score"] < 100
    assert {d["code"] for d in data["deductions"]} >= {"missing_sku", "wrong_order", "empty_gap"}
    assert data["share_of_shelf"]["basis"] == "width"
    assert data["weights"]["presence"] == 30


def planogram_report(photo):
    return score_photo(planogram(brand_targets={"Gold": 0.5}), CATALOG, photo)
