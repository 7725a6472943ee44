"""The review queue's writes: each records the decision, audits it, and returns what changed.

Rescoring is not started here: the review app sits below claims and the pipeline in the import order,
so the views call ``shelfai.pipeline.stages.visit_refresh`` once the decision is committed.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import cv2
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shelfai.detection import engine
from shelfai.detection.models import Detection, DetectionRun
from shelfai.review.models import PhotoDismissal, PlacementConfirmation, ReviewAction
from shelfai.stores.models import Product, ProductImage
from shelfai.vision.offline.breakdown import iou_matrix
from shelfai.vision.pipeline import load_oriented_image
from shelfai.vision.types import UNKNOWN_SKU, Box
from shelfai.visits.models import Photo

# A crop smaller than this is a sliver of a pack: as a reference it would teach the recogniser noise.
MIN_CROP_SIDE = 16
REVIEWED_CONFIDENCE = 1.0  # a box a person named is as sure as it gets
NOT_A_SHELF_REASON = "A reviewer marked this photo as not a shelf."
RECENT_DAYS = 14  # "recognise again" goes over the store's photos of the last two weeks


def display_decide(*, reviewer, placement, visit, confirmed: bool) -> PlacementConfirmation:
    """A reviewer's yes/no on a paid display seen on a visit's photos (replaces an earlier answer)."""
    with transaction.atomic():
        decision, _ = PlacementConfirmation.objects.update_or_create(
            placement=placement, visit=visit, defaults={"confirmed": confirmed, "reviewer": reviewer})
        ReviewAction.objects.create(
            actor=reviewer, visit=visit, placement=placement,
            kind=ReviewAction.Kind.CONFIRM_DISPLAY if confirmed else ReviewAction.Kind.REJECT_DISPLAY)
    return decision


def _photo_image(photo) -> np.ndarray:
    # The same decoding as analysis, so the stored box coordinates land on the same pixels.
    with photo.original.open("rb") as fh:
        return load_oriented_image(fh.read(), max_pixels=settings.PHOTO_MAX_PIXELS)


def box_crop(image: np.ndarray, det: Detection) -> np.ndarray:
    """The box's pixels, clamped to the image; refused when too small to be a reference."""
    h, w = image.shape[:2]
    x1, y1 = max(0, int(round(det.x1))), max(0, int(round(det.y1)))
    x2, y2 = min(w, int(round(det.x2))), min(h, int(round(det.y2)))
    if x2 - x1 < MIN_CROP_SIDE or y2 - y1 < MIN_CROP_SIDE:
        raise ValidationError(_("The box is too small (%(width)s×%(height)s px) to teach the recogniser a pack; at "
                                "least %(side)s×%(side)s px is needed.")
                              % {"width": max(0, x2 - x1), "height": max(0, y2 - y1), "side": MIN_CROP_SIDE})
    return image[y1:y2, x1:x2]


def as_pack_shot(crop: np.ndarray) -> np.ndarray:
    """The crop on a plain backdrop, the way an admin's pack shot looks.

    The catalog trims a reference to its pack by dropping borders of the backdrop colour. A bare crop
    has no backdrop, so trimming would eat the pack's own body colour and keep only its logo; a plain
    border (white or black, whichever is further from the pack's edge) is what gets trimmed instead.
    """
    edge = np.median(np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]]), axis=0)
    backdrop = (0, 0, 0) if edge.mean() > 127 else (255, 255, 255)
    margin = max(4, round(0.08 * max(crop.shape[:2])))
    return cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=backdrop)


def reference_from_crop(*, product: Product, crop: np.ndarray) -> tuple[ProductImage, bool]:
    """Store a crop as a reference pack shot of ``product``, as an admin upload is stored: PNG bytes,
    their sha256, the file named from the hash; the same crop twice is one image."""
    ok, buf = cv2.imencode(".png", as_pack_shot(crop))
    if not ok:
        raise ValidationError(_("The crop could not be encoded as an image."))
    data = buf.tobytes()
    sha = hashlib.sha256(data).hexdigest()
    existing = ProductImage.objects.filter(product=product, sha256=sha).first()
    if existing is not None:
        return existing, False
    image = ProductImage(product=product, sha256=sha)
    image.image.save(f"{sha}.png", ContentFile(data), save=False)
    image.full_clean()
    image.save()
    return image, True


def pack_name(*, reviewer, detection: Detection, product: Product) -> ProductImage:
    """Name an unrecognised box: its crop becomes a reference image of ``product`` (the catalog is
    rebuilt from reference images on the next photo, no retraining), and the box counts as that SKU."""
    if not product.is_active:
        raise ValidationError(_("%(product)s is not an active product; it cannot be recognised.")
                              % {"product": product})
    photo = detection.run.photo
    crop = box_crop(_photo_image(photo), detection)
    with transaction.atomic():
        reference, created = reference_from_crop(product=product, crop=crop)
        before = {"product": detection.product.sku if detection.product_id else None,
                  "sku_confidence": detection.sku_confidence}
        Detection.objects.filter(pk=detection.pk).update(product=product, sku_confidence=REVIEWED_CONFIDENCE)
        ReviewAction.objects.create(
            actor=reviewer, kind=ReviewAction.Kind.NAME_PACK, photo=photo, visit=photo.visit, product=product,
            data={"detection": detection.pk, "before": before, "reference_image": reference.pk,
                  "reference_sha256": reference.sha256, "new_reference": created})
    return reference


def photo_dismiss(*, reviewer, photo) -> PhotoDismissal:
    """Not a shelf: the photo's current run stops passing the quality gate, so no score or placement
    check counts it, and the reviewer's reason is what the pages show."""
    with transaction.atomic():
        dismissal, _ = PhotoDismissal.objects.get_or_create(photo=photo, defaults={"reviewer": reviewer})
        for run in DetectionRun.objects.select_for_update().filter(photo=photo, is_current=True):
            if NOT_A_SHELF_REASON not in run.quality_reasons:
                run.quality_ok = False
                run.quality_reasons = [*run.quality_reasons, NOT_A_SHELF_REASON]
                run.save(update_fields=["quality_ok", "quality_reasons"])
        ReviewAction.objects.create(actor=reviewer, kind=ReviewAction.Kind.NOT_A_SHELF, photo=photo,
                                    visit=photo.visit)
    return dismissal


def recent_store_photos(store, *, now=None):
    """The store's photos of the last ``RECENT_DAYS`` that analysis finished, newest first."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    return (Photo.objects.filter(visit__store=store, uploaded_at__gte=since, detection_runs__is_current=True)
            .distinct().order_by("-uploaded_at"))


def recognise_again(*, reviewer, photos) -> dict[int, int]:
    """Re-identify the unrecognised boxes of ``photos`` with today's catalog (new reference images
    included), without running the detector again. Returns {photo pk: boxes newly named}."""
    _, catalog = engine.get_catalog()
    named: dict[int, int] = {}
    if catalog is None:
        return named
    for photo in photos:
        unknown = list(Detection.objects.filter(run__photo=photo, run__is_current=True, product__isnull=True)
                       .order_by("pk"))
        if not unknown:
            continue
        image = _photo_image(photo)
        answers = catalog.identify(image, [Box(d.x1, d.y1, d.x2, d.y2, d.confidence) for d in unknown])
        products = {p.sku: p for p in Product.objects.filter(sku__in={s for s, _ in answers}, is_active=True)}
        count = 0
        for det, (sku, confidence) in zip(unknown, answers, strict=True):
            if sku != UNKNOWN_SKU and sku in products:
                Detection.objects.filter(pk=det.pk).update(product=products[sku], sku_confidence=confidence)
                count += 1
        if count:
            named[photo.pk] = count
            ReviewAction.objects.create(actor=reviewer, kind=ReviewAction.Kind.RECOGNISE_AGAIN, photo=photo,
                                        visit=photo.visit, data={"named": count})
    return named


# ---- box corrections -----------------------------------------------------------------------------------

MIN_DRAWN_SIDE = 8        # px: a smaller drawn box is a slip of the finger, not a pack
SAME_BOX_IOU = 0.7        # a drawn box overlapping a detected one this much is that box again


def box_drawn(photo, detections: list[Detection], x1: float, y1: float, x2: float, y2: float) -> Box:
    """A reviewer's drawn box, in the photo's pixels, checked: inside the photo, big enough, not a box
    that is already there."""
    x1, x2 = sorted((max(0.0, min(float(photo.width), x1)), max(0.0, min(float(photo.width), x2))))
    y1, y2 = sorted((max(0.0, min(float(photo.height), y1)), max(0.0, min(float(photo.height), y2))))
    if x2 - x1 < MIN_DRAWN_SIDE or y2 - y1 < MIN_DRAWN_SIDE:
        raise ValidationError(_("The box is %(width)s×%(height)s px inside the photo; draw it around the whole pack "
                                "(at least %(side)s×%(side)s px).")
                              % {"width": f"{x2 - x1:.0f}", "height": f"{y2 - y1:.0f}", "side": MIN_DRAWN_SIDE})
    box = Box(x1, y1, x2, y2, 1.0)
    if detections:
        overlaps = iou_matrix(np.array([[x1, y1, x2, y2]]), np.array([[d.x1, d.y1, d.x2, d.y2] for d in detections]))[0]
        if overlaps.max() >= SAME_BOX_IOU:
            raise ValidationError(_("That pack already has a box (#%(n)s); draw only packs the detector missed.")
                                  % {"n": int(overlaps.argmax()) + 1})
    return box


def box_audit(*, reviewer, photo, kind: str, before_run: int, after_run: int, box: dict,
              product: Product | None = None) -> ReviewAction:
    return ReviewAction.objects.create(actor=reviewer, kind=kind, photo=photo, visit=photo.visit, product=product,
                                       data={"box": box, "run_before": before_run, "run_after": after_run})


def sku_create(*, reviewer, sku: str, name: str, brand, category, pack_size: str = "") -> Product:
    """A pack nobody has in the catalog yet: the reviewer adds it (then names the box as it)."""
    missing = [what for what, value in ((_("a SKU code"), sku.strip()), (_("a name"), name.strip()),
                                        (_("a brand"), brand), (_("a category"), category)) if not value]
    if missing:
        raise ValidationError(_("A new SKU needs %(what)s.") % {"what": _(", ").join(missing)})
    if Product.objects.filter(sku=sku.strip()).exists():
        raise ValidationError(_("SKU %(sku)s already exists: pick it from the list instead.") % {"sku": sku.strip()})
    product = Product(sku=sku.strip(), name=name.strip(), brand=brand, category=category,
                      pack_size=pack_size.strip())
    product.full_clean()
    with transaction.atomic():
        product.save()
        ReviewAction.objects.create(actor=reviewer, kind=ReviewAction.Kind.CREATE_SKU, product=product,
                                    data={"sku": product.sku})
    return product
