"""Claims API: one view per operation, thin — selectors read, services write."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai.claims import selectors, services
from shelfai.claims.csv_import import claims_import_csv
from shelfai.claims.models import AuditEvent, ClaimDecision, ExpenseClaim
from shelfai.claims.serializers import ClaimDecisionOutput, ClaimListOutput, ClaimOutput, claim_output

FORBIDDEN = status.HTTP_403_FORBIDDEN


def _claim_for(request: Request, pk: int) -> ExpenseClaim:
    return get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)


def _sees_evidence(user) -> bool:
    return user.has_role("finance", "marketing")


class ClaimListCreateApi(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=["", "decided", *ExpenseClaim.Status.values], required=False, default="")
        source = serializers.ChoiceField(choices=["", *ExpenseClaim.Source.values], required=False, default="")
        store = serializers.CharField(required=False, default="")
        campaign = serializers.IntegerField(required=False, allow_null=True, default=None)
        class Meta:
            ref_name = "ClaimFilter"


    class InputSerializer(serializers.Serializer):
        class LineInput(serializers.Serializer):
            placement = serializers.IntegerField(min_value=1)
            period_start = serializers.DateField()
            period_end = serializers.DateField()
            amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
            class Meta:
                ref_name = "ClaimLineInput"


        reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        lines = LineInput(many=True, allow_empty=False)
        class Meta:
            ref_name = "ClaimSubmitInput"


    @extend_schema(
        parameters=[OpenApiParameter("status", str), OpenApiParameter("source", str),
                    OpenApiParameter("store", str), OpenApiParameter("campaign", int)],
        responses=ClaimListOutput(many=True),
        summary="Claims you may see: riskiest and largest first",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        claims = selectors.claim_queue(user=request.user, status=f["status"], source=f["source"],
                                       store_code=f["store"], campaign_id=f["campaign"])
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(claims, request, view=self)
        return paginator.get_paginated_response(ClaimListOutput(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ClaimOutput}, summary="Submit a claim (field reps)")
    def post(self, request: Request) -> Response:
        if not (request.user.is_rep or request.user.has_role()):
            return Response({"detail": "Claims are submitted by field reps; retailer files are imported by "
                                       "finance at /api/claims/import/."}, status=FORBIDDEN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        placements = selectors.placements_claimable_by(request.user)
        lines, unknown = [], {}
        for number, line in enumerate(data.validated_data["lines"], start=1):
            placement = placements.filter(pk=line["placement"]).first()
            if placement is None:
                unknown[number] = [f"No placement {line['placement']} at a store assigned to you."]
                continue
            lines.append(services.LineInput(placement=placement, period_start=line["period_start"],
                                            period_end=line["period_end"], amount=line["amount"], line_no=number))
        try:
            if unknown:
                raise services.ClaimLinesRefused(unknown)
            claim = services.claim_submit(submitted_by=request.user, lines=lines,
                                          reference=data.validated_data["reference"])
        except services.ClaimLinesRefused as exc:
            return Response({"detail": str(exc), "lines": [{"line": k, "errors": v} for k, v in
                                                           sorted(exc.problems.items())]}, status=400)
        return Response(claim_output(claim, with_evidence=False), status=status.HTTP_201_CREATED)


class ClaimImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        source = serializers.ChoiceField(choices=[ExpenseClaim.Source.RETAILER, ExpenseClaim.Source.DISTRIBUTOR])
        class Meta:
            ref_name = "ClaimImportInput"


    @extend_schema(request=InputSerializer, responses={201: dict, 400: dict},
                   summary="Import a retailer's or distributor's claims CSV: all lines or none")
    def post(self, request: Request) -> Response:
        if not selectors.user_imports_claims(request.user):
            return Response({"detail": "Only finance imports claim files."}, status=FORBIDDEN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = claims_import_csv(file=data.validated_data["file"], submitted_by=request.user,
                                   source=data.validated_data["source"])
        return Response(report.as_dict(), status=status.HTTP_201_CREATED if report.ok else 400)


class ClaimDetailApi(APIView):
    @extend_schema(responses=ClaimOutput, summary="A claim; finance also gets its evidence packet")
    def get(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        return Response(claim_output(claim, with_evidence=_sees_evidence(request.user)))


class ClaimDecideApi(APIView):
    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=[ClaimDecision.Outcome.APPROVE, ClaimDecision.Outcome.PARTIAL,
                                                   ClaimDecision.Outcome.REJECT])
        amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
        reason = serializers.CharField(max_length=2000)
        decisions_seen = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                                  help_text="How many decisions you saw; refused if it changed.")
        class Meta:
            ref_name = "ClaimDecisionInput"


    @extend_schema(request=InputSerializer, responses={201: ClaimDecisionOutput},
                   summary="Approve, partially approve or reject a claim (finance)")
    def post(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        if not selectors.user_decides_claims(request.user):
            return Response({"detail": "Only finance decides claims."}, status=FORBIDDEN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            decision = services.claim_decide(claim=claim, decided_by=request.user, **data.validated_data)
        except services.DecisionInvalid as exc:
            return Response({"detail": str(exc), "errors": exc.errors}, status=400)
        except services.ClaimAlreadyDecided as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ClaimDecisionOutput(decision).data, status=status.HTTP_201_CREATED)


class ClaimReopenApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        class Meta:
            ref_name = "ClaimReopenInput"


    @extend_schema(request=InputSerializer, responses={201: ClaimDecisionOutput},
                   summary="Reopen a decided claim (finance; audited)")
    def post(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        if not selectors.user_decides_claims(request.user):
            return Response({"detail": "Only finance reopens claims."}, status=FORBIDDEN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            decision = services.claim_reopen(claim=claim, reopened_by=request.user,
                                             reason=data.validated_data["reason"])
        except services.ClaimAlreadyDecided as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ClaimDecisionOutput(decision).data, status=status.HTTP_201_CREATED)


class ClaimAuditApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

        class Meta:
            model = AuditEvent
            fields = ["id", "created_at", "actor", "action", "data"]
            ref_name = "ClaimAuditEvent"

    @extend_schema(responses=OutputSerializer(many=True), summary="A claim's audit trail (finance)")
    def get(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        if not selectors.user_decides_claims(request.user):
            return Response({"detail": "Only finance reads the audit trail."}, status=FORBIDDEN)
        return Response(self.OutputSerializer(selectors.claim_audit_trail(claim), many=True).data)


class ClaimExportApi(APIView):
    """Approved amounts for the ERP as CSV. GET reads; POST also stamps the rows as exported."""

    class FilterSerializer(serializers.Serializer):
        decided_from = serializers.DateField(required=False, allow_null=True, default=None)
        decided_to = serializers.DateField(required=False, allow_null=True, default=None)
        include_rejected = serializers.BooleanField(required=False, default=False)
        new_only = serializers.BooleanField(required=False, default=False)
        class Meta:
            ref_name = "ClaimExportFilter"


    @extend_schema(parameters=[FilterSerializer], responses={(200, "text/csv"): str})
    def get(self, request: Request) -> HttpResponse:
        return self._export(request, request.query_params, mark=False)

    @extend_schema(request=FilterSerializer, responses={(200, "text/csv"): str})
    def post(self, request: Request) -> HttpResponse:
        return self._export(request, request.data, mark=True)

    def _export(self, request: Request, params, *, mark: bool) -> HttpResponse:
        if not selectors.user_decides_claims(request.user):
            return Response({"detail": "Only finance exports claims."}, status=FORBIDDEN)
        filters = self.FilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        return export_response(request.user, filters.validated_data, mark=mark)


def export_response(user, filters: dict, *, mark: bool) -> HttpResponse:
    rows = selectors.claims_export_rows(**filters)
    if mark:
        services.claims_mark_exported(user=user, decision_ids=[row["decision_id"] for row in rows])
    response = HttpResponse(services.claims_export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="claims-export.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
