"""Sales history, forecast runs and their points, backtests and inventory plans."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from forecasting import explanations
from forecasting.notes import model_note

UNITS = {"max_digits": 12, "decimal_places": 3}


class Freq(models.TextChoices):
    DAILY = "D", _("Daily")
    WEEKLY = "W", _("Weekly")


class Level(models.TextChoices):
    SERIES = "series", _("Store x SKU")
    SKU = "sku", _("SKU (all stores)")
    REGION = "region", _("Region x SKU")


class ModelName(models.TextChoices):
    PROPHET = "prophet", _("Prophet")
    POOLED = "pooled", _("Pooled effects")
    GLOBAL = "global", _("Global (LightGBM)")
    ENSEMBLE = "ensemble", _("Ensemble (pooled × global)")
    SEASONAL_NAIVE = "seasonal_naive", _("Seasonal naive")
    LAST_VALUE = "last_value", _("Last value")
    NONE = "none", _("Not enough history")


class SalesRecord(models.Model):
    """Units sold of one SKU at one store on one day, as imported. Re-imports update in place."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="sales")
    product = models.ForeignKey("stores.Product", on_delete=models.PROTECT, related_name="sales")
    date = models.DateField()
    units = models.DecimalField(**UNITS, validators=[MinValueValidator(0)])
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    promo = models.BooleanField(default=False)
    display = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of the day a display was up, 0..1, as reported by the retailer.",
    )
    revenue = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "product", "date"], name="uniq_sales_store_sku_day"),
            models.CheckConstraint(condition=models.Q(units__gte=0), name="sales_units_not_negative"),
            models.CheckConstraint(
                condition=models.Q(display__gte=0, display__lte=1), name="sales_display_share"
            ),
        ]
        # The unique constraint's index serves store x SKU reads; these serve SKU-level and date-range reads.
        indexes = [models.Index(fields=["product", "date"]), models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.product_id} {self.date}: {self.units}"


class ForecastRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    freq = models.CharField(max_length=1, choices=Freq.choices, default=Freq.DAILY)
    horizon = models.PositiveIntegerField(help_text="Periods ahead (days or weeks).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    series_total = models.PositiveIntegerField(default=0)
    series_done = models.PositiveIntegerField(default=0)
    series_failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # What the run learned from all its series before fitting any (forecasting.selection.RunLearning as
    # JSON, the global model in LightGBM's text format): every chunk of the run reads the same.
    learning = models.TextField(blank=True, editable=False)
    # Its two halves, each written by the task that learned it (the two run at once); the one that finds
    # both written joins them into ``learning`` and starts the chunks.
    learning_now = models.TextField(blank=True, editable=False)
    learning_before = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Forecast run {self.pk} ({self.get_freq_display()}, {self.horizon}, {self.status})"

    @property
    def progress(self) -> float:
        """Share of series finished (fitted or failed), 0..1."""
        if not self.series_total:
            return 1.0 if self.status == self.Status.DONE else 0.0
        return min(1.0, (self.series_done + self.series_failed) / self.series_total)

    @property
    def error_text(self) -> str:
        """Why the run failed, in the active language (stored in English, as the worker wrote it)."""
        return model_note(self.error)


class ForecastPoint(models.Model):
    """One forecast period of one series. ``store`` is empty at SKU and region level; ``region`` is set only
    at region level."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="points")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.SERIES)
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey("stores.Product", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(
        "stores.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField()
    yhat = models.FloatField()
    yhat_lower = models.FloatField()
    yhat_upper = models.FloatField()
    model = models.CharField(max_length=16, choices=ModelName.choices)
    # The regressor values the forecast assumed (from the campaign calendar): charts mark them, and the
    # campaign planner removes their effect to get the no-campaign baseline.
    promo = models.FloatField(default=0.0)
    display = models.FloatField(default=0.0)
    price_index = models.FloatField(default=1.0)

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["run", "level", "product", "store", "date"])]


class SeriesFit(models.Model):
    """Which model a run used for one series, why, and the effects it estimated."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="fits")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.SERIES)
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey("stores.Product", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(
        "stores.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    model = models.CharField(max_length=16, choices=ModelName.choices)
    history_periods = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)
    validation = models.JSONField(default=dict, blank=True, help_text="Validation WAPE per model.")
    effects = models.JSONField(
        default=dict, blank=True, help_text='{"promo": {"coef": .., "se": ..}, ...} on log1p(units).'
    )

    class Meta:
        indexes = [models.Index(fields=["run", "level", "product", "store"])]


class BacktestRun(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    freq = models.CharField(max_length=1, choices=Freq.choices)
    holdout = models.PositiveIntegerField()
    origins = models.PositiveIntegerField(default=1)
    filters = models.JSONField(default=dict, blank=True)
    series = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    metrics = models.JSONField(default=dict, blank=True, help_text="The report's models block.")
    fallbacks = models.JSONField(default=list, blank=True, help_text="Series where the baseline is chosen.")

    class Meta:
        ordering = ["-created_at"]


class InventoryPlan(models.Model):
    """Safety stock, reorder point and suggested order for one store x SKU from one forecast run."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="inventory_plans")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("stores.Product", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lead_time_days = models.PositiveIntegerField()
    review_period_days = models.PositiveIntegerField(default=7)
    service_level = models.DecimalField(max_digits=4, decimal_places=3)
    on_hand = models.DecimalField(**UNITS, default=0)
    on_order = models.DecimalField(**UNITS, default=0)
    case_size = models.PositiveIntegerField(default=1)
    lead_time_demand = models.DecimalField(**UNITS)
    lead_time_sigma = models.DecimalField(**UNITS)
    safety_stock = models.DecimalField(**UNITS)
    reorder_point = models.DecimalField(**UNITS)
    order_quantity = models.PositiveIntegerField()
    explanation = models.TextField(help_text="In English, for clients that read only this; see explanation_text.")
    # The explanation's figures (forecasting.explanations), so it reads in the viewer's language.
    explanation_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["store", "product", "created_at"])]

    @property
    def explanation_text(self) -> str:
        """The explanation in the active language (the stored English one for plans saved before this)."""
        return explanations.render(explanations.INVENTORY, self.explanation_params, fallback=self.explanation)
