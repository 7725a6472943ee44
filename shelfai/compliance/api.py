"""Compliance reads: a visit's current shelf results and placement checks.

Scoped like the visit itself (a rep: their own visits; another rep's is a 404), for the roles that may
read compliance results (``compliance.read`` in the roles table).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai.accounts.roles import Action, hide_unless
from shelfai.claims.serializers import PlacementCheckOutput
from shelfai.compliance import messages
from shelfai.compliance.models import ComplianceResult
from shelfai.visits.selectors import visits_visible_to


class DeductionOutput(serializers.Serializer):
    code = serializers.CharField(help_text="missing_sku, short_facings, wrong_shelf, wrong_order, not_in_planogram, "
                                           "empty_gap or share_below_target")
    sku = serializers.CharField(allow_null=True)
    points = serializers.FloatField()
    level = serializers.IntegerField(allow_null=True, required=False)
    message = serializers.CharField(help_text="What to fix, in the request's language (Accept-Language).")
    params = serializers.DictField(help_text="What the message says, as data: names, counts, shelf levels. "
                                             "Empty on results stored before messages had parameters.")


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()


class ComplianceResultOutput(serializers.ModelSerializer):
    photo = serializers.UUIDField(source="photo.public_id", allow_null=True, default=None)
    planogram_name = serializers.CharField(source="planogram.name", allow_null=True, default=None)
    verified = serializers.SerializerMethodField(
        help_text="False when the evidence was too thin to judge (see not_verified_reason); null without a "
                  "planogram.")
    not_verified_reason = serializers.SerializerMethodField(
        help_text="Why the result is not verified, in the request's language; empty when it is.")
    not_verified = serializers.SerializerMethodField(
        help_text="The same reason as a code and its parameters; null when verified (or stored before codes).")
    deductions = serializers.SerializerMethodField()

    class Meta:
        model = ComplianceResult
        fields = ["id", "scope", "photo", "planogram", "planogram_name", "planogram_version", "score",
                  "confidence", "verified", "not_verified_reason", "not_verified", "deductions", "facings_by_sku",
                  "share_of_shelf", "detector_sha256", "created_at"]

    def get_verified(self, result: ComplianceResult) -> bool | None:
        return (result.report or {}).get("verified", True) if result.planogram_id else None

    def get_not_verified_reason(self, result: ComplianceResult) -> str:
        return messages.report_not_verified_reason(result.report)

    @extend_schema_field(ReasonOutput(allow_null=True))
    def get_not_verified(self, result: ComplianceResult) -> dict | None:
        return (result.report or {}).get("not_verified") or None

    @extend_schema_field(DeductionOutput(many=True))
    def get_deductions(self, result: ComplianceResult) -> list[dict]:
        return messages.deductions_for_reader(result.deductions)


class VisitResultsOutput(serializers.Serializer):
    results = ComplianceResultOutput(many=True)
    placement_checks = PlacementCheckOutput(many=True)


class VisitResultsApi(APIView):
    @extend_schema(responses=VisitResultsOutput,
                   summary="A visit's current shelf results (per photo and for the visit) and placement checks")
    def get(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.COMPLIANCE_READ)
        visit = get_object_or_404(visits_visible_to(request.user), public_id=public_id)
        results = (ComplianceResult.objects.filter(visit=visit, is_current=True)
                   .select_related("photo", "planogram").order_by("scope", "pk"))
        checks = visit.placement_checks.filter(is_current=True).select_related("placement__store", "visit")
        return Response(VisitResultsOutput({"results": results, "placement_checks": checks}).data)
