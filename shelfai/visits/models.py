"""Store visits and the photos reps take during them."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shelfai.stores.models import Store
from shelfai.stores.zones import local_date


def now() -> datetime:
    # Looked up at call time (not ``default=timezone.now``), so a clock set by a test or by the demo
    # history's ``clock_at`` dates the visit too.
    return timezone.now()


def _fill_local_fields(visits) -> None:
    """Give each new visit its store-local day and its first activity (the check-in)."""
    pending = [v for v in visits if v.local_date is None or v.last_activity_at is None]
    if not pending:
        return
    loaded = {v.store_id: v._state.fields_cache["store"] for v in pending if "store" in v._state.fields_cache}
    missing = {v.store_id for v in pending} - set(loaded)
    zones = dict(Store.objects.filter(pk__in=missing).values_list("pk", "timezone")) if missing else {}
    for visit in pending:
        visit.started_at = visit.started_at or now()
        if visit.local_date is None:
            store = loaded.get(visit.store_id) or Store(timezone=zones.get(visit.store_id, ""))
            visit.local_date = local_date(store, visit.started_at)
        visit.last_activity_at = visit.last_activity_at or visit.started_at


class VisitQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _fill_local_fields(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Visit(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("visit status", "Open")
        CLOSED = "closed", pgettext_lazy("visit status", "Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="visits")
    started_at = models.DateTimeField(default=now, editable=False)
    # Which day this visit was, in the store's time zone: the one answer every count by day or week
    # uses (set when the visit starts; never recomputed, so a store moved to another zone keeps its past).
    local_date = models.DateField(editable=False)
    # The check-in or the latest photo: a visit idle for VISIT_IDLE_CLOSE_MINUTES is closed at this time.
    last_activity_at = models.DateTimeField(editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # Where the phone said it was at check-in (when the rep allowed geolocation).
    checkin_latitude = models.FloatField(null=True, blank=True)
    checkin_longitude = models.FloatField(null=True, blank=True)
    checkin_accuracy_m = models.FloatField(null=True, blank=True)
    checkin_distance_m = models.FloatField(null=True, blank=True)
    client_visit_id = models.CharField(max_length=64, blank=True)
    # The capture checklist's state, written by the pipeline ({"done": n, "total": m, ...}); empty for a
    # visit made before checklists existed, whose photos all count as evidence as they used to.
    checklist = models.JSONField(default=dict, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["store", "local_date"], name="visit_store_local_date"),
            models.Index(fields=["local_date"], name="visit_local_date"),
            models.Index(fields=["status", "last_activity_at"], name="visit_open_idle"),
            models.Index(fields=["store", "started_at"]),
            models.Index(fields=["rep", "started_at"]),
            models.Index(fields=["started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "client_visit_id"],
                condition=~models.Q(client_visit_id=""),
                name="uniq_client_visit",
            )
        ]

    def __str__(self) -> str:
        return f"Visit {self.public_id} at {self.store}"

    def save(self, *args, **kwargs):
        # Not business logic: the two derived columns every path that makes a visit must fill (the check-in
        # service, fixtures, the admin), so no visit ever exists without its local day.
        if self._state.adding:
            _fill_local_fields([self])
        super().save(*args, **kwargs)


def photo_original_path(instance: Photo, filename: str) -> str:
    # Content-addressed and never the client's file name: nothing a client sends becomes a path.
    return f"photos/{instance.sha256[:2]}/{instance.sha256}/{instance.public_id}.{instance.file_ext}"


class Photo(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        ANALYZED = "analyzed", _("Analyzed")  # detections stored, waiting for scoring
        SCORING = "scoring", _("Scoring")
        DONE = "done", _("Done")
        RETAKE = "retake", _("Retake needed")
        FAILED = "failed", _("Failed")

    TERMINAL = (Status.DONE, Status.RETAKE, Status.FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="photos")
    client_upload_id = models.CharField(max_length=64)
    original = models.FileField(upload_to=photo_original_path, max_length=255)
    content_type = models.CharField(max_length=40)
    file_ext = models.CharField(max_length=8)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(help_text="Width after EXIF orientation.")
    height = models.PositiveIntegerField(help_text="Height after EXIF orientation.")
    evidence_image = models.FileField(upload_to="evidence/", blank=True, max_length=255)

    # EXIF as the phone wrote it; empty when the file had none (which is itself a flag).
    exif_taken_at = models.DateTimeField(null=True, blank=True)
    exif_latitude = models.FloatField(null=True, blank=True)
    exif_longitude = models.FloatField(null=True, blank=True)
    exif_device = models.CharField(max_length=120, blank=True)
    exif_software = models.CharField(max_length=120, blank=True)
    exif_orientation = models.PositiveSmallIntegerField(default=1)
    has_exif = models.BooleanField(default=False)

    # Whole-frame perceptual hash (64 bits, stored signed) and a small grey thumbnail: the index
    # rows in PhotoHashBand find candidates, the thumbnail confirms a copy pixel by pixel.
    fingerprint = models.BinaryField(null=True, blank=True, editable=False)
    authenticity_checked_at = models.DateTimeField(null=True, blank=True)

    phash = models.BigIntegerField(null=True, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Why it failed or needs a retake, in plain words.")
    # The journey's bookkeeping (shelfai.pipeline.status owns every write to these).
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times analysis claimed the photo.")
    score_attempts = models.PositiveSmallIntegerField(default=0, help_text="Times scoring claimed the photo.")
    resends = models.PositiveSmallIntegerField(
        default=0, help_text="Messages the sweeper re-sent for the stage the photo is waiting for.")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the message for the stage it waits for (analysis or scoring) was last handed to the
    # broker; empty while no message is known to have been sent (the broker was down).
    sent_at = models.DateTimeField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    scoring_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["uploaded_by", "client_upload_id"], name="uniq_client_upload"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"]), models.Index(fields=["visit", "uploaded_at"]),
                   models.Index(fields=["status", "sent_at"], name="photo_waiting_sent")]

    def __str__(self) -> str:
        return f"Photo {self.public_id} ({self.status})"


class PhotoHashBand(models.Model):
    """One 16-bit band of one window hash of a photo: an exact-match index for near-duplicate search.

    Each photo is hashed on 14 windows (whole frame and 90% crops), each hash split into 4 bands
    (see ``shelfai.authenticity.imagehash``). A lookup reads the rows of ~20 (band, value) keys
    through the index instead of scanning every stored photo; ``hash`` lets the Hamming distance
    be checked before any pixel comparison.
    """

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="hash_bands")
    window = models.PositiveSmallIntegerField(default=0)
    band = models.PositiveSmallIntegerField()
    value = models.IntegerField()
    hash = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # Index-only lookups: the (band, value) keys give photo and window without touching the table.
            models.Index(fields=["band", "value", "window"], include=["photo"], name="photohashband_lookup"),
            models.Index(fields=["photo"], include=["window", "hash"], condition=models.Q(band=0),
                         name="photohashband_windows"),
        ]
        constraints = [models.UniqueConstraint(fields=["photo", "window", "band"], name="uniq_photo_window_band")]


class AuthenticityFlag(models.Model):
    class Severity(models.TextChoices):
        INFO = "info", _("Info")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(max_length=32)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    reason = models.TextField()  # English, for readers that do not render codes (and rows stored before params)
    # What the reason says, as data (shelfai.visits.flag_messages renders it in the reader's language);
    # empty on flags stored before params: their English ``reason`` is shown as it is.
    params = models.JSONField(default=dict, blank=True)
    duplicate_of = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicated_by"
    )
    distance = models.PositiveSmallIntegerField(null=True, blank=True)
    weight = models.FloatField(default=1.0, help_text="Evidence multiplier 0..1 this flag applies.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["photo", "code"], name="uniq_photo_flag")]
