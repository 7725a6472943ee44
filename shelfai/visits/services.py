"""Writes for visits and photo intake."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shelfai import formats
from shelfai.accounts.models import User
from shelfai.authenticity.checks import check_checkin, haversine_m
from shelfai.stores.models import Store
from shelfai.stores.zones import local_today, store_zone, today_in
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
    """Open a visit, or resume the one already open: the one this client opened, else the rep's open visit
    at this store today (from any phone or browser). Returns (visit, created).

    Visits live on the server, not on one device: a second tap on the store, a second phone or an
    offline check-in sent later all land in the same open visit instead of opening an empty one.
    """
    if client_visit_id:
        existing = Visit.objects.filter(rep=rep, client_visit_id=client_visit_id).first()
        if existing:
            return existing, False
    with transaction.atomic():
        # One check-in at a time per rep, so two taps racing each other cannot both open a visit.
        User.objects.select_for_update().filter(pk=rep.pk).first()
        today = open_visit_today(rep=rep, store=store)
        if today is not None:
            if latitude is not None and longitude is not None and not today.photos.exists():
                _checkin_move(today, latitude=latitude, longitude=longitude, accuracy_m=accuracy_m)
            visit_touch(today)  # checking in again is activity: the idle clock starts over
            return today, False
        return _visit_create(rep=rep, store=store, latitude=latitude, longitude=longitude,
                             accuracy_m=accuracy_m, client_visit_id=client_visit_id)


def open_visit_today(*, rep: User, store: Store) -> Visit | None:
    """The rep's open visit at the store that started on the store's today (the newest, should there be
    several): at 07:30 in Shanghai that is Monday's visit, whatever day the server's clock reads."""
    return (Visit.objects.filter(rep=rep, store=store, status=Visit.Status.OPEN, local_date=local_today(store))
            .select_related("store").order_by("-started_at", "-pk").first())


def _checkin_move(visit: Visit, *, latitude: float, longitude: float, accuracy_m: float | None) -> None:
    """A rep warned to "check in again at the store" does so: before the first photo the new position
    replaces the old one. Once photos were taken, the check-in they were taken from stays on record."""
    visit.checkin_latitude, visit.checkin_longitude, visit.checkin_accuracy_m = latitude, longitude, accuracy_m
    visit.checkin_distance_m = haversine_m(latitude, longitude, visit.store.latitude, visit.store.longitude)
    visit.save(update_fields=["checkin_latitude", "checkin_longitude", "checkin_accuracy_m", "checkin_distance_m"])


def _visit_create(*, rep: User, store: Store, latitude: float | None, longitude: float | None,
                  accuracy_m: float | None, client_visit_id: str) -> tuple[Visit, bool]:
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


def visit_touch(visit: Visit, at: datetime | None = None) -> None:
    """Record activity (a check-in, a photo) in the visit; only ever moves the time forward."""
    at = at or timezone.now()
    Visit.objects.filter(pk=visit.pk, last_activity_at__lt=at).update(last_activity_at=at)
    visit.last_activity_at = max(visit.last_activity_at or at, at)


class VisitClosed(Exception):
    """The visit was already ended (by the rep on another phone, or closed as stale)."""


def visit_end(*, visit: Visit) -> Visit:
    """The rep ends the visit. Photos still on their way are accepted afterwards: they were taken
    during it, and nothing a rep photographed is ever dropped."""
    now = timezone.now()
    # Conditional, so two phones ending the same visit record one end time.
    if Visit.objects.filter(pk=visit.pk, status=Visit.Status.OPEN).update(
            status=Visit.Status.CLOSED, ended_at=now) != 1:
        visit.refresh_from_db()
        raise VisitClosed(_("This visit was already ended at %(time)s.") % {
            "time": formats.moment(visit.ended_at)} if visit.ended_at else _("This visit was already ended."))
    visit.refresh_from_db()
    return visit


def visits_close_idle(*, idle: timedelta, now: datetime | None = None) -> int:
    """Close the open visits a rep left without tapping "End visit". Returns how many.

    A visit is closed when nothing happened in it (no photo, no check-in) for ``idle``, or when its store's
    local day is over (a visit is one day's visit: tomorrow's check-in opens a new one). Either way the end
    time is the last activity: the visit really ended when the rep stopped working in it, not when this
    sweep noticed. One conditional update per time zone, so a second sweep (or two racing) closes nothing
    twice, and a visit ended by the rep meanwhile keeps the end the rep gave it.
    """
    now = now or timezone.now()
    open_visits = Visit.objects.filter(status=Visit.Status.OPEN)
    due = Q(last_activity_at__lte=now - idle)
    for zone in open_visits.values_list("store__timezone", flat=True).distinct().order_by():
        due |= Q(store__timezone=zone, local_date__lt=today_in(zone, now=now))
    closed = Visit.objects.filter(pk__in=open_visits.filter(due).values("pk"), status=Visit.Status.OPEN).update(
        status=Visit.Status.CLOSED, ended_at=F("last_activity_at"))
    if closed:
        log.info("Closed %d idle open visit(s)", closed)
    return closed


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
        raise IntakeError(_("Each photo needs a client_upload_id of 1 to 64 characters."))
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
            visit_touch(visit, photo.uploaded_at)
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
    return taken_at.replace(tzinfo=store_zone(visit.store))
