"""The detector registry and what each model version saw in each photo."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction


class DetectorModelManager(models.Manager):
    def active(self) -> DetectorModel | None:
        return self.filter(is_active=True).order_by("-created_at").first()

    @transaction.atomic
    def activate(self, model: DetectorModel) -> None:
        self.exclude(pk=model.pk).filter(is_active=True).update(is_active=False)
        self.filter(pk=model.pk).update(is_active=True)
        model.is_active = True


class DetectorModel(models.Model):
    """A registered set of detector weights. Exactly one is active; every run records which one ran."""

    name = models.CharField(max_length=120)
    file_path = models.CharField(max_length=255, help_text="Path to the weights, relative to the repo or absolute.")
    sha256 = models.CharField(max_length=64, unique=True)
    metrics = models.JSONField(default=dict, blank=True)
    trained_on = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DetectorModelManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_detector"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:8]})"


class DetectionRun(models.Model):
    """One analysis of one photo by one model version. Kept when a photo is re-analysed."""

    photo = models.ForeignKey("visits.Photo", on_delete=models.CASCADE, related_name="detection_runs")
    detector = models.ForeignKey(DetectorModel, null=True, on_delete=models.PROTECT, related_name="runs")
    detector_sha256 = models.CharField(max_length=64)
    catalog_version = models.CharField(max_length=64, blank=True)
    quality_ok = models.BooleanField(default=True)
    quality_reasons = models.JSONField(default=list, blank=True)  # English (readers that do not render codes)
    # The same as {"code", "params"} (shelfai.vision.quality.REASONS), read in the reader's language
    # through shelfai.detection.messages; empty on runs stored before codes.
    quality_codes = models.JSONField(default=list, blank=True)
    quality_metrics = models.JSONField(default=dict, blank=True)
    rows = models.JSONField(default=list, blank=True, help_text="Shelf row bands [{level,y1,y2,x1,x2}].")
    gaps = models.JSONField(default=list, blank=True, help_text="Empty gaps [{row,x1,y1,x2,y2,width_in_facings}].")
    timings_ms = models.JSONField(default=dict, blank=True)
    detector_settings = models.JSONField(
        default=dict, blank=True,
        help_text="How the detector ran: backend, imgsz, conf, iou, merge_iou, flip, max_det. The same weights "
                  "give other boxes under other settings.",
    )
    facing_count = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A reviewer corrected the boxes (took a wrong one out, drew a missed one in): the run is a copy of the
    # detector's with those changes, and its boxes are ground truth for retraining.
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["photo", "is_current"])]


class Detection(models.Model):
    """One product facing. Box in pixels of the oriented photo."""

    run = models.ForeignKey(DetectionRun, on_delete=models.CASCADE, related_name="detections")
    x1 = models.FloatField()
    y1 = models.FloatField()
    x2 = models.FloatField()
    y2 = models.FloatField()
    confidence = models.FloatField()
    product = models.ForeignKey("stores.Product", null=True, blank=True, on_delete=models.PROTECT)
    sku_confidence = models.FloatField(default=0)
    shelf_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run"]), models.Index(fields=["product"])]
