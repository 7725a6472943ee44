"""Writes for visits and photo intake."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from shelfai.accounts.models import User
from shelfai.authenticity.checks import check_checkin, haversine_m
from shelfai.stores.models import Store
from shelfai.vision.types import ImageRejected
from shelfai.visits.imaging import ImageFacts, inspect_image
from shelfai.visits.models import Photo, Visit

log = logging.getLogger(__name__)


class IntakeError(Exception):
    """A request we refuse; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def visit_start(
    *,
    rep: User,
    store: Store,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    client_visit_id: str = "",
) -> tuple[Visit, bool]:
    """Open a visit (or return the one this client already opened). Returns (visit, created)."""
    if client_visit_id:
        existing = Visit.objects.filter(rep=rep, client_visit_id=client_visit_id).first()
        if existing:
            return existing, False
    distance = None
    if latitude is not None and longitude is not None:
        distance = haversine_m(latitude, longitude, store.latitude, store.longitude)
    visit = Visit(
        rep=rep,
        store=store,
        checkin_latitude=latitude,
        checkin_longitude=longitude,
        checkin_accuracy_m=accuracy_m,
        checkin_distance_m=distance,
        client_visit_id=client_visit_id,
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # a double submit raced us; the first one wins
        return Visit.objects.get(rep=rep, client_visit_id=client_visit_id), False
    return visit, True


def checkin_warning(visit: Visit) -> str:
    """What the rep must hear at once when the phone placed them outside the store's geofence."""
    store = visit.store
    flags = check_checkin(visit.checkin_latitude, visit.checkin_longitude, store_latitude=store.latitude,
                          store_longitude=store.longitude, radius_m=store.geofence_radius_m,
                          accuracy_m=visit.checkin_accuracy_m)
    if not flags:
        return ""
    distance = visit.checkin_distance_m or 0.0
    where = f"{distance:.0f} m" if distance < 1000 else f"{distance / 1000:.1f} km"
    return (f"You are {where} from {store.name}. Photos taken here will be flagged for finance; "
            "check in again when you are at the store.")


@dataclass(frozen=True)
class PendingUpload:
    client_upload_id: str
    data: bytes
    facts: ImageFacts
    sha256: str


def validate_upload(*, client_upload_id: str, data: bytes) -> PendingUpload:
    if not client_upload_id or len(client_upload_id) > 64:
        raise IntakeError("Each photo needs a client_upload_id of 1 to 64 characters.")
    try:
        facts = inspect_image(data, max_pixels=settings.PHOTO_MAX_PIXELS, max_bytes=settings.PHOTO_MAX_BYTES)
    except ImageRejected as exc:
        raise IntakeError(str(exc), status=413 if len(data) > settings.PHOTO_MAX_BYTES else 400) from None
    return PendingUpload(client_upload_id, data, facts, hashlib.sha256(data).hexdigest())


def photos_accept(*, visit: Visit, user: User, uploads: list[PendingUpload]) -> list[tuple[Photo, bool]]:
    """Store already validated uploads as queued photos. Returns (photo, created) pairs; the caller
    hands the created ones to the pipeline.

    Retrying an upload with the same client upload id returns the photo made the first time.
    """
    results = []
    for upload in uploads:
        existing = Photo.objects.filter(uploaded_by=user, client_upload_id=upload.client_upload_id).first()
        if existing is not None:
            results.append((existing, False))
            continue
        results.append(_photo_create(visit=visit, user=user, upload=upload))
    return results


def _photo_create(*, visit: Visit, user: User, upload: PendingUpload) -> tuple[Photo, bool]:
    facts = upload.facts
    photo = Photo(
        visit=visit,
        uploaded_by=user,
        client_upload_id=upload.client_upload_id,
        content_type=facts.content_type,
        file_ext=facts.ext,
        size_bytes=len(upload.data),
        sha256=upload.sha256,
        width=facts.width,
        height=facts.height,
        exif_taken_at=_in_store_zone(facts.taken_at, visit),
        has_exif=facts.has_exif,
        exif_latitude=facts.latitude,
        exif_longitude=facts.longitude,
        exif_device=facts.device,
        exif_software=facts.software,
        exif_orientation=facts.orientation,
        status=Photo.Status.QUEUED,
        queued_at=timezone.now(),
    )
    # Write the bytes before the row: a row never points at a missing file. The name is derived
    # from the content hash and a fresh uuid; a failed insert removes it again (and should the
    # process die first, the pipeline's orphan sweep removes it a day later).
    name = photo.original.field.generate_filename(photo, "upload")
    photo.original.name = default_storage.save(name, ContentFile(upload.data))
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:
        # A double submit of the same client upload id raced us: answer with the first photo.
        default_storage.delete(photo.original.name)
        return Photo.objects.get(uploaded_by=user, client_upload_id=upload.client_upload_id), False
    except BaseException:
        default_storage.delete(photo.original.name)  # e.g. the database went away: no row, no file
        raise
    return photo, True


def _in_store_zone(taken_at, visit: Visit):
    """EXIF without an offset is the phone's local clock, i.e. the store's time zone."""
    if taken_at is None or taken_at.tzinfo is not None:
        return taken_at
    try:
        zone = ZoneInfo(visit.store.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return taken_at.replace(tzinfo=zone)
