"""Output shapes of the claims API. Inputs are nested in the views that take them."""

from __future__ import annotations

from rest_framework import serializers

from shelfai.claims.models import ClaimDecision, ClaimLine, ExpenseClaim


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
                  "amount", "recommended_amount", "approved_amount"]


class ClaimLineWithEvidenceOutput(ClaimLineOutput):
    class Meta(ClaimLineOutput.Meta):
        fields = [*ClaimLineOutput.Meta.fields, "evidence"]


class ClaimListOutput(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username")

    class Meta:
        model = ExpenseClaim
        fields = ["id", "reference", "source", "claimant_name", "submitted_by", "submitted_at", "status",
                  "total_amount", "recommendation", "recommended_amount", "risk_score"]


class ClaimOutput(ClaimListOutput):
    """A claim as its submitter sees it: lines, status and the decisions, without the evidence packet."""

    lines = ClaimLineOutput(many=True)
    decisions = ClaimDecisionOutput(many=True)

    class Meta(ClaimListOutput.Meta):
        fields = [*ClaimListOutput.Meta.fields, "lines", "decisions"]


class ClaimWithEvidenceOutput(ClaimOutput):
    """What finance (and marketing, read-only) sees: the evidence packet and the reasons."""

    lines = ClaimLineWithEvidenceOutput(many=True)

    class Meta(ClaimOutput.Meta):
        fields = [*ClaimOutput.Meta.fields, "recommendation_reasons"]


def claim_output(claim: ExpenseClaim, *, with_evidence: bool) -> dict:
    serializer = ClaimWithEvidenceOutput if with_evidence else ClaimOutput
    return serializer(claim).data
