"""Paid placements: verdict per visit, weekly coverage, and the pro-rata payable amount in Decimal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shelfai.compliance.messages import reason_text
from shelfai.compliance.placements import (
    PARTIAL_CREDIT,
    DisplayType,
    PlacementSpec,
    RequiredSku,
    Verdict,
    VisitEvidence,
    assess_placement,
    claim_recommendation,
    judge_visit,
)

START = date(2025, 3, 3)  # a Monday; four full weeks to 30 March


def end_cap(fee="1000.00", days=28, **kwargs) -> PlacementSpec:
    return PlacementSpec(
        display_type=DisplayType.END_CAP,
        required=(RequiredSku("G900", 6, "Gold Formula 900 g"), RequiredSku("G400", 4, "Gold Formula 400 g")),
        start=START,
        end=START + timedelta(days=days - 1),
        fee=Decimal(fee),
        **kwargs,
    )


def visit(day: int, g900: int = 6, g400: int = 4, **kwargs) -> VisitEvidence:
    return VisitEvidence(
        visit_date=START + timedelta(days=day),
        facings_by_sku={"G900": g900, "G400": g400},
        visit_id=f"v{day}",
        **kwargs,
    )


def test_a_display_with_every_required_facing_is_executed():
    verdict = judge_visit(end_cap(), visit(2))

    assert verdict.verdict == Verdict.EXECUTED
    assert verdict.execution == 1


def test_missing_facings_make_it_partly_or_not_executed_with_reasons():
    partly = judge_visit(end_cap(), visit(2, g900=6, g400=1))
    nothing = judge_visit(end_cap(), visit(2, g900=0, g400=0))

    assert partly.verdict == Verdict.PARTLY_EXECUTED
    assert partly.execution == pytest.approx((1 + 1 / 4) / 2)
    assert partly.reasons == ["Gold Formula 400 g: 1 of 4 required facings."]
    assert nothing.verdict == Verdict.NOT_EXECUTED


@pytest.mark.parametrize(
    "evidence, why",
    [
        (dict(quality_ok=False), "too poor to judge"),
        (dict(evidence_weight=0.2), "evidence weight to 0.20"),
        (dict(photos=0), "No photo"),
    ],
)
def test_weak_evidence_decides_nothing(evidence, why):
    verdict = judge_visit(end_cap(), visit(2, **evidence))

    assert verdict.verdict == Verdict.INSUFFICIENT_EVIDENCE
    assert verdict.execution is None
    assert why in verdict.reasons[0]


def test_eye_level_counts_only_facings_on_the_eye_level_shelves():
    spec = PlacementSpec(
        DisplayType.EYE_LEVEL, (RequiredSku("G900", 4),), START, START + timedelta(days=6), Decimal("300.00")
    )
    low = VisitEvidence(START, {"G900": 4}, facings_by_level={"G900": {5: 4}})
    high = VisitEvidence(START, {"G900": 4}, facings_by_level={"G900": {2: 3, 5: 1}})
    unknown = VisitEvidence(START, {"G900": 4})

    assert judge_visit(spec, low).verdict == Verdict.NOT_EXECUTED
    assert judge_visit(spec, high).verdict == Verdict.PARTLY_EXECUTED
    assert judge_visit(spec, unknown).verdict == Verdict.INSUFFICIENT_EVIDENCE


def test_pos_material_needs_a_reviewer_confirmation():
    spec = PlacementSpec(DisplayType.SHELF_STRIP, (), START, START + timedelta(days=6), Decimal("50.00"))

    assert judge_visit(spec, VisitEvidence(START)).verdict == Verdict.INSUFFICIENT_EVIDENCE
    assert judge_visit(spec, VisitEvidence(START, confirmed=True)).verdict == Verdict.EXECUTED
    assert judge_visit(spec, VisitEvidence(START, confirmed=False)).verdict == Verdict.NOT_EXECUTED


def test_executed_in_3_of_4_weeks_pays_three_quarters():
    visits = [visit(1), visit(8), visit(15, g900=0, g400=0), visit(23)]
    result = assess_placement(end_cap(), visits)

    assert [w.status for w in result.windows] == ["executed", "executed", "not_executed", "executed"]
    assert result.payable == Decimal("750.00")
    assert result.summary.startswith("Executed in 3 of 4 weeks")


def test_partial_execution_pays_the_documented_fraction_of_its_week():
    visits = [visit(1), visit(8), visit(15, g400=2), visit(23)]
    result = assess_placement(end_cap(), visits)

    assert result.payable == Decimal("1000.00") * (3 + PARTIAL_CREDIT) / 4


def test_a_week_without_usable_photos_is_not_paid():
    visits = [visit(1), visit(8, evidence_weight=0.1), visit(23)]  # week 2 flagged, week 3 not visited
    result = assess_placement(end_cap(), visits)

    assert [w.status for w in result.windows] == ["executed", "unverified", "unverified", "executed"]
    assert result.payable == Decimal("500.00")


def test_the_latest_usable_visit_of_a_week_decides_it():
    result = assess_placement(
        end_cap(days=7), [visit(0), visit(5, g900=0, g400=0), visit(6, quality_ok=False)]
    )

    assert result.windows[0].status == Verdict.NOT_EXECUTED
    assert result.windows[0].visit_id == "v5"


def test_amounts_are_decimal_rounded_down_to_the_cent_and_never_above_the_fee():
    spec = end_cap(fee="1000.00", days=30)  # 4 weeks + a 2-day tail: week shares are 7/30
    result = assess_placement(spec, [visit(1)])
    full = assess_placement(spec, [visit(d) for d in (1, 8, 15, 22, 29)])

    assert result.payable == Decimal("233.33")  # 1000 * 7 / 30 = 233.333..., rounded down
    assert isinstance(result.payable, Decimal) and result.payable.as_tuple().exponent == -2
    assert full.payable == Decimal("1000.00")
    assert full.payable <= spec.fee


def test_visits_outside_the_period_are_ignored_with_a_reason():
    result = assess_placement(end_cap(days=7), [visit(-3), visit(10)])

    assert result.verdicts == []
    assert result.payable == Decimal("0.00")
    assert len(result.ignored) == 2 and "outside the placement period" in result.ignored[0]


def test_bad_specs_are_refused():
    with pytest.raises(ValueError, match="Decimal"):
        PlacementSpec(DisplayType.END_CAP, (), START, START, 100.0)
    with pytest.raises(ValueError, match="before it starts"):
        PlacementSpec(DisplayType.END_CAP, (), START, START - timedelta(days=1), Decimal(1))
    with pytest.raises(ValueError):
        PlacementSpec("hologram", (), START, START, Decimal(1))


def test_claim_recommendation_never_approves_more_than_the_photos_support():
    result = assess_placement(end_cap(), [visit(1), visit(8), visit(15, g900=0, g400=0), visit(23)])

    assert claim_recommendation(Decimal("700.00"), result)[:2] == ("approve", Decimal("700.00"))
    decision, amount, reasons = claim_recommendation(Decimal("1200.00"), result)
    assert (decision, amount) == ("partial", Decimal("750.00"))
    assert any("above the contracted fee" in reason_text(r) for r in reasons)
    nothing = assess_placement(end_cap(), [visit(1, g900=0, g400=0)])
    assert claim_recommendation(Decimal("100.00"), nothing)[:2] == ("reject", Decimal("0.00"))


def test_the_assessment_is_plain_json():
    data = assess_placement(end_cap(), [visit(1)]).to_dict()

    assert data["payable"] == "250.00"
    assert data["windows"][0]["status"] == "executed"
    assert data["verdicts"][0]["visit_date"] == "2025-03-04"
