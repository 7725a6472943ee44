"""The review queue's pages: the queue, one photo's screen, and its actions (POST, then back).

An entry point: it reads the placement checks and claimed amounts from claims, and after every
decision asks the pipeline to rescore, so the verdict a reviewer leaves on is already the new one.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from shelfai.accounts.roles import Action, page
from shelfai.claims import messages as claim_messages
from shelfai.claims.models import ClaimLine, ExpenseClaim, PaidPlacement, PlacementCheck
from shelfai.claims.verification import evidence_photos
from shelfai.compliance.messages import report_not_verified_reason
from shelfai.detection.models import Detection, DetectionRun
from shelfai.pipeline import stages
from shelfai.review import selectors, services
from shelfai.review.models import ReviewAction
from shelfai.stores.models import Brand, Category, Product
from shelfai.visits.models import Photo

PAGE_SIZE = 50


def _at_stake(placement_id: int, on) -> Decimal:
    """Claimed and not yet decided: the money this check's evidence is about."""
    return ClaimLine.objects.filter(
        placement_id=placement_id, claim__status=ExpenseClaim.Status.SUBMITTED,
        period_start__lte=on, period_end__gte=on).aggregate(s=Sum("amount"))["s"] or Decimal("0")


def _undecided_checks() -> tuple[list[selectors.PlacementItem], dict[int, list[Photo]]]:
    checks = (PlacementCheck.objects.filter(is_current=True, verdict=PlacementCheck.Verdict.INSUFFICIENT)
              .select_related("placement__campaign", "visit"))
    items, photos = [], {}
    for check in checks:
        shown = [p for p in evidence_photos(check.visit, check.placement)
                 if p.status == Photo.Status.DONE and not hasattr(p, "dismissal")]
        if not shown:
            continue  # no photo of the display: nothing for a reviewer to look at, the rep must go back
        photos.setdefault(check.visit_id, [])
        photos[check.visit_id] += [p for p in shown if p not in photos[check.visit_id]]
        items.append(selectors.PlacementItem(
            visit_id=check.visit_id, label=_placement_label(check.placement),
            reason=" ".join(claim_messages.check_reasons(check)) or _("Insufficient evidence."),
            at_stake=_at_stake(check.placement_id, check.checked_on)))
    return items, photos


def _placement_label(placement: PaidPlacement) -> str:
    return _("%(display)s — %(campaign)s") % {"display": placement.get_display_type_display(),
                                              "campaign": placement.campaign.name}


@page(Action.REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    placements, photos = _undecided_checks()
    items = selectors.ranked(selectors.photo_items(), placements, photos)
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/queue.html", {"page": page_obj, "total": len(items)})


def _displays(photo: Photo) -> list[dict]:
    """The paid displays this photo is evidence for on its visit, with the current check and answer."""
    visit = photo.visit
    on = visit.local_date
    confirmations = selectors.confirmations_of(visit)
    rows = []
    placements = (PaidPlacement.objects.filter(store=visit.store, starts_on__lte=on, ends_on__gte=on)
                  .select_related("campaign").prefetch_related("requirements").order_by("pk"))
    for placement in placements:
        if photo not in evidence_photos(visit, placement):
            continue
        check = PlacementCheck.objects.filter(placement=placement, visit=visit, is_current=True).first()
        rows.append({"placement": placement, "label": _placement_label(placement), "check": check,
                     "reasons": claim_messages.check_reasons(check) if check else [],
                     "confirmation": confirmations.get(placement.pk),
                     # The rules read a reviewer's answer only for displays without products to count.
                     "needs_eyes": not placement.requirements.exists(),
                     "at_stake": _at_stake(placement.pk, on)})
    return rows


@page(Action.REVIEW)
def item(request: HttpRequest, public_id) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.select_related("visit__store", "visit__rep"), public_id=public_id)
    run = DetectionRun.objects.filter(photo=photo, is_current=True).order_by("-created_at").first()
    boxes = selectors.photo_boxes(run)
    result = photo.compliance_results.filter(scope="photo", is_current=True).first()
    context = {
        "photo": photo, "visit": photo.visit, "run": run, "boxes": boxes, "result": result,
        "not_verified_reason": report_not_verified_reason(result.report if result else None),
        "unknown": [b for b in boxes if b["kind"] == "unknown"], "displays": _displays(photo),
        "products": Product.objects.filter(is_active=True).select_related("brand").order_by("brand__name", "name"),
        "brands": Brand.objects.order_by("name"), "categories": Category.objects.order_by("name"),
        "actions": selectors.actions_on(photo), "dismissal": getattr(photo, "dismissal", None),
    }
    return render(request, "review/item.html", context)


def _rescore(photo: Photo) -> None:
    """The photo's own score from its (corrected) boxes, then everything downstream of its visit."""
    photo.refresh_from_db()
    stages.photo_rescore(photo)


def _int(value) -> int:
    """A posted id, or 0 (which matches nothing) when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _photo_for(public_id) -> Photo:
    return get_object_or_404(Photo.objects.select_related("visit__store"), public_id=public_id)


@require_POST
@page(Action.REVIEW)
def display_decide(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    placement = PaidPlacement.objects.filter(pk=_int(request.POST.get("placement")), store=photo.visit.store).first()
    decision = request.POST.get("decision")
    if placement is None or decision not in ("confirm", "reject"):
        messages.error(request, _("Pick a display on this photo and confirm or reject it."))
        return redirect("review-item", public_id=photo.public_id)
    confirmed = decision == "confirm"
    services.display_decide(reviewer=request.user, placement=placement, visit=photo.visit, confirmed=confirmed)
    stages.visit_refresh(photo.visit)
    check = PlacementCheck.objects.filter(placement=placement, visit=photo.visit, is_current=True).first()
    verdict = str(check.get_verdict_display()).lower() if check else _("not checked")
    said = {"display": _placement_label(placement), "who": request.user.username, "verdict": verdict}
    if confirmed:
        messages.success(request, _("%(display)s: confirmed by %(who)s; the display now reads %(verdict)s.") % said)
    else:
        messages.success(request, _("%(display)s: rejected by %(who)s; the display now reads %(verdict)s.") % said)
    return redirect("review-item", public_id=photo.public_id)


@require_POST
@page(Action.REVIEW)
def pack_name(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    detection = Detection.objects.select_related("run__photo", "product").filter(
        pk=_int(request.POST.get("detection")), run__photo=photo, run__is_current=True).first()
    product = Product.objects.filter(pk=_int(request.POST.get("product"))).first()
    new_sku = (request.POST.get("new_sku") or "").strip()
    if detection is None or (product is None and not new_sku):
        messages.error(request, _("Pick a box on this photo and the SKU it shows (or add a new SKU)."))
        return redirect("review-item", public_id=photo.public_id)
    try:
        with transaction.atomic():
            if product is None:
                product = services.sku_create(
                    reviewer=request.user, sku=new_sku, name=request.POST.get("new_name") or "",
                    pack_size=request.POST.get("new_pack_size") or "",
                    brand=Brand.objects.filter(pk=_int(request.POST.get("new_brand"))).first(),
                    category=Category.objects.filter(pk=_int(request.POST.get("new_category"))).first())
            services.pack_name(reviewer=request.user, detection=detection, product=product)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-item", public_id=photo.public_id)
    _rescore(photo)
    messages.success(request, _("Named %(product)s by %(who)s: its crop is now a reference image, so the next photo "
                                "of this pack is recognised.") % {"product": product, "who": request.user.username})
    return redirect("review-item", public_id=photo.public_id)


@require_POST
@page(Action.REVIEW)
def not_a_shelf(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    services.photo_dismiss(reviewer=request.user, photo=photo)
    _rescore(photo)
    messages.success(request, _("Marked not a shelf by %(who)s: the photo no longer counts.")
                     % {"who": request.user.username})
    return redirect("review-queue")


@require_POST
@page(Action.REVIEW)
def recognise_again(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    recent = list(services.recent_store_photos(photo.visit.store))
    named = services.recognise_again(reviewer=request.user, photos=recent)
    for changed in (p for p in recent if p.pk in named):
        _rescore(changed)
    # Translators: the two halves are the messages just above ("… on 3 recent photos of X", "2 packs …").
    messages.success(request, _("%(ran)s: %(found)s") % {
        "ran": ngettext("Recognition ran again on %(n)s recent photo of %(store)s",
                        "Recognition ran again on %(n)s recent photos of %(store)s", len(recent))
        % {"n": len(recent), "store": photo.visit.store.name},
        "found": ngettext("%(packs)s pack newly recognised on %(n)s photo.",
                          "%(packs)s packs newly recognised on %(n)s photos.", len(named))
        % {"packs": sum(named.values()), "n": len(named)}})
    return redirect("review-item", public_id=photo.public_id)


def _current_run(photo: Photo) -> DetectionRun | None:
    return DetectionRun.objects.filter(photo=photo, is_current=True).order_by("-created_at").first()


def _box_data(box) -> dict:
    return {"x1": round(box.x1, 1), "y1": round(box.y1, 1), "x2": round(box.x2, 1), "y2": round(box.y2, 1)}


@require_POST
@page(Action.REVIEW)
def box_remove(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    run = _current_run(photo)
    detections = list(run.detections.select_related("product").order_by("pk")) if run else []
    wrong = next((d for d in detections if d.pk == _int(request.POST.get("detection"))), None)
    if wrong is None:
        messages.error(request, _("That box is no longer on the photo (taken out already?). Pick a box on the "
                                  "photo as it is now."))
        return redirect("review-item", public_id=photo.public_id)
    new_run = stages.photo_boxes_correct(photo, reviewer=request.user,
                                         keep=[d for d in detections if d.pk != wrong.pk], add=[])
    services.box_audit(reviewer=request.user, photo=photo, kind=ReviewAction.Kind.REMOVE_BOX, before_run=run.pk,
                       after_run=new_run.pk, box=_box_data(wrong), product=wrong.product)
    messages.success(request, ngettext(
        "Took the box out, by %(who)s: the photo has %(n)s box now and was scored again.",
        "Took the box out, by %(who)s: the photo has %(n)s boxes now and was scored again.", new_run.facing_count)
        % {"who": request.user.username, "n": new_run.facing_count})
    return redirect("review-item", public_id=photo.public_id)


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@require_POST
@page(Action.REVIEW)
def box_add(request: HttpRequest, public_id) -> HttpResponse:
    photo = _photo_for(public_id)
    run = _current_run(photo)
    corners = [_float(request.POST.get(k)) for k in ("x1", "y1", "x2", "y2")]
    product_id = _int(request.POST.get("product"))
    product = Product.objects.filter(pk=product_id, is_active=True).first() if product_id else None
    if run is None or None in corners or (product_id and product is None):
        messages.error(request, _("Draw the box on the photo (or type its corners in pixels) and pick its SKU if "
                                  "you know it."))
        return redirect("review-item", public_id=photo.public_id)
    detections = list(run.detections.select_related("product").order_by("shelf_level", "x1", "pk"))
    try:
        box = services.box_drawn(photo, detections, *corners)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-item", public_id=photo.public_id)
    new_run = stages.photo_boxes_correct(photo, reviewer=request.user, keep=detections, add=[(box, product)])
    services.box_audit(reviewer=request.user, photo=photo, kind=ReviewAction.Kind.ADD_BOX, before_run=run.pk,
                       after_run=new_run.pk, box=_box_data(box), product=product)
    added = new_run.detections.order_by("-pk").select_related("product").first()
    what = str(added.product) if added and added.product else _("an unrecognised pack (name it below)")
    messages.success(request, _("Added the missed box, by %(who)s: %(what)s. The photo was scored again.")
                     % {"who": request.user.username, "what": what})
    return redirect("review-item", public_id=photo.public_id)
