"""Output shapes of the claims API. Inputs are nested in the views that take them.

Two readers, two shapes: the rep who submitted a claim sees what they claimed, its status and the
decisions; the desk (finance, marketing read-only, admin: ``claims.assessment`` in the roles table) also
sees ShelfAI's assessment: risk score, recommendation, recommended amounts and the evidence packet.
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from shelfai.claims import messages
from shelfai.claims.models import Campaign, ClaimDecision, ClaimLine, ExpenseClaim, PaidPlacement, PlacementCheck

ASSESSMENT = ["recommendation", "recommended_amount", "risk_score"]


class ClaimDecisionOutput(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username")

    class Meta:
        model = ClaimDecision
        fields = ["id", "outcome", "amount", "reason", "decided_by", "decided_at", "detector_sha256", "exported_at"]


class ClaimLineOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="placement.store.code")
    campaign = serializers.CharField(source="placement.campaign.name")
    display_type = serializers.CharField(source="placement.display_type")
    fee = serializers.DecimalField(source="placement.fee", max_digits=12, decimal_places=2)

    class Meta:
        model = ClaimLine
        fields = ["id", "placement", "store", "campaign", "display_type", "fee", "period_start", "period_end",
                  "amount", "approved_amount"]


class ClaimLineWithEvidenceOutput(ClaimLineOutput):
    evidence = serializers.SerializerMethodField(
        help_text="The evidence packet; its sentences (reasons, coverage text, flag reasons) in the request's "
                  "language, with the codes and parameters beside them (reason_codes, text_code, params).")

    @extend_schema_field(serializers.DictField())
    def get_evidence(self, line: ClaimLine) -> dict:
        return messages.packet_for_reader(line.evidence) if line.evidence else (line.evidence or {})

    class Meta(ClaimLineOutput.Meta):
        fields = [*ClaimLineOutput.Meta.fields, "recommended_amount", "evidence"]


class ClaimListOutput(serializers.ModelSerializer):
    """A claim in a list, as its submitter sees it."""

    submitted_by = serializers.CharField(source="submitted_by.username")

    class Meta:
        model = ExpenseClaim
        fields = ["id", "reference", "source", "claimant_name", "submitted_by", "submitted_at", "status",
                  "total_amount"]


class ClaimAssessedListOutput(ClaimListOutput):
    """A claim in the desk's queue: with ShelfAI's assessment."""

    class Meta(ClaimListOutput.Meta):
        fields = [*ClaimListOutput.Meta.fields, *ASSESSMENT]


class ClaimOutput(ClaimListOutput):
    """A claim as its submitter sees it: lines, status and the decisions, without the assessment."""

    lines = ClaimLineOutput(many=True)
    decisions = ClaimDecisionOutput(many=True)

    class Meta(ClaimListOutput.Meta):
        fields = [*ClaimListOutput.Meta.fields, "lines", "decisions"]


class ClaimWithEvidenceOutput(ClaimAssessedListOutput):
    """What finance (and marketing, read-only) sees: the assessment, the evidence packet and the reasons."""

    lines = ClaimLineWithEvidenceOutput(many=True)
    decisions = ClaimDecisionOutput(many=True)
    recommendation_reasons = serializers.SerializerMethodField(
        help_text="Why ShelfAI recommends its outcome, in the request's language (Accept-Language).")
    recommendation_reason_codes = serializers.SerializerMethodField(
        help_text="The same reasons as {code, params}; empty for claims assessed before reasons had codes.")

    class Meta(ClaimAssessedListOutput.Meta):
        fields = [*ClaimAssessedListOutput.Meta.fields, "lines", "decisions", "recommendation_reasons",
                  "recommendation_reason_codes"]

    def get_recommendation_reasons(self, claim: ExpenseClaim) -> list[str]:
        return messages.recommendation_reasons(claim)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_recommendation_reason_codes(self, claim: ExpenseClaim) -> list[dict]:
        return list(claim.recommendation_reason_codes or [])


# What the schema says a claim read returns: one shape or the other, by the reader's role.
CLAIM_EITHER = PolymorphicProxySerializer(
    component_name="ClaimForReader", serializers=[ClaimOutput, ClaimWithEvidenceOutput], resource_type_field_name=None)
CLAIM_LIST_EITHER = PolymorphicProxySerializer(
    component_name="ClaimListItemForReader", serializers=[ClaimListOutput, ClaimAssessedListOutput],
    resource_type_field_name=None, many=True)


def claim_output(claim: ExpenseClaim, *, with_evidence: bool) -> dict:
    serializer = ClaimWithEvidenceOutput if with_evidence else ClaimOutput
    return serializer(claim).data


def claim_list_output(claims, *, with_assessment: bool) -> list[dict]:
    serializer = ClaimAssessedListOutput if with_assessment else ClaimListOutput
    return serializer(claims, many=True).data


class CampaignOutput(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name")
    products = serializers.SlugRelatedField(slug_field="sku", many=True, read_only=True)

    class Meta:
        model = Campaign
        # Not the budget: what a campaign costs is the desk's business, and reps read this list too.
        fields = ["id", "name", "brand", "kind", "starts_on", "ends_on", "products", "planned_price_discount_pct",
                  "currency"]


class PlacementOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="store.code")
    campaign_name = serializers.CharField(source="campaign.name")

    class Meta:
        model = PaidPlacement
        fields = ["id", "campaign", "campaign_name", "store", "display_type", "starts_on", "ends_on", "fee",
                  "requirements_note"]


class PlacementCheckOutput(serializers.ModelSerializer):
    visit = serializers.UUIDField(source="visit.public_id")
    store = serializers.CharField(source="placement.store.code")
    reasons = serializers.SerializerMethodField(help_text="Why this verdict, in the request's language.")

    class Meta:
        model = PlacementCheck
        fields = ["id", "placement", "visit", "store", "checked_on", "verdict", "reasons", "reason_codes",
                  "evidence_weight", "detector_sha256", "created_at"]

    def get_reasons(self, check: PlacementCheck) -> list[str]:
        return messages.check_reasons(check)
