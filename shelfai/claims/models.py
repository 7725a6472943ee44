"""Trade spend: campaigns, paid placements, expense claims and finance's decisions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Campaign(models.Model):
    class Kind(models.TextChoices):
        PROMOTION = "promotion", _("Promotion")
        DISPLAY = "display", _("Display")
        MIXED = "mixed", _("Promotion and display")

    name = models.CharField(max_length=160)
    brand = models.ForeignKey("stores.Brand", on_delete=models.PROTECT, related_name="campaigns")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DISPLAY)
    starts_on = models.DateField()
    ends_on = models.DateField()
    products = models.ManyToManyField("stores.Product", related_name="campaigns", blank=True)
    stores = models.ManyToManyField(
        "stores.Store", related_name="campaigns", blank=True, help_text=_("Empty means every store.")
    )
    planned_price_discount_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    budget = models.DecimalField(**MONEY, default=Decimal("0"))
    # A Chinese brand's fees are in yuan while the same site may run a euro campaign: every amount of the
    # campaign (budget, fees, claims) is shown in this code. Empty: the site's CURRENCY.
    currency = models.CharField(
        max_length=3, blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("An ISO 4217 code in capitals, e.g. CNY or EUR."))],
        help_text=_("ISO 4217 code of its budget and fees, e.g. CNY; empty means the site's currency."))

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_period")
        ]

    def __str__(self) -> str:
        return self.name


class PaidPlacement(models.Model):
    """A display a campaign pays a store for, over a period, for a fee."""

    class DisplayType(models.TextChoices):
        END_CAP = "end_cap", _("End-cap")
        FLOOR_STAND = "floor_stand", _("Floor stand / secondary display")
        EXTRA_FACINGS = "extra_facings", _("Extra facings")
        EYE_LEVEL = "eye_level", _("Eye-level placement")
        SHELF_STRIP = "shelf_strip", _("Shelf strip")
        POS_MATERIAL = "pos_material", _("Point-of-sale material")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="placements")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="placements")
    display_type = models.CharField(max_length=16, choices=DisplayType.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    fee = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    requirements_note = models.TextField(blank=True)
    required_products = models.ManyToManyField(
        "stores.Product", through="PlacementRequirement", related_name="placements", blank=True
    )

    class Meta:
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["store", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="placement_period")
        ]

    def __str__(self) -> str:
        return f"{self.get_display_type_display()} at {self.store} ({self.starts_on}–{self.ends_on})"


class PlacementRequirement(models.Model):
    placement = models.ForeignKey(PaidPlacement, on_delete=models.CASCADE, related_name="requirements")
    product = models.ForeignKey("stores.Product", on_delete=models.PROTECT)
    min_facings = models.PositiveSmallIntegerField(default=1)
    shelf_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["placement", "product"], name="uniq_requirement")]


class PlacementPhoto(models.Model):
    """A photo the rep took for this display's capture task: on a visit with a checklist, the only
    photos that count as the display's evidence (a photo of the normal shelf never executes an end-cap)."""

    placement = models.ForeignKey(PaidPlacement, on_delete=models.CASCADE, related_name="photos")
    photo = models.ForeignKey("visits.Photo", on_delete=models.CASCADE, related_name="placement_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["placement", "photo"], name="uniq_placement_photo")]


class PlacementCheck(models.Model):
    """What one visit's photos showed about one paid placement."""

    class Verdict(models.TextChoices):
        EXECUTED = "executed", _("Executed")
        PARTLY_EXECUTED = "partly_executed", _("Partly executed")
        NOT_EXECUTED = "not_executed", _("Not executed")
        INSUFFICIENT = "insufficient_evidence", _("Insufficient evidence")

    placement = models.ForeignKey(PaidPlacement, on_delete=models.CASCADE, related_name="checks")
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="placement_checks")
    checked_on = models.DateField()
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    reasons = models.JSONField(default=list, blank=True)  # English, for readers that do not render codes
    # The same reasons as {"code", "params"} (shelfai.compliance.messages), read in the reader's language.
    reason_codes = models.JSONField(default=list, blank=True)
    # None: the visit had no photo of the display, so there was nothing to weigh ("no evidence").
    evidence_weight = models.FloatField(null=True, blank=True, default=1.0)
    detector_sha256 = models.CharField(max_length=64, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["placement", "checked_on"])]


class ExpenseClaim(models.Model):
    class Source(models.TextChoices):
        REP = "rep", _("Field rep")
        RETAILER = "retailer", _("Retailer")
        DISTRIBUTOR = "distributor", _("Distributor")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        PARTIAL = "partial", _("Partially approved")
        REJECTED = "rejected", _("Rejected")

    DECIDED = (Status.APPROVED, Status.PARTIAL, Status.REJECTED)

    reference = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    claimant_name = models.CharField(max_length=160, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    total_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    recommended_amount = models.DecimalField(**MONEY, null=True, blank=True)
    recommendation = models.CharField(max_length=12, blank=True)
    recommendation_reasons = models.JSONField(default=list, blank=True)  # English (see reason_codes)
    recommendation_reason_codes = models.JSONField(default=list, blank=True)
    risk_score = models.FloatField(default=0)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.reference

    @cached_property
    def currency(self) -> str:
        """The currency of the campaign its lines claim (a claim is for one campaign's displays in practice);
        the site's when its campaigns carry none or disagree, so no amount is ever shown in a wrong code."""
        if "lines" in getattr(self, "_prefetched_objects_cache", {}):  # a list page: no query per claim
            found = [line.placement.campaign.currency for line in self.lines.all()]
        else:
            found = self.lines.values_list("placement__campaign__currency", flat=True)
        codes = {code or settings.CURRENCY for code in found}
        return codes.pop() if len(codes) == 1 else settings.CURRENCY


class ClaimLine(models.Model):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="lines")
    placement = models.ForeignKey(PaidPlacement, on_delete=models.PROTECT, related_name="claim_lines")
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    recommended_amount = models.DecimalField(**MONEY, null=True, blank=True)
    approved_amount = models.DecimalField(**MONEY, null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text=_("The assembled evidence packet."))

    class Meta:
        indexes = [models.Index(fields=["placement", "period_start", "period_end"])]


class ClaimDecision(models.Model):
    """A finance decision. Never edited: a reopen and a new decision add rows."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        PARTIAL = "partial", _("Partially approve")
        REJECT = "reject", _("Reject")
        REOPEN = "reopen", _("Reopen")

    claim = models.ForeignKey(ExpenseClaim, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    amount = models.DecimalField(**MONEY, default=Decimal("0"))
    reason = models.TextField()
    detector_sha256 = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["decided_at"]


class AuditEvent(models.Model):
    """Append-only trail of who did what to which object, and why."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=48)
    object_type = models.CharField(max_length=48)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
