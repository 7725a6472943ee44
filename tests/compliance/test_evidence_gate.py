"""A verdict is stated only when the evidence holds: a shelf of unnamed packs is "not verified", never
"100 % out of stock", and a display photo the recogniser cannot read is not "not executed"."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from shelfai.compliance.placements import DisplayType, PlacementSpec, RequiredSku, Verdict, VisitEvidence, judge_visit
from shelfai.compliance.scoring import score_photo
from shelfai.vision.types import UNKNOWN_SKU
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram, shelf_photo

UNKNOWN_SHELF = [[(UNKNOWN_SKU, 6)], [(UNKNOWN_SKU, 6)], [(UNKNOWN_SKU, 6)]]


def test_a_shelf_of_products_the_catalog_does_not_know_is_not_verified_and_says_why():
    spec = replace(planogram(), name="Infant formula")
    report = score_photo(spec, CATALOG, shelf_photo(UNKNOWN_SHELF))
    assert report.verified is False and report.score is None
    assert report.deductions == []  # nothing is called missing
    assert {line.status for line in report.skus} == {"not_verified"}
    assert "Too few products recognised (0 of 18)" in report.not_verified_reason
    assert "Infant formula" in report.not_verified_reason
    assert report.to_dict()["verified"] is False


def test_a_shelf_mostly_recognised_states_what_is_missing():
    # C's two facings are gone and only one unrecognised pack stands on its shelf: C is missing.
    rows = [[("A", 2), ("B", 2), (UNKNOWN_SKU, 1)], [("G900", 4), ("G400", 2)], [("S1", 3), ("S2", 3)]]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))
    assert report.verified and report.score is not None
    assert [line.status for line in report.skus if line.sku == "C"] == ["missing"]
    assert any(d.code == "missing_sku" and d.sku == "C" for d in report.deductions)


def test_a_sku_whose_shelf_holds_enough_unrecognised_packs_is_not_called_missing():
    # Two unrecognised packs stand where C's two facings belong: they may be C, so no out-of-stock.
    rows = [[("A", 2), ("B", 2), (UNKNOWN_SKU, 2)], [("G900", 4), ("G400", 2)], [("S1", 3), ("S2", 3)]]
    report = score_photo(planogram(), CATALOG, shelf_photo(rows))
    assert report.verified and report.score is not None
    assert [line.status for line in report.skus if line.sku == "C"] == ["not_verified"]
    assert not any(d.sku == "C" for d in report.deductions)


def test_the_gate_sits_at_the_configured_share():
    # 9 of 18 named: exactly half is enough by default
    rows = [[("A", 2), ("B", 2), ("C", 2)], [(UNKNOWN_SKU, 6)], [("S1", 3), (UNKNOWN_SKU, 3)]]
    assert score_photo(planogram(), CATALOG, shelf_photo(rows)).verified
    strict = replace(score_photo(planogram(), CATALOG, shelf_photo(PLAN_ROWS)).weights, min_recognised_share=0.6)
    assert not score_photo(planogram(), CATALOG, shelf_photo(rows), strict).verified


def end_cap() -> PlacementSpec:
    return PlacementSpec(display_type=DisplayType.END_CAP, required=(RequiredSku("G900", 6, "Gold Formula 900 g"),),
                         start=date(2025, 3, 3), end=date(2025, 3, 30), fee=Decimal("1000.00"))


def test_a_display_photo_with_most_products_unrecognised_is_insufficient_evidence_not_absent():
    unreadable = VisitEvidence(visit_date=date(2025, 3, 4), facings_by_sku={}, facings_total=40, facings_recognised=3)
    verdict = judge_visit(end_cap(), unreadable)
    assert verdict.verdict == Verdict.INSUFFICIENT_EVIDENCE
    assert "3 of 40" in verdict.reasons[0]


def test_a_readable_display_photo_without_the_product_is_not_executed():
    readable = VisitEvidence(visit_date=date(2025, 3, 4), facings_by_sku={"X": 30}, facings_total=40,
                             facings_recognised=30)
    assert judge_visit(end_cap(), readable).verdict == Verdict.NOT_EXECUTED


def test_the_required_products_seen_count_even_when_the_rest_is_unrecognised():
    seen = VisitEvidence(visit_date=date(2025, 3, 4), facings_by_sku={"G900": 6}, facings_total=40,
                         facings_recognised=6)
    assert judge_visit(end_cap(), seen).verdict == Verdict.EXECUTED
