"""A visit's checklist (capture tasks) and which task each photo was taken for.

The pipeline owns them because a task decides what happens to its photos between the stages: a
shelf task's photos are scored against its planogram only, a display task's photos are the only
evidence for its paid placement. The packages below read the outcome through what the pipeline
hands them (a planogram to score against, a placement's photos), never these rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaptureTask(models.Model):
    """One thing to photograph on a visit: a planogram's shelf, or a paid display."""

    class Kind(models.TextChoices):
        SHELF = "shelf", _("Shelf")
        DISPLAY = "display", _("Display")

    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="capture_tasks")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    planogram = models.ForeignKey("stores.Planogram", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="capture_tasks")
    placement = models.ForeignKey("claims.PaidPlacement", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="capture_tasks")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "planogram"], condition=models.Q(planogram__isnull=False),
                                    name="uniq_task_planogram"),
            models.UniqueConstraint(fields=["visit", "placement"], condition=models.Q(placement__isnull=False),
                                    name="uniq_task_placement"),
            models.CheckConstraint(
                condition=(models.Q(kind="shelf", placement__isnull=True)
                           | models.Q(kind="display", planogram__isnull=True)),
                name="task_kind_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PhotoCapture(models.Model):
    """What a photo was taken for: the task the phone named, or the planogram it was matched to."""

    class MatchedBy(models.TextChoices):
        TASK = "task", _("Sent for the task")
        BEST_MATCH = "best_match", _("Matched to the planogram whose products it shows")
        NONE = "none", _("Not matched to any planogram")

    photo = models.OneToOneField("visits.Photo", on_delete=models.CASCADE, related_name="capture")
    task = models.ForeignKey(CaptureTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="captures")
    matched_by = models.CharField(max_length=12, choices=MatchedBy.choices, default=MatchedBy.TASK)
    retake = models.BooleanField(default=False, help_text=_("Sent for a task that already had a photo."))
    created_at = models.DateTimeField(auto_now_add=True)
