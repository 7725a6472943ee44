"""What the review queue holds and in which order, and what one item's screen shows.

An item is a photo, or a paid display on a visit, that the system could not be sure of: a shelf
"not verified", a low-confidence score, unrecognised packs, an authenticity flag, a placement check
with insufficient evidence. The worst and most valuable come first: claimed money at stake, then how
bad it is, then the oldest. Placement checks and claimed amounts live in ``shelfai.claims``, a later
layer: the views read them and hand them in (``PlacementItem``), this module ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from shelfai import formats
from shelfai.compliance.messages import report_not_verified_reason
from shelfai.compliance.models import ComplianceResult
from shelfai.detection.models import DetectionRun
from shelfai.review.models import PlacementConfirmation, ReviewAction
from shelfai.visits.flag_messages import flag_reason
from shelfai.visits.models import AuthenticityFlag, Photo

LOW_CONFIDENCE = 0.5  # a score below this confidence is a guess a person should look at
# How bad a reason is, for the order within the same money at stake.
SEVERITY = {"critical_flag": 4, "not_verified": 3, "display_unverified": 3, "unrecognised": 2,
            "low_confidence": 1, "warning_flag": 1}


@dataclass
class QueueItem:
    photo: Photo
    reasons: list[str] = field(default_factory=list)
    severity: int = 0
    at_stake: Decimal = Decimal("0")
    placements: list[str] = field(default_factory=list)

    def add(self, kind: str, reason: str) -> None:
        self.severity = max(self.severity, SEVERITY[kind])
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass(frozen=True)
class PlacementItem:
    """A placement check the rules could not decide, as the views read it from claims."""

    visit_id: int
    label: str
    reason: str
    at_stake: Decimal  # open claimed amounts on the placement


def _open_photos():
    # Dismissed photos ("not a shelf") are decided; failed or unfinished ones have nothing to review yet.
    return Photo.objects.filter(status=Photo.Status.DONE, dismissal__isnull=True)


def photo_items() -> dict[int, QueueItem]:
    """Photos the system is unsure of, by photo pk, with their reasons (no order yet)."""
    items: dict[int, QueueItem] = {}

    def item(photo: Photo) -> QueueItem:
        return items.setdefault(photo.pk, QueueItem(photo))

    open_photos = _open_photos().select_related("visit__store", "visit__rep")
    results = ComplianceResult.objects.filter(scope="photo", is_current=True, photo__in=open_photos).select_related(
        "photo__visit__store", "photo__visit__rep")
    for result in results.filter(Q(report__verified=False) | Q(confidence__lt=LOW_CONFIDENCE)):
        if (result.report or {}).get("verified") is False:
            why = report_not_verified_reason(result.report) or _("the recogniser could not read the shelf.")
            item(result.photo).add("not_verified", _("Not verified: %(why)s") % {"why": why})
        else:
            item(result.photo).add("low_confidence", _("Low confidence (%(confidence)s) in the score.")
                                   % {"confidence": formats.number(result.confidence, 2)})
    runs = (DetectionRun.objects.filter(is_current=True, photo__in=open_photos)
            .annotate(unknown=Count("detections", filter=Q(detections__product__isnull=True)))
            .filter(unknown__gt=0).select_related("photo__visit__store", "photo__visit__rep"))
    for run in runs:
        item(run.photo).add("unrecognised", _("%(unknown)s of %(total)s packs not recognised.")
                            % {"unknown": run.unknown, "total": run.facing_count})
    flags = AuthenticityFlag.objects.filter(photo__in=open_photos, severity__in=["critical", "warning"]
                                            ).select_related("photo__visit__store", "photo__visit__rep")
    for flag in flags:
        kind = "critical_flag" if flag.severity == "critical" else "warning_flag"
        item(flag.photo).add(kind, _("Authenticity: %(reason)s") % {"reason": flag_reason(flag)})
    return items


def ranked(items: dict[int, QueueItem], placements: list[PlacementItem], photos_of_visit: dict[int, list[Photo]]
           ) -> list[QueueItem]:
    """Join the undecided placement checks onto their visit's photos, then order: money at stake,
    severity, oldest photo first (it has waited longest)."""
    for check in placements:
        for photo in photos_of_visit.get(check.visit_id, []):
            entry = items.setdefault(photo.pk, QueueItem(photo))
            entry.add("display_unverified", _("%(display)s: %(reason)s") % {"display": check.label,
                                                                             "reason": check.reason})
            entry.at_stake += check.at_stake
            entry.placements.append(check.label)
    return sorted(items.values(), key=lambda i: (-i.at_stake, -i.severity, i.photo.uploaded_at, i.photo.pk))


def photo_boxes(run) -> list[dict]:
    """The run's boxes for the overlay (as the marketing photo page draws them), with each box's id so
    a reviewer can name it."""
    if run is None:
        return []
    boxes = []
    for d in run.detections.select_related("product__brand").order_by("shelf_level", "x1", "pk"):
        product = d.product
        kind = "unknown" if product is None else ("own" if product.brand.is_own else "competitor")
        boxes.append({"id": d.pk, "x": d.x1, "y": d.y1, "w": max(d.x2 - d.x1, 1), "h": max(d.y2 - d.y1, 1),
                      "kind": kind, "sku": product.sku if product else "",
                      "label": str(product) if product else _("Unrecognised product"),
                      "confidence": d.confidence, "sku_confidence": d.sku_confidence, "shelf": d.shelf_level})
    return boxes


def confirmations_of(visit) -> dict[int, PlacementConfirmation]:
    """The reviewer's current answer per placement pk on this visit."""
    return {c.placement_id: c for c in PlacementConfirmation.objects.filter(visit=visit).select_related("reviewer")}


def actions_on(photo) -> list[ReviewAction]:
    return list(ReviewAction.objects.filter(Q(photo=photo) | Q(visit=photo.visit, photo__isnull=True))
                .select_related("actor", "product", "placement__campaign")[:50])
