"""A reviewer's decisions on what the system could not be sure of, and the audit of every action.

These rows sit below claims in the import order: ``shelfai.claims.verification`` reads a placement's
confirmation when it builds a visit's evidence, so a reviewer's "yes, the display is there" reaches the
placement rules and the claim's recommendation. Rescoring after a decision is ordered by the review
views through ``shelfai.pipeline`` (only the pipeline knows what comes after what).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlacementConfirmation(models.Model):
    """A reviewer's yes/no on a paid display for one visit: the ``confirmed`` of the placement rules.

    One current answer per placement and visit (a later decision replaces it); every decision, the
    replaced ones included, is kept in ``ReviewAction``.
    """

    placement = models.ForeignKey("claims.PaidPlacement", on_delete=models.CASCADE, related_name="confirmations")
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="placement_confirmations")
    confirmed = models.BooleanField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["placement", "visit"], name="one_confirmation_per_visit")]

    def __str__(self) -> str:
        return f"{'confirmed' if self.confirmed else 'rejected'} by {self.reviewer}"


class ReviewAction(models.Model):
    """Who did what, when, on which photo / box / placement. Never edited or deleted."""

    class Kind(models.TextChoices):
        CONFIRM_DISPLAY = "confirm_display", _("Confirmed the display")
        REJECT_DISPLAY = "reject_display", _("Found no display")
        NAME_PACK = "name_pack", _("Named an unknown pack")
        NOT_A_SHELF = "not_a_shelf", _("Marked not a shelf")
        RECOGNISE_AGAIN = "recognise_again", _("Re-ran recognition")
        REMOVE_BOX = "remove_box", _("Took out a wrong box")
        ADD_BOX = "add_box", _("Drew a missed box")
        CREATE_SKU = "create_sku", _("Created a SKU")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    photo = models.ForeignKey("visits.Photo", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    visit = models.ForeignKey("visits.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    placement = models.ForeignKey("claims.PaidPlacement", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    product = models.ForeignKey("stores.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The "reviewer" right, for users whose role does not carry review.decide (shelfai.accounts.roles).
        permissions = [("work_review_queue", "Can work the review queue (the reviewer right)")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"


class PhotoDismissal(models.Model):
    """A reviewer said the photo shows no shelf: it leaves the queue and stops counting as evidence."""

    photo = models.OneToOneField("visits.Photo", on_delete=models.CASCADE, related_name="dismissal")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
