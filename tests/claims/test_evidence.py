"""Evidence packets: verdicts per visit, weekly coverage, the pro-rata amount, authenticity, risk."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from shelfai.claims.evidence import claim_evidence_refresh, placement_checks_refresh
from shelfai.claims.models import PlacementCheck
from shelfai.visits.models import AuthenticityFlag
from tests.claims.conftest import detections_on, visit_on


def weekly_visits(shop, executed_visit, executed_weeks: set[int]):
    """One visit in the middle of each of the 4 weeks; the display is up in ``executed_weeks`` only."""
    made = []
    for week in range(4):
        facings = None if week in executed_weeks else [(shop.gold, 2, 1)]  # 1 of 4 gold, no silver
        made.append(executed_visit(shop.start + timedelta(days=7 * week + 3), facings))
    return made


def test_three_of_four_weeks_executed_pays_three_quarters_of_the_fee(shop, executed_visit, claim_for):
    weekly_visits(shop, executed_visit, {0, 1, 3})
    claim = claim_for("1000.00")
    claim.refresh_from_db()
    line = claim.lines.get()
    assert line.recommended_amount == Decimal("750.00") == claim.recommended_amount
    assert claim.recommendation == "partial"
    packet = line.evidence
    assert [w["status"] for w in packet["coverage"]["windows"]] == [
        "executed", "executed", "not_executed", "executed"]
    assert packet["coverage"]["text"].startswith("Executed in 3 of 4 weeks")
    assert [v["verdict"] for v in packet["visits"]] == ["executed", "executed", "not_executed", "executed"]
    assert "Gold Formula 900 g: 1 of 4 required facings." in packet["visits"][2]["reasons"]
    assert packet["model_versions"] == ["a" * 64]
    photo = packet["visits"][0]["photos"][0]
    assert photo["evidence_url"] == f"/api/photos/{photo['id']}/evidence/"


def test_a_claim_the_photos_fully_support_is_recommended_for_approval(shop, executed_visit, claim_for):
    weekly_visits(shop, executed_visit, {0, 1, 2, 3})
    claim = claim_for("900.00")
    claim.refresh_from_db()
    assert claim.recommendation == "approve" and claim.recommended_amount == Decimal("900.00")
    assert claim.risk_score == 0


def test_no_visits_in_the_period_recommends_rejection_with_the_reason(shop, claim_for):
    claim = claim_for("500.00")
    claim.refresh_from_db()
    assert claim.recommendation == "reject" and claim.recommended_amount == 0
    assert any("No week" in r for r in claim.recommendation_reasons)
    assert claim.risk_score >= 60


def test_a_claim_for_part_of_the_period_is_judged_against_the_fee_share(shop, executed_visit, claim_for):
    weekly_visits(shop, executed_visit, {0, 1, 2, 3})
    claim = claim_for("600.00", end=shop.start + timedelta(days=13))
    line = claim.lines.get()
    share = (Decimal("1000.00") * 14 / 28).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert line.recommended_amount == share and line.evidence["period"]["fee_share"] == str(share)
    assert any("part of the placement period" in r for r in line.evidence["recommendation"]["reasons"])


def test_a_reused_photo_lowers_the_evidence_and_shows_the_original(shop, executed_visit, claim_for, make_jpeg):
    from shelfai.authenticity import checks as authenticity

    weekly_visits(shop, executed_visit, {0, 1, 2, 3})
    # An extra week-3 photo is the same file as one taken at the other store before the period.
    earlier_visit, original = executed_visit(shop.start - timedelta(days=20), store=shop.other_store,
                                             data=make_jpeg(seed=4242))
    _, reused = executed_visit(shop.start + timedelta(days=16), data=make_jpeg(seed=4242))
    stored = authenticity.duplicate_flag(original="an earlier photo", exact=True)
    AuthenticityFlag.objects.create(photo=reused, code="exact_duplicate", severity="critical", weight=stored.weight,
                                    reason="The same file was already uploaded.", duplicate_of=original, distance=0)
    weight = authenticity.evidence_weight([stored])
    claim = claim_for("1000.00")
    packet = claim.lines.get().evidence
    week3 = [v for v in packet["visits"] if v["date"] == str(shop.start + timedelta(days=16))][0]
    assert week3["evidence_weight"] == weight < 0.5 and week3["verdict"] == "insufficient_evidence"
    # Week 3 still has its other, clean visit: the re-used photo cannot make the week worse or better.
    assert [w["status"] for w in packet["coverage"]["windows"]] == ["executed"] * 4
    flag = week3["photos"][0]["flags"][0]
    assert flag["code"] == "exact_duplicate"
    assert flag["duplicate_of"]["id"] == str(original.public_id)
    assert flag["duplicate_of"]["store"] == shop.other_store.name
    assert flag["duplicate_of"]["original_url"] == f"/api/photos/{original.public_id}/original/"
    claim.refresh_from_db()
    assert any("flagged (critical)" in r for r in claim.recommendation_reasons)
    assert claim.risk_score >= 30  # a critical flag always raises the risk


def test_a_week_shown_only_by_a_reused_photo_is_not_paid(shop, executed_visit, claim_for, make_jpeg):
    weekly_visits(shop, executed_visit, {0, 1, 3})  # week 3's real visit shows no display
    _, original = executed_visit(shop.start - timedelta(days=20), store=shop.other_store, data=make_jpeg(seed=7))
    _, reused = executed_visit(shop.start + timedelta(days=19), data=make_jpeg(seed=7))
    from shelfai.authenticity.checks import duplicate_flag

    AuthenticityFlag.objects.create(photo=reused, code="exact_duplicate", severity="critical",
                                    weight=duplicate_flag(original="an earlier photo", exact=True).weight,
                                    reason="The same file was already uploaded.", duplicate_of=original)
    claim = claim_for("1000.00")
    claim.refresh_from_db()
    # Without the flag the later, "executed" visit would decide week 3; with it, the real visit does.
    assert claim.recommended_amount == Decimal("750.00")
    assert claim.lines.get().evidence["coverage"]["windows"][2]["status"] == "not_executed"


def test_recommendations_never_exceed_the_claim_or_the_fee(shop, executed_visit, claim_for):
    weekly_visits(shop, executed_visit, {0, 1, 2, 3})
    claim = claim_for("10.00")
    claim.refresh_from_db()
    assert claim.recommended_amount == Decimal("10.00") and claim.recommendation == "approve"


def test_refresh_keeps_the_history_of_checks_and_covers_only_active_placements(shop, executed_visit):
    visit, photo = executed_visit(shop.start + timedelta(days=2), [(shop.gold, 2, 1)])
    first = placement_checks_refresh(visit=visit)
    assert [c.placement for c in first] == [shop.placement] and first[0].verdict == "not_executed"
    detections_on(photo, [(shop.gold, 2, 4), (shop.silver, 3, 2)], sha="b" * 64)  # a new model's run
    second = placement_checks_refresh(visit=visit)
    checks = PlacementCheck.objects.filter(visit=visit).order_by("pk")
    assert [(c.verdict, c.is_current, c.detector_sha256[0]) for c in checks] == [
        ("not_executed", False, "a"), ("executed", True, "b")]
    assert second[0].checked_on == shop.start + timedelta(days=2)
    outside = visit_on(shop, shop.end + timedelta(days=3))
    assert placement_checks_refresh(visit=outside) == []


def test_refresh_updates_open_claims_but_not_decided_ones(shop, executed_visit, claim_for):
    from shelfai.claims import services
    from shelfai.pipeline.stages import visit_refresh

    visit, photo = executed_visit(shop.start + timedelta(days=2), [(shop.gold, 2, 1)])
    claim = claim_for("250.00", end=shop.start + timedelta(days=6))
    assert claim.lines.get().recommended_amount == 0
    detections_on(photo, [(shop.gold, 2, 4), (shop.silver, 2, 2)], sha="b" * 64)
    visit_refresh(visit)
    assert claim.lines.get().recommended_amount == Decimal("250.00")
    services.claim_decide(claim=claim, decided_by=shop.users["finance"], outcome="approve", reason="ok")
    detections_on(photo, [], sha="c" * 64)
    visit_refresh(visit)
    claim_evidence_refresh(claim=claim)
    assert claim.lines.get().evidence["model_versions"] == ["b" * 64]  # what finance decided on


def test_the_queue_puts_risky_and_large_claims_first(shop, executed_visit, claim_for, api_for):
    weekly_visits(shop, executed_visit, {0, 1, 2, 3})
    supported = claim_for("900.00", reference="OK-1")
    unsupported = claim_for("300.00", placement=shop.other_placement, reference="RISK-1")
    order = [c["reference"] for c in api_for(shop.users["finance"]).get("/api/claims/").json()["results"]]
    assert order == [unsupported.reference, supported.reference]


def test_a_stored_flag_weighs_what_the_pure_rule_says(shop, executed_visit):
    from shelfai.authenticity import checks as authenticity
    from shelfai.claims.verification import photo_weight

    _, photo = executed_visit(shop.start + timedelta(days=1))
    assert photo_weight(photo) == 1.0
    outside = authenticity.check_gps(52.523, 13.405, store_latitude=52.52, store_longitude=13.405, radius_m=150)
    edited = authenticity.check_software("Adobe Photoshop 25.0")
    for flag in outside + edited:
        AuthenticityFlag.objects.create(photo=photo, code=flag.code, severity=flag.severity, reason=flag.reason,
                                        weight=flag.weight)
    photo = type(photo).objects.get(pk=photo.pk)
    assert photo_weight(photo) == authenticity.evidence_weight(outside + edited) < 0.5
    # the weight stored with the flag counts, as the check gave it when the photo was checked
    photo.flags.update(weight=1.0)
    assert photo_weight(type(photo).objects.get(pk=photo.pk)) == 1.0


def test_scoring_a_visit_verifies_the_paid_placements_of_its_store(shop, executed_visit, claim_for):
    from shelfai.pipeline.stages import visit_refresh

    claim = claim_for("250.00", end=shop.start + timedelta(days=6))
    assert claim.lines.get().recommended_amount == 0  # no photos yet
    visit, _ = executed_visit(shop.start + timedelta(days=2))
    visit_refresh(visit)
    assert PlacementCheck.objects.get(visit=visit, is_current=True).verdict == "executed"
    assert claim.lines.get().recommended_amount == Decimal("250.00")
