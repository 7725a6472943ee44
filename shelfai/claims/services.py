"""Writes for expense claims: submission, finance decisions, reopening, ERP export, audit trail.

Every write runs in a transaction and calls ``full_clean`` first. Money is ``Decimal`` end to end and
no amount — claimed, recommended or approved — ever exceeds the placement's contracted fee.
Paid-placement verification and the evidence packet live in ``shelfai.claims.evidence``.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shelfai.accounts.models import User
from shelfai.claims.evidence import claim_evidence_refresh
from shelfai.claims.models import AuditEvent, ClaimDecision, ClaimLine, ExpenseClaim, PaidPlacement
from shelfai.claims.selectors import user_decides_claims
from shelfai.formats import day, moment, money
from shelfai.stores.zones import local_today

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
Outcome = ClaimDecision.Outcome
DECISION_STATUS = {
    Outcome.APPROVE: ExpenseClaim.Status.APPROVED,
    Outcome.PARTIAL: ExpenseClaim.Status.PARTIAL,
    Outcome.REJECT: ExpenseClaim.Status.REJECTED,
}


class ClaimError(Exception):
    """A refusal with a sentence the user can act on."""


class NotAllowed(ClaimError):
    """The user's role may not do this (HTTP 403)."""


class ClaimLinesRefused(ClaimError):
    """Some claim lines break the rules; ``problems`` maps a line key to its reasons."""

    def __init__(self, problems: dict[int, list[str]]):
        self.problems = problems
        first = next(iter(problems.items()))
        super().__init__(_("Line %(line)s: %(problems)s") % {"line": first[0], "problems": " ".join(first[1])})


class DecisionInvalid(ClaimError):
    """The decision form is wrong; ``errors`` maps a field (outcome, amount, reason) to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class ClaimAlreadyDecided(ClaimError):
    """The claim was decided (or changed) since it was opened: a second decision is refused."""


@dataclass(frozen=True)
class LineInput:
    placement: PaidPlacement
    period_start: date
    period_end: date
    amount: Decimal
    line_no: int | None = None  # where it came from (a CSV line), for reporting


@dataclass
class ClaimInput:
    reference: str
    claimant_name: str = ""
    lines: list[LineInput] = field(default_factory=list)


# --- Audit ---------------------------------------------------------------------------------------

def audit_record(*, actor: User | None, action: str, obj: Model, data: dict | None = None) -> AuditEvent:
    event = AuditEvent(
        actor=actor, action=action, object_type=obj._meta.model_name, object_id=str(obj.pk), data=data or {}
    )
    event.full_clean()
    event.save()
    return event


# --- Submission ----------------------------------------------------------------------------------

def claim_line_problems(*, line: LineInput, earlier: list[LineInput]) -> list[str]:
    """Why a claim line cannot be accepted, given the lines accepted before it in the same batch."""
    placement, start, end, amount = line.placement, line.period_start, line.period_end, line.amount
    problems = []
    # Written while the request is answered, so in its language.
    label = _("Placement %(id)s (%(display)s at %(store)s)") % {
        "id": placement.pk, "display": placement.get_display_type_display(), "store": placement.store.code}
    if end < start:
        problems.append(_("The period ends (%(end)s) before it starts (%(start)s).") % {
            "end": day(end), "start": day(start)})
    if start < placement.starts_on or end > placement.ends_on:
        problems.append(_("%(placement)s runs %(starts)s to %(ends)s; the claimed period %(start)s to %(end)s is "
                          "outside it.") % {"placement": label, "starts": day(placement.starts_on),
                                             "ends": day(placement.ends_on), "start": day(start), "end": day(end)})
    if end > local_today(placement.store):  # the store's today: its days are the placement's days
        problems.append(_("The claimed period ends on %(end)s, in the future: claim it once it has passed.") % {
            "end": day(end)})
    if amount <= 0:
        problems.append(_("The amount must be more than 0."))
    if amount > placement.fee:
        problems.append(_("The amount %(amount)s is above the contracted fee of %(fee)s.") % {
            "amount": money(amount), "fee": money(placement.fee)})
    clash = (
        ClaimLine.objects.filter(placement=placement, period_start__lte=end, period_end__gte=start)
        .select_related("claim").first()
    )
    if clash is not None:
        problems.append(_(
            "%(placement)s was already claimed for %(start)s to %(end)s in claim %(reference)s (%(status)s). A "
            "second claim for the same placement and period is refused; ask finance to reopen that claim "
            "instead.") % {"placement": label, "start": day(clash.period_start), "end": day(clash.period_end),
                           "reference": clash.claim.reference, "status": str(clash.claim.get_status_display()).lower()})
    same_batch = [e for e in earlier if e.placement.pk == placement.pk]
    if any(e.period_start <= end and e.period_end >= start for e in same_batch):
        problems.append(_("%(placement)s is claimed twice for overlapping periods in this submission.") % {
            "placement": label})
    claimed_before = (
        ClaimLine.objects.filter(placement=placement).exclude(claim__status=ExpenseClaim.Status.REJECTED)
        .aggregate(total=Sum("amount"))["total"] or Decimal("0")
    ) + sum((e.amount for e in same_batch), Decimal("0"))
    if amount <= placement.fee < claimed_before + amount:
        problems.append(_("%(placement)s has already been claimed for %(claimed)s of its %(fee)s fee; at most "
                          "%(left)s more can be claimed.") % {
            "placement": label, "claimed": money(claimed_before), "fee": money(placement.fee),
            "left": money(max(placement.fee - claimed_before, Decimal("0")))})
    return problems


def claim_submit(
    *, submitted_by: User, lines: list[LineInput], reference: str = "", claimant_name: str = "",
    source: str = ExpenseClaim.Source.REP,
) -> ExpenseClaim:
    """A claim from a rep (or an admin on someone's behalf), validated like an imported one."""
    reference = reference.strip() or _new_reference(source)
    if ExpenseClaim.objects.filter(reference=reference).exists():
        raise ClaimLinesRefused({0: [_("Claim reference %(reference)s is already used.") % {"reference": reference}]})
    if not lines:
        raise ClaimLinesRefused({0: [_("A claim needs at least one line.")]})
    claim_input = ClaimInput(reference=reference, claimant_name=claimant_name, lines=lines)
    return claims_create(submitted_by=submitted_by, source=source, claims=[claim_input],
                         audit_action="claim.submitted")[0]


def claims_create(
    *, submitted_by: User, source: str, claims: list[ClaimInput], audit_action: str
) -> list[ExpenseClaim]:
    """Store validated claims all together, or none: rules are re-checked under a lock on the placements."""
    with transaction.atomic():
        placement_ids = sorted({line.placement.pk for claim in claims for line in claim.lines})
        # Serialise concurrent claims on the same placements so two can't both pass the overlap rule.
        list(PaidPlacement.objects.select_for_update().filter(pk__in=placement_ids).order_by("pk"))
        problems, accepted = {}, []
        for index, line in enumerate(line for claim in claims for line in claim.lines):
            found = claim_line_problems(line=line, earlier=accepted)
            if found:
                problems[line.line_no if line.line_no is not None else index + 1] = found
            accepted.append(line)
        if problems:
            raise ClaimLinesRefused(problems)
        created = [_claim_store(submitted_by=submitted_by, source=source, claim_input=c) for c in claims]
        for claim in created:
            audit_record(actor=submitted_by, action=audit_action, obj=claim, data={
                "reference": claim.reference, "source": source, "total_amount": str(claim.total_amount),
                "lines": claim.lines.count()})
    for claim in created:
        _evidence_refresh_quietly(claim)
    return created


def _claim_store(*, submitted_by: User, source: str, claim_input: ClaimInput) -> ExpenseClaim:
    claim = ExpenseClaim(
        reference=claim_input.reference, source=source, submitted_by=submitted_by,
        claimant_name=claim_input.claimant_name[:160],
        total_amount=sum((line.amount for line in claim_input.lines), Decimal("0")),
    )
    claim.full_clean()
    claim.save()
    for line_input in claim_input.lines:
        line = ClaimLine(claim=claim, placement=line_input.placement, period_start=line_input.period_start,
                         period_end=line_input.period_end, amount=line_input.amount)
        line.full_clean()
        line.save()
    return claim


def _new_reference(source: str) -> str:
    return f"{source.upper()}-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def _evidence_refresh_quietly(claim: ExpenseClaim) -> None:
    try:
        claim_evidence_refresh(claim=claim)
    except Exception:  # the claim is stored; its packet is rebuilt on the next refresh
        log.exception("Building the evidence packet of claim %s failed", claim.reference)


# --- Decisions -----------------------------------------------------------------------------------

def claim_decide(
    *, claim: ExpenseClaim, decided_by: User, outcome: str, reason: str, amount: Decimal | None = None,
    decisions_seen: int | None = None,
) -> ClaimDecision:
    """Finance approves, partially approves or rejects a submitted claim, once.

    ``decisions_seen`` is how many decisions the page showed: when the claim changed since (another
    tab decided, reopened and decided again), the decision is refused rather than stacked.
    """
    if not user_decides_claims(decided_by):
        raise NotAllowed(_("Only finance decides claims."))
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        _refuse_if_decided(locked, decisions_seen)
        lines = list(locked.lines.select_related("placement").order_by("pk"))
        approved = _decision_amount(outcome=outcome, reason=reason, amount=amount, claim=locked, lines=lines)
        locked.status = DECISION_STATUS[outcome]
        locked.full_clean()
        # Conditional, besides the row lock: on a database without SELECT ... FOR UPDATE a second,
        # concurrent decision still finds nothing left to decide.
        if ExpenseClaim.objects.filter(pk=locked.pk, status=ExpenseClaim.Status.SUBMITTED).update(
                status=locked.status) != 1:
            raise ClaimAlreadyDecided(_("Claim %(reference)s was decided by someone else just now.") % {
                "reference": locked.reference})
        for line, line_amount in zip(lines, _allocate(approved, lines), strict=True):
            line.approved_amount = line_amount
            line.full_clean()
            line.save(update_fields=["approved_amount"])
        decision = ClaimDecision(claim=locked, decided_by=decided_by, outcome=outcome, amount=approved,
                                 reason=reason.strip(), detector_sha256=_model_version(lines))
        decision.full_clean()
        decision.save()
        audit_record(actor=decided_by, action=f"claim.{outcome}", obj=locked, data={
            "reference": locked.reference, "decision_id": decision.pk, "amount": str(approved),
            "claimed": str(locked.total_amount), "reason": decision.reason,
            "recommendation": locked.recommendation, "recommended_amount": str(locked.recommended_amount),
            "risk_score": locked.risk_score, "model_versions": _model_versions(lines),
        })
    claim.refresh_from_db()
    return decision


def _refuse_if_decided(claim: ExpenseClaim, decisions_seen: int | None) -> None:
    if claim.status in ExpenseClaim.DECIDED:
        last = claim.decisions.select_related("decided_by").order_by("-decided_at", "-pk").first()
        values = {"reference": claim.reference, "status": str(claim.get_status_display()).lower()}
        if last:
            raise ClaimAlreadyDecided(_(
                "Claim %(reference)s was already %(status)s by %(user)s on %(when)s. Reopen it first if it must be "
                "decided again.") % (values | {"user": last.decided_by.get_username(),
                                               "when": moment(last.decided_at)}))
        raise ClaimAlreadyDecided(_(
            "Claim %(reference)s was already %(status)s. Reopen it first if it must be decided again.") % values)
    if decisions_seen is not None and claim.decisions.count() != decisions_seen:
        raise ClaimAlreadyDecided(
            _("Claim %(reference)s changed since you opened it. Reload the page and decide again.") % {
                "reference": claim.reference})


def _decision_amount(*, outcome: str, reason: str, amount: Decimal | None, claim: ExpenseClaim,
                     lines: list[ClaimLine]) -> Decimal:
    errors = {}
    if outcome not in DECISION_STATUS:
        errors["outcome"] = _("Choose approve, partially approve or reject.")
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the decision; it is kept in the audit trail.")
    ceiling = min(claim.total_amount, sum((min(ln.amount, ln.placement.fee) for ln in lines), Decimal("0")))
    approved = Decimal("0")
    if outcome == Outcome.APPROVE:
        approved = ceiling
    elif outcome == Outcome.PARTIAL:
        amount = _as_money(amount)
        if amount is None:
            errors["amount"] = _("Give the amount to approve for “Approve part”, e.g. 750.50.")
        elif amount != amount.quantize(CENT):
            errors["amount"] = _("Give the amount in whole cents, e.g. 750.50.")
        elif amount <= 0:
            errors["amount"] = _("A partial approval is more than 0; to pay nothing, reject the claim.")
        elif amount > ceiling:
            errors["amount"] = _("At most %(ceiling)s can be approved: the amount claimed, and never more than the "
                                 "contracted fee.") % {"ceiling": money(ceiling)}
        else:
            approved = amount
    if errors:
        raise DecisionInvalid(errors)
    return approved


def _as_money(value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value if value is None or value.is_finite() else None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _allocate(total: Decimal, lines: list[ClaimLine]) -> list[Decimal]:
    """Spread an approved total over the lines in proportion to their recommended (else claimed)
    amounts, never giving a line more than it claimed or than its fee."""
    caps = [min(line.amount, line.placement.fee) for line in lines]
    weights = [max(line.amount if line.recommended_amount is None else line.recommended_amount, Decimal("0"))
               for line in lines]
    shares = [Decimal("0")] * len(lines)
    open_lines = [i for i, cap in enumerate(caps) if cap > 0]
    remaining = total
    while remaining > 0 and open_lines:
        if sum(weights[i] for i in open_lines) <= 0:
            for i in open_lines:
                weights[i] = Decimal("1")
        weight_sum = sum(weights[i] for i in open_lines)
        capped = [i for i in open_lines if shares[i] + remaining * weights[i] / weight_sum >= caps[i]]
        if capped:  # these lines get their cap; the rest is spread again over the others
            for i in capped:
                remaining -= caps[i] - shares[i]
                shares[i] = caps[i]
            open_lines = [i for i in open_lines if i not in capped]
            continue
        for i in open_lines:
            shares[i] += (remaining * weights[i] / weight_sum).quantize(CENT, rounding=ROUND_DOWN)
        remaining = total - sum(shares, Decimal("0"))
        for i in sorted(open_lines, key=lambda k: weights[k], reverse=True):  # the cents rounding left over
            if remaining <= 0:
                break
            shares[i] += CENT
            remaining -= CENT
        break
    return shares


def _model_versions(lines: list[ClaimLine]) -> list[str]:
    return sorted({sha for line in lines for sha in (line.evidence or {}).get("model_versions", [])})


def _model_version(lines: list[ClaimLine]) -> str:
    versions = _model_versions(lines)
    return versions[0] if len(versions) == 1 else ""


def claim_reopen(*, claim: ExpenseClaim, reopened_by: User, reason: str) -> ClaimDecision:
    """Put a decided claim back in the queue. Audited; the earlier decision stays on record."""
    if not user_decides_claims(reopened_by):
        raise NotAllowed(_("Only finance reopens claims."))
    if not (reason or "").strip():
        raise DecisionInvalid({"reason": _("Give the reason for reopening; it is kept in the audit trail.")})
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in ExpenseClaim.DECIDED:
            raise ClaimAlreadyDecided(_("Claim %(reference)s is not decided, so there is nothing to reopen.") % {
                "reference": locked.reference})
        previous = locked.status
        locked.lines.update(approved_amount=None)
        locked.status = ExpenseClaim.Status.SUBMITTED
        locked.full_clean()
        if ExpenseClaim.objects.filter(pk=locked.pk, status=previous).update(status=locked.status) != 1:
            raise ClaimAlreadyDecided(_("Claim %(reference)s was reopened by someone else just now.") % {
                "reference": locked.reference})
        decision = ClaimDecision(claim=locked, decided_by=reopened_by, outcome=Outcome.REOPEN,
                                 amount=Decimal("0"), reason=reason.strip())
        decision.full_clean()
        decision.save()
        audit_record(actor=reopened_by, action="claim.reopen", obj=locked, data={
            "reference": locked.reference, "decision_id": decision.pk, "previous_status": previous,
            "reason": decision.reason})
    _evidence_refresh_quietly(locked)
    claim.refresh_from_db()
    return decision


# --- ERP export ----------------------------------------------------------------------------------

# The ERP reads this file by its column names and codes (source, display_type, decision): they stay
# English and stable in every language; only the reason finance typed is free text.
EXPORT_COLUMNS = [
    "claim_reference", "source", "claimant", "store_code", "store_name", "retailer", "campaign",
    "placement_id", "display_type", "period_start", "period_end", "claimed_amount", "approved_amount",
    "decision", "decided_by", "decided_at", "decision_id", "reason", "model_version",
]


def claims_export_csv(rows: list[dict]) -> str:
    """The ERP file. Cells a spreadsheet would run as formulas are prefixed with a quote."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_safe(row.get(key, "")) for key in EXPORT_COLUMNS})
    return out.getvalue()


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def claims_mark_exported(*, user: User, decision_ids: list[int]) -> int:
    """Stamp decisions as sent to the ERP, so the next 'new only' export leaves them out."""
    batch = claims_export_batch(user=user, decision_ids=decision_ids)
    return batch.data["count"] if batch else 0


def claims_export_batch(*, user: User, decision_ids: list[int]) -> AuditEvent | None:
    """Stamp the decisions not yet sent as sent to the ERP; the audit event is the batch (its id names
    the file finance can download again, its data lists exactly the decisions it stamped). None when
    every one of them had been sent already."""
    if not user_decides_claims(user):
        raise NotAllowed(_("Only finance exports claims to the ERP."))
    with transaction.atomic():
        now = timezone.now()
        fresh = sorted(ClaimDecision.objects.select_for_update().filter(
            pk__in=decision_ids, exported_at__isnull=True).values_list("pk", flat=True))
        marked = ClaimDecision.objects.filter(pk__in=fresh, exported_at__isnull=True).update(exported_at=now)
        if not marked:
            return None
        event = AuditEvent(actor=user, action="claims.exported", object_type="claimdecision",
                           object_id=str(min(fresh)), data={"decision_ids": fresh, "count": marked})
        event.full_clean()
        event.save()
    return event
