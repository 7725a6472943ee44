"""Paid placement verification: was the display a brand paid for set up, and how much is payable?

Per visit (only visits dated inside the placement period are judged):

* **insufficient_evidence** when the visit has no photo of the display, the photos failed the
  quality gate, or the authenticity checks left an evidence weight below ``min_evidence_weight``
  (0.5 by default). Nothing is concluded from such a visit, in either direction.
* Also **insufficient_evidence** when the display would come out short of executed but fewer than
  ``min_recognised_share`` (0.5) of the products on its photos were recognised: "not there" cannot
  be told from "not recognised", and a rep is not docked for the recogniser's gaps.
* Otherwise each required SKU is fulfilled to ``min(1, facings seen / facings required)``; for an
  eye-level placement only facings on ``eye_levels`` count. The visit's execution is the mean over
  the required SKUs: **executed** when every SKU is fully there, **partly_executed** when the mean is
  at least ``partly_threshold`` (0.5), **not_executed** below that.
* Point-of-sale placements without SKUs (a shelf strip, a poster) cannot be seen by the product
  recogniser; they are judged from ``confirmed`` (a reviewer's yes/no on the photo), and are
  insufficient evidence while nobody has confirmed.

Coverage: the period (start to end, both included) is cut into consecutive windows of
``window_days`` (7: weekly; the last window may be shorter). A window takes the verdict of its
**latest** visit with sufficient evidence, because a display seen on Monday and gone by Friday was
not kept up; a window with no such visit is **unverified**.

Pro-rata rule (the recommended payable amount)::

    payable = fee * sum(days of window * credit of window) / days in period
    credit  = 1 for executed, 1/2 (PARTIAL_CREDIT) for partly executed, 0 for not executed or unverified

rounded **down** to the cent and never above the fee. Unverified weeks are not paid: finance can
still pay them on other evidence, but the recommendation only pays what photos show. The evidence
weight does not scale money; it decides whether a visit counts at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from shelfai.compliance.messages import reason, reason_text

PARTIAL_CREDIT = Decimal("0.5")
CENT = Decimal("0.01")


class DisplayType(StrEnum):
    END_CAP = "end_cap"
    FLOOR_STAND = "floor_stand"
    EXTRA_FACINGS = "extra_facings"
    EYE_LEVEL = "eye_level"
    SHELF_STRIP = "shelf_strip"
    POS_MATERIAL = "pos_material"
    OTHER = "other"


class Verdict(StrEnum):
    EXECUTED = "executed"
    PARTLY_EXECUTED = "partly_executed"
    NOT_EXECUTED = "not_executed"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


CREDIT = {Verdict.EXECUTED: Decimal(1), Verdict.PARTLY_EXECUTED: PARTIAL_CREDIT}


@dataclass(frozen=True, slots=True)
class RequiredSku:
    sku: str
    min_facings: int = 1
    name: str = ""


@dataclass(frozen=True, slots=True)
class PlacementSpec:
    display_type: DisplayType | str
    required: tuple[RequiredSku, ...]
    start: date
    end: date  # inclusive
    fee: Decimal
    eye_levels: frozenset[int] = frozenset({2, 3})  # shelf levels (1 = top) that count as eye level
    window_days: int = 7
    min_evidence_weight: float = 0.5
    partly_threshold: float = 0.5
    min_recognised_share: float = 0.5

    def __post_init__(self) -> None:
        DisplayType(self.display_type)  # refuses an unknown type with the list of valid ones
        if self.end < self.start:
            raise ValueError(f"Placement period ends ({self.end}) before it starts ({self.start})")
        if not isinstance(self.fee, Decimal) or self.fee < 0:
            raise ValueError("The fee must be a Decimal amount of 0 or more (not a float: money is exact)")
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if any(r.min_facings < 1 for r in self.required):
            raise ValueError("Every required SKU needs at least 1 facing")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(slots=True)
class VisitEvidence:
    """What one visit's photos of the display show. Pass only photos taken of this placement."""

    visit_date: date
    facings_by_sku: dict[str, int] = field(default_factory=dict)
    facings_by_level: dict[str, dict[int, int]] | None = None  # sku -> {level: facings}; for eye level
    photos: int = 1
    quality_ok: bool = True
    # From the authenticity flags, 0..1; None when the visit has no photo of the display (nothing to weigh:
    # an empty visit is "no evidence", never full-weight evidence).
    evidence_weight: float | None = 1.0
    confirmed: bool | None = None  # a reviewer's yes/no, for POS material the recogniser cannot see
    visit_id: str | int | None = None
    facings_total: int | None = None  # products detected on the photos, named or not (None: not counted)
    facings_recognised: int | None = None  # of which named with enough confidence


@dataclass(slots=True)
class VisitVerdict:
    visit_id: str | int | None
    visit_date: date
    verdict: Verdict
    execution: float | None  # 0..1 mean fulfilment of the required SKUs; None without evidence
    reason_codes: list[dict]  # {"code", "params"} each (shelfai.compliance.messages)

    @property
    def reasons(self) -> list[str]:
        """The reasons in the active language."""
        return [reason_text(r) for r in self.reason_codes]


@dataclass(slots=True)
class CoverageWindow:
    start: date
    end: date
    status: str  # a Verdict value for the window, or "unverified"
    visit_id: str | int | None
    credit: Decimal


@dataclass(slots=True)
class PlacementAssessment:
    verdicts: list[VisitVerdict]
    windows: list[CoverageWindow]
    payable: Decimal
    fee: Decimal
    ignored_codes: list[dict]  # visits outside the period, with why ({"code", "params"})
    window_days: int = 7

    @property
    def ignored(self) -> list[str]:
        return [reason_text(r) for r in self.ignored_codes]

    @property
    def executed_windows(self) -> int:
        return sum(w.status == Verdict.EXECUTED for w in self.windows)

    @property
    def summary_code(self) -> dict:
        """"Executed in 3 of 4 weeks, partly in 1; EUR 750.00 of EUR 1,000.00 payable." as a code and parameters."""
        return reason("coverage", executed=self.executed_windows, windows=len(self.windows),
                      window_days=self.window_days,
                      partly=sum(w.status == Verdict.PARTLY_EXECUTED for w in self.windows),
                      unverified=sum(w.status == "unverified" for w in self.windows),
                      payable=str(self.payable), fee=str(self.fee))

    @property
    def summary(self) -> str:
        return reason_text(self.summary_code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdicts": [
                {
                    "visit_id": v.visit_id,
                    "visit_date": v.visit_date.isoformat(),
                    "verdict": str(v.verdict),
                    "execution": None if v.execution is None else round(v.execution, 3),
                    "reasons": v.reasons,
                    "reason_codes": v.reason_codes,
                }
                for v in self.verdicts
            ],
            "windows": [
                {
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "status": str(w.status),
                    "visit_id": w.visit_id,
                    "credit": str(w.credit),
                }
                for w in self.windows
            ],
            "payable": str(self.payable),
            "fee": str(self.fee),
            "summary": self.summary,
            "summary_code": self.summary_code,
            "ignored": self.ignored,
            "ignored_codes": self.ignored_codes,
        }


def _label(req: RequiredSku) -> str:
    return req.name or req.sku


def _counted(spec: PlacementSpec, evidence: VisitEvidence, sku: str) -> int | None:
    if spec.display_type != DisplayType.EYE_LEVEL:
        return evidence.facings_by_sku.get(sku, 0)
    if evidence.facings_by_level is None:
        return None
    return sum(n for lvl, n in evidence.facings_by_level.get(sku, {}).items() if lvl in spec.eye_levels)


def _insufficient(spec: PlacementSpec, evidence: VisitEvidence) -> dict | None:
    if evidence.photos < 1:
        return reason("no_display_photo")
    if not evidence.quality_ok:
        return reason("photos_too_poor")
    if evidence.evidence_weight is not None and evidence.evidence_weight < spec.min_evidence_weight:
        return reason("low_evidence_weight", weight=round(evidence.evidence_weight, 4),
                      needed=spec.min_evidence_weight)
    if spec.display_type == DisplayType.EYE_LEVEL and evidence.facings_by_level is None:
        return reason("no_shelf_levels")
    if not spec.required and evidence.confirmed is None:
        return reason("pos_needs_reviewer")
    return None


def _too_few_recognised(spec: PlacementSpec, evidence: VisitEvidence) -> dict | None:
    total, named = evidence.facings_total, evidence.facings_recognised
    if not total or named is None or named / total >= spec.min_recognised_share:
        return None
    return reason("display_too_few_recognised", named=named, total=total)


def judge_visit(spec: PlacementSpec, evidence: VisitEvidence) -> VisitVerdict:
    """One visit's verdict with its reasons (see the module docstring for the rule)."""
    why_not = _insufficient(spec, evidence)
    if why_not:
        return VisitVerdict(
            evidence.visit_id, evidence.visit_date, Verdict.INSUFFICIENT_EVIDENCE, None, [why_not]
        )
    if not spec.required:
        done = bool(evidence.confirmed)
        why = reason("reviewer_confirmed" if done else "reviewer_found_none")
        verdict = Verdict.EXECUTED if done else Verdict.NOT_EXECUTED
        return VisitVerdict(evidence.visit_id, evidence.visit_date, verdict, float(done), [why])
    eye_level = spec.display_type == DisplayType.EYE_LEVEL
    fulfilment, reasons = [], []
    for req in spec.required:
        seen = _counted(spec, evidence, req.sku) or 0
        fulfilment.append(min(1.0, seen / req.min_facings))
        if seen < req.min_facings:
            reasons.append(reason("required_facings_short", name=_label(req), seen=seen, required=req.min_facings,
                                  eye_level=eye_level))
    execution = sum(fulfilment) / len(fulfilment)
    if execution < 1.0 and (unsure := _too_few_recognised(spec, evidence)):
        return VisitVerdict(evidence.visit_id, evidence.visit_date, Verdict.INSUFFICIENT_EVIDENCE, None, [unsure])
    if execution >= 1.0:
        verdict, reasons = Verdict.EXECUTED, [reason("all_required_displayed")]
    elif execution >= spec.partly_threshold:
        verdict = Verdict.PARTLY_EXECUTED
    else:
        verdict = Verdict.NOT_EXECUTED
    return VisitVerdict(evidence.visit_id, evidence.visit_date, verdict, execution, reasons)


def coverage_windows(spec: PlacementSpec) -> list[tuple[date, date]]:
    windows, start = [], spec.start
    while start <= spec.end:
        end = min(spec.end, start + timedelta(days=spec.window_days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def payable_amount(spec: PlacementSpec, windows: list[CoverageWindow]) -> Decimal:
    """The pro-rata rule of the module docstring: Decimal, rounded down to the cent, at most the fee."""
    paid_days = sum((Decimal((w.end - w.start).days + 1) * w.credit for w in windows), Decimal(0))
    amount = (spec.fee * paid_days / Decimal(spec.days)).quantize(CENT, rounding=ROUND_DOWN)
    return max(Decimal("0.00"), min(amount, spec.fee.quantize(CENT, rounding=ROUND_DOWN)))


def assess_placement(spec: PlacementSpec, visits: list[VisitEvidence]) -> PlacementAssessment:
    """Verdict per visit, weekly coverage over the period and the recommended payable amount."""
    in_period, ignored = [], []
    for ev in sorted(visits, key=lambda v: v.visit_date):
        if spec.start <= ev.visit_date <= spec.end:
            in_period.append(ev)
        else:
            ignored.append(reason("outside_period", visit=ev.visit_id, date=ev.visit_date.isoformat(),
                                  start=spec.start.isoformat(), end=spec.end.isoformat()))
    verdicts = [judge_visit(spec, ev) for ev in in_period]
    windows = []
    for start, end in coverage_windows(spec):
        usable = [
            v for v in verdicts if start <= v.visit_date <= end and v.verdict != Verdict.INSUFFICIENT_EVIDENCE
        ]
        if usable:
            latest = usable[-1]
            windows.append(
                CoverageWindow(
                    start, end, latest.verdict, latest.visit_id, CREDIT.get(latest.verdict, Decimal(0))
                )
            )
        else:
            windows.append(CoverageWindow(start, end, "unverified", None, Decimal(0)))
    return PlacementAssessment(
        verdicts, windows, payable_amount(spec, windows), spec.fee, ignored, spec.window_days
    )


def claim_recommendation(claimed: Decimal, assessment: PlacementAssessment, *,
                         contracted_fee: Decimal | None = None) -> tuple[str, Decimal, list[dict]]:
    """approve / partial / reject for a claimed amount, with the amount to approve and the reasons.

    Only finance decides; this is the recommendation shown next to the evidence. ``assessment.fee``
    is the fee for the period assessed; ``contracted_fee``, when the claim covers only part of the
    placement's period, is the whole contract's, so the reason can tell the two apart.
    """
    if not isinstance(claimed, Decimal) or claimed <= 0:
        raise ValueError("The claimed amount must be a positive Decimal")
    reasons = [assessment.summary_code]
    cap = min(assessment.payable, assessment.fee)
    if claimed > assessment.fee:
        reasons.append(_above_fee(claimed, assessment, contracted_fee))
    if cap <= 0:
        return (
            "reject",
            Decimal("0.00"),
            reasons + [reason("no_week_verified")],
        )
    if claimed <= cap:
        return "approve", claimed.quantize(CENT, rounding=ROUND_DOWN), reasons
    return "partial", cap, reasons + [reason("photos_support", cap=str(cap), claimed=str(claimed))]


def _above_fee(claimed: Decimal, assessment: PlacementAssessment, contracted_fee: Decimal | None) -> dict:
    """Names each amount for what it is: the claim, the contracted fee, and (for part of the period)
    the share of that fee the claimed days can cost. "The claim (400.00) is above the contracted fee
    (303.44)" called the pro-rata share the fee while 400.00 was the fee itself."""
    if contracted_fee is None or contracted_fee <= assessment.fee or not assessment.windows:
        return reason("above_fee", claimed=str(claimed), fee=str(assessment.fee))
    days = (assessment.windows[-1].end - assessment.windows[0].start).days + 1
    return reason("above_fee_share", claimed=str(claimed), days=days, fee=str(assessment.fee),
                  contracted=str(contracted_fee))
