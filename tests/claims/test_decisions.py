"""Finance decides once, with a reason; every decision and reopen is on the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shelfai.claims import services
from shelfai.claims.models import AuditEvent, ClaimDecision, ExpenseClaim


def decide(claim, user, outcome, reason="Checked the photos.", amount=None, **extra):
    return services.claim_decide(claim=claim, decided_by=user, outcome=outcome, reason=reason,
                                 amount=None if amount is None else Decimal(amount), **extra)


def test_finance_approves_in_full_and_it_is_recorded_who_when_how_much_why(shop, claim_for):
    claim = claim_for("800.00")
    decision = decide(claim, shop.users["finance"], "approve", "Display verified on every visit.")
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.APPROVED
    assert decision.amount == Decimal("800.00") and decision.decided_by == shop.users["finance"]
    assert decision.decided_at is not None and decision.reason == "Display verified on every visit."
    assert claim.lines.get().approved_amount == Decimal("800.00")
    event = AuditEvent.objects.get(action="claim.approve")
    assert event.actor == shop.users["finance"] and event.object_id == str(claim.pk)
    assert event.data["amount"] == "800.00" and event.data["reason"] == "Display verified on every visit."


def test_a_partial_approval_pays_the_given_amount(shop, claim_for):
    claim = claim_for("800.00")
    decide(claim, shop.users["finance"], "partial", "Seen on 3 of 4 visits.", amount="600.00")
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.PARTIAL
    assert claim.lines.get().approved_amount == Decimal("600.00")


@pytest.mark.parametrize("amount, field_text", [
    (None, "Give the amount"),
    ("0", "reject the claim"),
    ("800.01", "At most EUR 800.00"),
])
def test_a_partial_approval_needs_an_amount_above_0_and_within_the_claim(shop, claim_for, amount, field_text):
    claim = claim_for("800.00")
    with pytest.raises(services.DecisionInvalid) as refused:
        decide(claim, shop.users["finance"], "partial", amount=amount)
    assert field_text in refused.value.errors["amount"]
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED and not ClaimDecision.objects.exists()


def test_a_decision_needs_a_reason(shop, claim_for):
    claim = claim_for()
    with pytest.raises(services.DecisionInvalid) as refused:
        decide(claim, shop.users["finance"], "reject", reason="   ")
    assert "reason" in refused.value.errors
    assert not ClaimDecision.objects.exists() and not AuditEvent.objects.filter(action__startswith="claim.r").exists()


def test_a_rejection_pays_nothing(shop, claim_for):
    claim = claim_for()
    decision = decide(claim, shop.users["finance"], "reject", "Photo re-used from another store.")
    assert decision.amount == 0 and claim.lines.get().approved_amount == 0


def test_a_decided_claim_cannot_be_decided_again(shop, claim_for):
    claim = claim_for()
    decide(claim, shop.users["finance"], "approve")
    with pytest.raises(services.ClaimAlreadyDecided) as refused:
        decide(claim, shop.users["admin"], "reject")
    assert "already approved by finance" in str(refused.value) and "Reopen" in str(refused.value)
    assert ClaimDecision.objects.count() == 1


def test_a_decision_made_on_a_stale_page_is_refused(shop, claim_for):
    claim = claim_for()
    decide(claim, shop.users["finance"], "approve", decisions_seen=0)
    services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="Wrong store checked.")
    decide(claim, shop.users["finance"], "partial", amount="100", decisions_seen=2)
    services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="Again.")
    with pytest.raises(services.ClaimAlreadyDecided, match="changed since you opened it"):
        decide(claim, shop.users["finance"], "reject", decisions_seen=2)


def test_reopen_is_audited_and_keeps_the_earlier_decision(shop, claim_for):
    claim = claim_for("800.00")
    decide(claim, shop.users["finance"], "approve", "Looked fine.")
    services.claim_reopen(claim=claim, reopened_by=shop.users["admin"], reason="Duplicate photo found later.")
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED and claim.lines.get().approved_amount is None
    decide(claim, shop.users["finance"], "reject", "Photo re-used.")
    outcomes = list(claim.decisions.order_by("pk").values_list("outcome", "decided_by__username"))
    assert outcomes == [("approve", "finance"), ("reopen", "admin"), ("reject", "finance")]
    actions = list(AuditEvent.objects.filter(object_id=str(claim.pk)).order_by("pk").values_list("action", flat=True))
    assert actions == ["claim.submitted", "claim.approve", "claim.reopen", "claim.reject"]
    reopen = AuditEvent.objects.get(action="claim.reopen")
    assert reopen.data["previous_status"] == "approved" and reopen.data["reason"] == "Duplicate photo found later."


def test_reopen_needs_a_reason_and_a_decided_claim(shop, claim_for):
    claim = claim_for()
    with pytest.raises(services.ClaimAlreadyDecided, match="nothing to reopen"):
        services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="why not")
    decide(claim, shop.users["finance"], "approve")
    with pytest.raises(services.DecisionInvalid):
        services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="")
    assert ExpenseClaim.objects.get().status == ExpenseClaim.Status.APPROVED


@pytest.mark.parametrize("who", ["rep", "other_rep", "marketing"])
def test_only_finance_decides_or_reopens(shop, claim_for, who):
    claim = claim_for()
    with pytest.raises(services.NotAllowed):
        decide(claim, shop.users[who], "approve")
    decide(claim, shop.users["finance"], "approve")
    with pytest.raises(services.NotAllowed):
        services.claim_reopen(claim=claim, reopened_by=shop.users[who], reason="mine")


def test_a_partial_amount_is_spread_over_lines_without_exceeding_any(shop):
    lines = [
        services.LineInput(placement=shop.placement, period_start=shop.start, period_end=shop.end,
                           amount=Decimal("900.00")),
        services.LineInput(placement=shop.other_placement, period_start=shop.start, period_end=shop.end,
                           amount=Decimal("100.00")),
    ]
    claim = services.claim_submit(submitted_by=shop.users["admin"], lines=lines)
    claim.lines.update(recommended_amount=Decimal("50.00"))  # as if the evidence recommended equal amounts
    decide(claim, shop.users["finance"], "partial", amount="333.33")
    approved = dict(claim.lines.values_list("placement_id", "approved_amount"))
    assert approved == {shop.placement.pk: Decimal("233.33"), shop.other_placement.pk: Decimal("100.00")}


@pytest.mark.django_db(transaction=True)
def test_two_finance_users_deciding_at_once_make_one_decision(shop, claim_for):
    """Two tabs (or a double click) racing: one decision is recorded, the other is refused cleanly."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs row locks across connections (PostgreSQL, as in CI)")
    claim = claim_for()
    barrier, outcomes = threading.Barrier(2), []

    def attempt(user, outcome):
        try:
            barrier.wait()
            decide(ExpenseClaim.objects.get(pk=claim.pk), user, outcome)
            outcomes.append("decided")
        except services.ClaimAlreadyDecided:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(shop.users[who], outcome))
               for who, outcome in (("finance", "approve"), ("admin", "reject"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "refused"]
    assert ClaimDecision.objects.filter(claim=claim).count() == 1
