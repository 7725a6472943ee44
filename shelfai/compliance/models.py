"""Stored compliance results. The scoring rules themselves are pure code in this package."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplianceResult(models.Model):
    """A score of one photo or one visit against one planogram version, by one detector version.

    Rescoring writes a new row and marks the old one not current, so what was decided on which
    version stays on record.
    """

    class Scope(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VISIT = "visit", _("Visit")

    scope = models.CharField(max_length=8, choices=Scope.choices)
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="compliance_results")
    photo = models.ForeignKey(
        "visits.Photo", null=True, blank=True, on_delete=models.CASCADE, related_name="compliance_results"
    )
    planogram = models.ForeignKey("stores.Planogram", null=True, blank=True, on_delete=models.SET_NULL)
    planogram_version = models.PositiveIntegerField(default=0)
    detection_run = models.ForeignKey("analysis.DetectionRun", null=True, blank=True, on_delete=models.SET_NULL)
    detector_sha256 = models.CharField(max_length=64, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    confidence = models.FloatField(default=0)
    deductions = models.JSONField(default=list, blank=True)
    facings_by_sku = models.JSONField(default=dict, blank=True)
    share_of_shelf = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["visit", "scope", "is_current"]),
            models.Index(fields=["photo", "is_current"]),
        ]


class SkuObservation(models.Model):
    """What one visit saw of one SKU at one store: the shelf signal for forecasting."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="sku_observations")
    product = models.ForeignKey("stores.Product", on_delete=models.CASCADE, related_name="observations")
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="sku_observations")
    observed_on = models.DateField()
    facings = models.PositiveIntegerField(default=0)
    expected_facings = models.PositiveIntegerField(default=0)
    out_of_stock = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "product"], name="uniq_visit_sku_observation")]
        indexes = [models.Index(fields=["store", "product", "observed_on"])]
