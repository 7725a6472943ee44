"""From stored rows to the inputs of the pure placement and authenticity rules, and back.

The rules are in ``shelfai.compliance.placements`` (verdicts, coverage, pro-rata amount) and
``shelfai.authenticity.checks`` (how much a photo's flags lower its evidence weight). This
module only translates:

* A visit's facings per SKU are the **largest** count any one of its photos shows, never the sum:
  two photos of the same end-cap would otherwise count every pack twice. An unlabelled visit can
  only under-count, which is the safe side when money is paid on it.
* Only facings from photos that passed the quality gate, recognised as a catalog product at the
  compliance threshold (``ScoringWeights.min_sku_confidence``), count.
* A visit's evidence weight is the **lowest** weight of its photos: one re-used or staged photo
  taints the visit, and finance sees which photo and why. A visit without a photo has no weight
  (None, shown as "no evidence"), not a perfect 1.0.
* A claim line for part of a placement's period is judged on that part, against the fee's share
  for those days (fee x claimed days / placement days, rounded down to the cent).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from shelfai.authenticity import checks as authenticity
from shelfai.claims.models import PaidPlacement
from shelfai.compliance import placements as rules
from shelfai.compliance.types import ScoringWeights
from shelfai.detection.models import DetectionRun
from shelfai.review.models import PlacementConfirmation

CENT = Decimal("0.01")
MIN_SKU_CONFIDENCE = ScoringWeights().min_sku_confidence


@dataclass(frozen=True)
class VisitFacts:
    """A visit's evidence for the rules, plus what the packet shows beside it."""

    evidence: rules.VisitEvidence
    detector_sha256: str
    photo_weights: dict[int, float]  # photo pk -> weight from its flags


def placement_spec(placement: PaidPlacement, *, start: date | None = None, end: date | None = None
                   ) -> rules.PlacementSpec:
    """The placement as the rules see it; ``start``/``end`` narrow it to a claimed part of the period."""
    start, end = start or placement.starts_on, end or placement.ends_on
    requirements = list(placement.requirements.select_related("product").order_by("pk"))
    fee = fee_share(placement, start=start, end=end)
    levels = frozenset(r.shelf_level for r in requirements if r.shelf_level)
    extra = {"eye_levels": levels} if placement.display_type == PaidPlacement.DisplayType.EYE_LEVEL and levels else {}
    return rules.PlacementSpec(
        display_type=placement.display_type,
        required=tuple(rules.RequiredSku(sku=r.product.sku, min_facings=r.min_facings, name=str(r.product))
                       for r in requirements),
        start=start, end=end, fee=fee, **extra,
    )


def fee_share(placement: PaidPlacement, *, start: date, end: date) -> Decimal:
    placement_days = (placement.ends_on - placement.starts_on).days + 1
    days = (end - start).days + 1
    if days >= placement_days:
        return placement.fee
    return (placement.fee * days / placement_days).quantize(CENT, rounding=ROUND_DOWN)


def evidence_photos(visit, placement: PaidPlacement | None):
    """The photos that count for a placement on a visit. On a visit with a capture checklist only the
    photos taken for the display's own task do: products on the normal shelf never execute an end-cap.
    A visit made before checklists existed counts all its photos, as it always did."""
    photos = visit.photos.all()
    if placement is not None and visit.checklist:
        photos = photos.filter(placement_links__placement=placement)
    return photos.order_by("uploaded_at", "pk")


def visit_facts(visit, *, on: date, placement: PaidPlacement | None = None) -> VisitFacts:
    """Current detections and authenticity flags of the placement's photos of a visit (``evidence_photos``),
    reduced to ``VisitEvidence``."""
    photos = list(evidence_photos(visit, placement).prefetch_related("flags"))
    runs = list(DetectionRun.objects.filter(photo__in=photos, is_current=True).prefetch_related(
        "detections__product"))
    weights = {photo.pk: photo_weight(photo) for photo in photos}
    by_sku: Counter = Counter()
    by_level: dict[str, Counter] = {}
    usable = [run for run in runs if run.quality_ok]
    total = named = 0
    for run in usable:
        seen, seen_at = Counter(), {}
        for det in run.detections.all():
            total += 1
            if det.product_id is None or det.sku_confidence < MIN_SKU_CONFIDENCE:
                continue
            named += 1
            seen[det.product.sku] += 1
            if det.shelf_level is not None:
                seen_at.setdefault(det.product.sku, Counter())[det.shelf_level] += 1
        by_sku |= seen  # per-SKU maximum over photos
        for sku, levels in seen_at.items():
            by_level[sku] = by_level.get(sku, Counter()) | levels
    shas = Counter(run.detector_sha256 for run in runs if run.detector_sha256)
    evidence = rules.VisitEvidence(
        visit_date=on,
        facings_by_sku=dict(by_sku),
        facings_by_level={sku: dict(levels) for sku, levels in by_level.items()},
        photos=len(runs),
        quality_ok=bool(usable) or not runs,
        # No photo: nothing to weigh. It was 1.0, so an empty visit read as full-weight evidence (1.00)
        # beside a visit with photos (0.60); the rules say "no photo" for it before any weight matters.
        evidence_weight=min(weights.values(), default=None),
        visit_id=str(visit.public_id),
        facings_total=total,
        facings_recognised=named,
        confirmed=reviewer_confirmed(visit, placement),
    )
    return VisitFacts(evidence=evidence, detector_sha256=shas.most_common(1)[0][0] if shas else "",
                      photo_weights=weights)


def reviewer_confirmed(visit, placement: PaidPlacement | None) -> bool | None:
    """A reviewer's yes/no on the display for this visit (the review queue), None while nobody looked."""
    if placement is None:
        return None
    decision = PlacementConfirmation.objects.filter(placement=placement, visit=visit).first()
    return None if decision is None else decision.confirmed


def photo_weight(photo) -> float:
    """How far a photo's stored authenticity flags let it count as evidence, 0..1 (the pure rule).

    Each stored flag keeps the weight its check gave it when the photo was checked.
    """
    flags = [authenticity.Flag(f.code, f.severity, f.reason, f.weight) for f in photo.flags.all()]
    return float(authenticity.evidence_weight(flags))
