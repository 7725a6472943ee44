"""The alert rules on small plain inputs: no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from shelfai.alerts import rules
from shelfai.alerts.rules import AssignmentFacts, CheckFact, ClaimFacts, PlacementFacts, QueueFacts

MONDAY = date(2026, 3, 2)
END_CAP = PlacementFacts(id=7, label="End-cap — Spring at Riverside", starts_on=MONDAY,
                         ends_on=MONDAY + timedelta(days=23), fee=Decimal("900"))  # 3 whole weeks + 3 days


def weeks_alerted(checks, today):
    return [(f.data["week_start"], f.data["state"]) for f in rules.display_missing(END_CAP, checks, today=today)]


def test_a_week_with_the_display_executed_raises_nothing_and_an_unfinished_week_waits():
    checks = [CheckFact(MONDAY + timedelta(days=2), "executed")]
    assert weeks_alerted(checks, today=MONDAY + timedelta(days=7)) == []
    assert weeks_alerted([], today=MONDAY + timedelta(days=6)) == []  # the first week is not over yet


def test_a_week_whose_latest_usable_visit_found_it_absent_is_alerted_as_absent():
    checks = [CheckFact(MONDAY + timedelta(days=1), "executed"), CheckFact(MONDAY + timedelta(days=5), "not_executed"),
              CheckFact(MONDAY + timedelta(days=6), "insufficient_evidence")]  # unusable: does not decide
    assert weeks_alerted(checks, today=MONDAY + timedelta(days=7)) == [("2026-03-02", "absent")]


def test_a_week_with_only_insufficient_evidence_or_no_visit_is_not_verified():
    checks = [CheckFact(MONDAY + timedelta(days=3), "insufficient_evidence")]
    facts = rules.display_missing(END_CAP, checks, today=MONDAY + timedelta(days=14))
    assert [(f.data["week_start"], f.data["state"]) for f in facts] == [("2026-03-02", "not verified"),
                                                                        ("2026-03-09", "not verified")]
    assert "no visit of the week gave usable photo evidence" in facts[0].body
    assert "no visit of the week photographed it" in facts[1].body


def test_a_partly_executed_week_is_not_absent_and_the_short_last_window_is_not_a_whole_week():
    checks = [CheckFact(MONDAY + timedelta(days=d), "partly_executed") for d in (1, 8, 15)]
    assert weeks_alerted(checks, today=MONDAY + timedelta(days=60)) == []  # days 21-23 are no whole week


def test_each_week_has_its_own_stable_key_and_old_weeks_are_skipped_with_since():
    today = MONDAY + timedelta(days=21)
    keys = [f.key for f in rules.display_missing(END_CAP, [], today=today)]
    assert keys == ["display_missing:7:2026-03-02", "display_missing:7:2026-03-09", "display_missing:7:2026-03-16"]
    assert keys == [f.key for f in rules.display_missing(END_CAP, [], today=today)]
    recent = rules.display_missing(END_CAP, [], today=today, since=MONDAY + timedelta(days=10))
    assert [f.key for f in recent] == keys[1:]


def packet(*flags):
    return {"visits": [{"date": "2026-03-03", "photos": [
        {"id": f"photo-{i}", "flags": [{"code": code, "severity": sev, "reason": f"{code} reason"}]}
        for i, (code, sev) in enumerate(flags)]}]}


def test_a_claim_with_a_critical_flag_alerts_finance_and_one_with_warnings_only_does_not():
    claim = ClaimFacts(id=3, reference="CL-3", amount=Decimal("500"),
                       packets=[packet(("near_duplicate", "critical"), ("no_exif", "warning"))])
    fact = rules.claim_critical(claim)
    assert fact.rule == rules.Rule.CLAIM_CRITICAL and fact.link == "/claims/3/"
    assert "near_duplicate reason" in fact.body and "no_exif" not in fact.body
    assert rules.claim_critical(ClaimFacts(id=4, reference="CL-4", amount=Decimal("1"),
                                           packets=[packet(("no_exif", "warning"))])) is None


def test_a_claims_key_changes_only_when_a_new_photo_is_flagged():
    one = ClaimFacts(id=3, reference="CL-3", amount=Decimal("1"), packets=[packet(("recaptured", "critical"))])
    again = ClaimFacts(id=3, reference="CL-3", amount=Decimal("1"), packets=[packet(("recaptured", "critical"))])
    more = ClaimFacts(id=3, reference="CL-3", amount=Decimal("1"),
                      packets=[packet(("recaptured", "critical"), ("exact_duplicate", "critical"))])
    assert rules.claim_critical(one).key == rules.claim_critical(again).key != rules.claim_critical(more).key


def assignment(last_visit, weekdays="1000000", starts_on=date(2026, 1, 5)):
    return AssignmentFacts(id=5, rep="rep", store="Riverside", starts_on=starts_on, ends_on=None,
                           weekdays=weekdays, last_visit=last_visit)


def test_a_store_visited_on_its_day_is_fine_and_a_missed_monday_alerts_after_the_grace():
    monday = date(2026, 3, 2)
    assert rules.store_unvisited(assignment(monday), today=monday + timedelta(days=9), grace_days=2) is None
    # Missed Monday 9 March: Wednesday 11 is inside two days of grace, Thursday 12 is not.
    assert rules.store_unvisited(assignment(monday), today=date(2026, 3, 11), grace_days=2) is None
    fact = rules.store_unvisited(assignment(monday), today=date(2026, 3, 12), grace_days=2)
    assert fact.key == "store_unvisited:5:2026-03-09" and "since 02 Mar 2026" in fact.subject


def test_one_missed_spell_keeps_its_key_and_a_visit_starts_a_new_one():
    a = rules.store_unvisited(assignment(date(2026, 3, 2)), today=date(2026, 3, 12), grace_days=2)
    later = rules.store_unvisited(assignment(date(2026, 3, 2)), today=date(2026, 3, 30), grace_days=2)
    assert a.key == later.key and later.data["missed_days"] == 3
    after_visit = rules.store_unvisited(assignment(date(2026, 3, 17)), today=date(2026, 3, 30), grace_days=2)
    assert after_visit.key == "store_unvisited:5:2026-03-23"


def test_a_store_never_visited_counts_from_the_assignments_start_and_no_schedule_never_alerts():
    fact = rules.store_unvisited(assignment(None, starts_on=date(2026, 3, 2)), today=date(2026, 3, 5), grace_days=2)
    assert fact.key == "store_unvisited:5:2026-03-02" and "since the assignment began" in fact.subject
    assert rules.store_unvisited(assignment(None, weekdays="0000000"), today=date(2026, 6, 1), grace_days=0) is None


def test_a_failed_photo_is_one_alert_with_its_reason():
    fact = rules.photo_failed(rules.FailedPhoto(id=9, public_id="abc", store="Riverside", reason="worker died"))
    assert fact.key == "photo_failed:9" and "worker died" in fact.body


def test_a_queue_alerts_when_too_deep_or_too_slow_once_a_day():
    now = datetime(2026, 3, 2, 9, 30)
    limits = {"now": now, "max_depth": 100, "max_wait": timedelta(minutes=30)}
    calm = QueueFacts("gpu", depth=99, oldest_wait=timedelta(minutes=5), waiting=99)
    assert rules.queue_backlog(calm, **limits) is None
    deep = rules.queue_backlog(QueueFacts("gpu", depth=100, oldest_wait=None), **limits)
    slow = rules.queue_backlog(QueueFacts("gpu", depth=None, oldest_wait=timedelta(minutes=45), waiting=3), **limits)
    assert deep.key == slow.key == "queue_backlog:gpu:2026-03-02"
    assert "100 messages ready" in deep.body and "3 photos waiting, the oldest for 45 min" in slow.body
