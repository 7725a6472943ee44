"""Alerts that reach people: what was raised, who gets it how, who manages whom, and webhook deliveries.

An ``Alert`` is a fact recorded once per key (rule + subject + period). Each user it concerns gets one
``Notification`` (sent at once, or kept for their daily digest). Webhook endpoints get one
``WebhookDelivery`` row per attempt, so the log shows every try, its answer and the next one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shelfai.alerts.rules import RULE_LABELS, Rule

RULE_CHOICES = [(rule.value, RULE_LABELS[rule]) for rule in Rule]


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class Alert(models.Model):
    key = models.CharField(max_length=200, unique=True, help_text="Rule + subject + period: one alert per fact.")
    rule = models.CharField(max_length=24, choices=RULE_CHOICES, db_index=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class Notification(models.Model):
    """One alert for one user: e-mailed at once, or waiting for (then sent in) their daily digest."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_notifications")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the last e-mail attempt did not go out.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="one_notification_per_user")]
        indexes = [models.Index(fields=["user", "frequency", "sent_at"])]


class AlertPreference(models.Model):
    """A user's choice for one rule; without a row the role's default applies (``services.default_frequency``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preferences")
    rule = models.CharField(max_length=24, choices=RULE_CHOICES)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "rule"], name="one_preference_per_rule")]


class DigestSent(models.Model):
    """A user's digest of one day: the unique row makes "once per day" hold across workers and retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    alerts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_day")]


class RepManager(models.Model):
    """Who manages a rep: gets the rep's unvisited-store alerts. Any role may manage; a rep has one manager.

    Kept here rather than on the user: only alerts need it today, and the admin sets it per rep."""

    rep = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="manager_link")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_reps")

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(rep=models.F("manager")), name="not_own_manager")]

    def __str__(self) -> str:
        return f"{self.manager} manages {self.rep}"


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Shared secret the HMAC-SHA256 signature is made with.")
    rules = models.JSONField(default=list, blank=True, help_text='Rules to send, e.g. ["photo_failed"]; empty: all.')
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, rule: str) -> bool:
        return self.is_active and (not self.rules or rule in self.rules)


class WebhookDelivery(models.Model):
    """One attempt to POST one alert to one endpoint. A retry is a new row with ``attempt + 1``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # recorded, not tried yet (or its message was lost: the sweep re-sends)
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed, no more tries"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "alert", "attempt"], name="one_row_per_attempt")]
