"""Paid-placement verification and claim evidence packets: ORM glue around the pure rules.

The rules themselves — what a visit's detections say about a display, how coverage over a period
turns into a payable amount, how much an authenticity flag lowers the weight of a photo — are pure
code in ``shelfai.compliance.placements`` and ``shelfai.authenticity.checks``. Here we load
rows, call those rules, and store the answers:

* ``placement_verify`` stores one ``PlacementCheck`` per placement and visit (older ones are kept,
  marked not current, so what was decided on which model version stays on record);
* ``claim_evidence_refresh`` assembles each claim line's packet and the claim's recommendation
  and risk score. Decided claims keep the packet they were decided on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from shelfai.claims import messages
from shelfai.claims.models import ClaimLine, ExpenseClaim, PaidPlacement, PlacementCheck
from shelfai.claims.selectors import (
    current_checks,
    placements_active_for_visit,
    visit_date,
    visits_for_placement,
)
from shelfai.claims.verification import evidence_photos, placement_spec, visit_facts
from shelfai.compliance import placements as rules
from shelfai.visits.models import AuthenticityFlag, Photo, Visit

log = logging.getLogger(__name__)
SEVERITY_ORDER = {AuthenticityFlag.Severity.INFO: 0, AuthenticityFlag.Severity.WARNING: 1,
                  AuthenticityFlag.Severity.CRITICAL: 2}
CENT = Decimal("0.01")


# --- Verification --------------------------------------------------------------------------------

def placement_verify(*, placement: PaidPlacement, visit: Visit) -> PlacementCheck:
    """What this visit's photos show about the placement, stored as the current check."""
    facts = visit_facts(visit, on=visit_date(visit), placement=placement)
    verdict = rules.judge_visit(placement_spec(placement), facts.evidence)
    with transaction.atomic():
        PlacementCheck.objects.filter(placement=placement, visit=visit, is_current=True).update(is_current=False)
        check = PlacementCheck(
            placement=placement, visit=visit, checked_on=facts.evidence.visit_date, verdict=str(verdict.verdict),
            reasons=english(verdict.reason_codes), reason_codes=list(verdict.reason_codes),
            evidence_weight=facts.evidence.evidence_weight,
            detector_sha256=facts.detector_sha256,
        )
        check.full_clean()
        check.save()
    return check


def placement_checks_refresh(*, visit: Visit) -> list[PlacementCheck]:
    """Verify every placement of the visit's store active on the visit's day (one current check each)."""
    return [placement_verify(placement=p, visit=visit) for p in placements_active_for_visit(visit)]


# --- Evidence packets ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LineAdvice:
    outcome: str  # approve | partial | reject
    amount: Decimal
    reasons: list[dict]  # {"code", "params"} each (shelfai.claims.messages)
    risk: float


def english(reasons: list[dict]) -> list[str]:
    """The English text stored beside the codes, for readers that do not render them (the ERP, old clients)."""
    with translation.override("en"):
        return [messages.reason_text(r) for r in reasons]


def claim_evidence_refresh(*, claim: ExpenseClaim) -> ExpenseClaim:
    """Rebuild the packet, recommendation and risk of a submitted claim."""
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ExpenseClaim.Status.SUBMITTED:
            return locked  # a decided claim keeps the evidence it was decided on
        lines = list(locked.lines.select_related("placement__store", "placement__campaign__brand").order_by("pk"))
        advices = []
        for line in lines:
            packet, advice = line_evidence(line)
            line.evidence, line.recommended_amount = packet, advice.amount
            line.full_clean()
            line.save(update_fields=["evidence", "recommended_amount"])
            advices.append(advice)
        _claim_recommendation(locked, lines, advices)
        locked.full_clean()
        locked.save(update_fields=["recommended_amount", "recommendation", "recommendation_reasons",
                                   "recommendation_reason_codes", "risk_score"])
    claim.refresh_from_db()
    return locked


def line_evidence(line: ClaimLine) -> tuple[dict, LineAdvice]:
    """The packet of one claim line and what the rules recommend paying for it."""
    placement = line.placement
    visits = list(visits_for_placement(placement=placement, start=line.period_start, end=line.period_end))
    checks = current_checks(placement=placement, visits=visits)
    for visit in visits:
        if visit.pk not in checks:  # a visit scored before the placement was entered, or not scored yet
            checks[visit.pk] = placement_verify(placement=placement, visit=visit)
    facts = {visit.pk: visit_facts(visit, on=visit_date(visit), placement=placement) for visit in visits}
    spec = placement_spec(placement, start=line.period_start, end=line.period_end)
    assessment = rules.assess_placement(spec, [facts[v.pk].evidence for v in visits])
    outcome, amount, reasons = rules.claim_recommendation(line.amount, assessment, contracted_fee=placement.fee)
    photos = _photos_by_visit(visits, placement)
    advice = _advise(line, spec, outcome, amount, reasons, facts, photos)
    verdicts = {v.visit_id: v for v in assessment.verdicts}
    packet = {
        "built_at": timezone.now().isoformat(timespec="seconds"),
        "placement": _placement_summary(placement),
        "period": {"start": line.period_start.isoformat(), "end": line.period_end.isoformat(),
                   "days": spec.days, "fee_share": str(spec.fee)},
        "visits": [
            _visit_summary(v, verdicts[str(v.public_id)], facts[v.pk], photos.get(v.pk, []), line) for v in visits
        ],
        "coverage": _coverage_summary(assessment, line),
        "payable": {"amount": str(assessment.payable), "fee_share": str(spec.fee), "rule": _pro_rata_rule_english()},
        "recommendation": {"outcome": advice.outcome, "amount": str(advice.amount), "reasons": english(advice.reasons),
                           "reason_codes": advice.reasons},
        "risk": advice.risk,
        "model_versions": sorted({f.detector_sha256 for f in facts.values() if f.detector_sha256}),
    }
    return packet, advice


def _pro_rata_rule_english() -> str:
    """Stored in English; pages show ``messages.pro_rata_rule()`` in the reader's language."""
    with translation.override("en"):
        return messages.pro_rata_rule()


def _advise(line: ClaimLine, spec, outcome: str, amount: Decimal, reasons: list[dict], facts: dict,
            photos: dict[int, list[Photo]]) -> LineAdvice:
    """The rules' recommendation, capped at the claim and the fee, with the authenticity reasons and a risk.

    Risk (0-100, for sorting the queue) = 60 x share of the claim the photos do not support
    + 40 x (1 - lowest evidence weight) + 30 when any photo has a critical flag (capped at 100).
    """
    amount = max(Decimal("0"), min(amount, line.amount, line.placement.fee))
    reasons = list(reasons)
    if spec.fee < line.placement.fee and line.amount <= spec.fee:  # above it, the rules' reason says this already
        reasons.append(messages.reason("part_of_period", days=spec.days, fee=str(spec.fee),
                                       contracted=str(line.placement.fee)))
    flags = [(photo, flag) for group in photos.values() for photo in group for flag in photo.flags.all()]
    # One sentence per flagged photo, pointing at the flags shown under its visit (each flag's own text
    # is printed there once; it was repeated here and again as a separate weight sentence).
    for photo in {photo.pk: photo for photo, _ in flags}.values():
        own = [flag for p, flag in flags if p.pk == photo.pk]
        worst = max(own, key=lambda flag: SEVERITY_ORDER.get(flag.severity, 0))
        weight = next((f.photo_weights[photo.pk] for f in facts.values() if photo.pk in f.photo_weights), None)
        reasons.append(messages.reason("photo_flagged", day=visit_date(photo.visit).isoformat(),
                                       severity=worst.severity, n=len(own), weight=weight))
    weights = [f.evidence.evidence_weight for f in facts.values() if f.evidence.evidence_weight is not None]
    lowest = min(weights, default=1.0)
    critical = any(flag.severity == AuthenticityFlag.Severity.CRITICAL for _, flag in flags)
    at_risk = float((line.amount - amount) / line.amount) if line.amount else 0.0
    risk = 100 * min(1.0, 0.6 * at_risk + 0.4 * (1 - lowest) + (0.3 if critical else 0.0))
    if amount <= 0:
        outcome = "reject"
    elif amount < line.amount:
        outcome = "partial"
    return LineAdvice(outcome=outcome, amount=amount, reasons=reasons, risk=round(risk, 1))


def _coverage_summary(assessment, line: ClaimLine) -> dict:
    span = max((line.period_end - line.period_start).days + 1, 1)
    windows = []
    for w in assessment.windows:
        x = 20 + 960 * (w.start - line.period_start).days / span
        width = 960 * ((w.end - w.start).days + 1) / span
        windows.append({"start": w.start.isoformat(), "end": w.end.isoformat(), "status": str(w.status),
                        "credit": str(w.credit), "x": round(x, 1), "w": round(width, 1)})
    with translation.override("en"):
        text = assessment.summary
    return {"text": text, "text_code": assessment.summary_code, "windows": windows,
            "executed_windows": assessment.executed_windows, "total_windows": len(assessment.windows)}


def _claim_recommendation(claim: ExpenseClaim, lines: list[ClaimLine], advices: list[LineAdvice]) -> None:
    claim.recommended_amount = sum((a.amount for a in advices), Decimal("0"))
    outcomes = {a.outcome for a in advices}
    claim.recommendation = outcomes.pop() if len(outcomes) == 1 else "partial"
    claim.recommendation_reason_codes = [
        messages.reason("line_reason", display_type=line.placement.display_type, store=line.placement.store.code,
                        reason=reason)
        if len(lines) > 1 else reason
        for line, advice in zip(lines, advices, strict=True) for reason in advice.reasons
    ]
    claim.recommendation_reasons = english(claim.recommendation_reason_codes)
    # Weighted by money: a risky large line matters more than a risky small one.
    total = sum((line.amount for line in lines), Decimal("0")) or Decimal("1")
    claim.risk_score = round(sum(a.risk * float(line.amount / total) for line, a in zip(lines, advices,
                                                                                        strict=True)), 1)


def _photos_by_visit(visits: list[Visit], placement: PaidPlacement) -> dict[int, list[Photo]]:
    """The photos each visit's verdict was read from (``evidence_photos``), for the packet."""
    photos: dict[int, list[Photo]] = {}
    for visit in visits:
        photos[visit.pk] = list(evidence_photos(visit, placement).prefetch_related("flags__duplicate_of__visit__store"))
    return photos


def _placement_summary(placement: PaidPlacement) -> dict:
    return {
        "id": placement.pk, "campaign": placement.campaign.name, "brand": placement.campaign.brand.name,
        "store_code": placement.store.code, "store_name": placement.store.name,
        "display_type": placement.display_type, "display_label": placement.get_display_type_display(),
        "starts_on": placement.starts_on.isoformat(), "ends_on": placement.ends_on.isoformat(),
        "fee": str(placement.fee),
        "requirements": [
            {"sku": r.product.sku, "name": str(r.product), "min_facings": r.min_facings, "shelf_level": r.shelf_level}
            for r in placement.requirements.select_related("product").order_by("pk")
        ],
    }


def _visit_summary(visit: Visit, verdict, facts, photos: list[Photo], line: ClaimLine) -> dict:
    day = visit_date(visit)
    span = max((line.period_end - line.period_start).days + 1, 1)
    label = str(dict(PlacementCheck.Verdict.choices).get(str(verdict.verdict), str(verdict.verdict)))
    return {
        "id": str(visit.public_id), "date": day.isoformat(), "rep": visit.rep.get_username(),
        "verdict": str(verdict.verdict), "verdict_label": label, "reasons": english(verdict.reason_codes),
        "reason_codes": verdict.reason_codes,
        "execution": None if verdict.execution is None else round(verdict.execution, 3),
        "evidence_weight": facts.evidence.evidence_weight, "detector_sha256": facts.detector_sha256,
        "facings_by_sku": facts.evidence.facings_by_sku,
        # How sure the verdict is: products recognised on the display's photos, and how complete the
        # rep's checklist was on that visit (empty for visits made before checklists).
        "recognised": {"named": facts.evidence.facings_recognised, "total": facts.evidence.facings_total},
        "checklist": visit.checklist or None,
        "x": round(20 + 960 * ((day - line.period_start).days + 0.5) / span, 1),  # on the timeline drawing
        "photos": [_photo_summary(photo, facts.photo_weights.get(photo.pk, 1.0)) for photo in photos],
    }


def _photo_summary(photo: Photo, weight: float) -> dict:
    return {
        "id": str(photo.public_id), "status": photo.status, "evidence_weight": weight,
        "original_url": reverse("api-photo-original", args=[photo.public_id]),
        "evidence_url": reverse("api-photo-evidence", args=[photo.public_id]) if photo.evidence_image else None,
        "flags": [_flag_summary(flag) for flag in photo.flags.all()],
    }


def _flag_summary(flag: AuthenticityFlag) -> dict:
    original = flag.duplicate_of
    return {
        "code": flag.code, "severity": flag.severity, "reason": flag.reason, "params": flag.params,
        "distance": flag.distance,
        "duplicate_of": None if original is None else {
            "id": str(original.public_id), "store": original.visit.store.name,
            "visit_date": visit_date(original.visit).isoformat(),
            "uploaded_at": original.uploaded_at.isoformat(timespec="seconds"),
            "original_url": reverse("api-photo-original", args=[original.public_id]),
            "evidence_url": reverse("api-photo-evidence", args=[original.public_id])
            if original.evidence_image else None,
        },
    }
