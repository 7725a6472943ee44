"""Claims API: one view per operation, thin — selectors read, services write."""

from __future__ import annotations

import re
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai import formats
from shelfai.accounts.roles import Action, Allows, deny_unless, may
from shelfai.api_errors import ID_MAX, BoundedPagination
from shelfai.claims import selectors, services
from shelfai.claims.csv_import import claims_import_csv
from shelfai.claims.models import AuditEvent, ClaimDecision, ExpenseClaim
from shelfai.claims.serializers import (
    CLAIM_EITHER,
    CLAIM_LIST_EITHER,
    CampaignOutput,
    ClaimDecisionOutput,
    ClaimOutput,
    PlacementCheckOutput,
    PlacementOutput,
    claim_list_output,
    claim_output,
)

FORBIDDEN = status.HTTP_403_FORBIDDEN
# services' words for a clash name the other claim; a rep must not learn another rep's claim from them.
_CLASH = re.compile(r" in claim (?P<reference>.+?) \((?P<status>[^()]*)\)\. A second claim")


def _claim_for(request: Request, pk: int) -> ExpenseClaim:
    return get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)


def _sees_evidence(user) -> bool:
    return may(user, Action.CLAIM_ASSESSMENT_READ)


def _without_other_claims(user, problems: list[str]) -> list[str]:
    """A clash with the user's own claim names it (they can look it up); with anyone else's it does not."""
    own = set(selectors.claims_visible_to(user).values_list("reference", flat=True))
    def scrub(match: re.Match) -> str:
        return match.group(0) if match.group("reference") in own else " in another claim. A second claim"
    return [_CLASH.sub(scrub, problem) for problem in problems]


class ClaimListCreateApi(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=["", "decided", *ExpenseClaim.Status.values], required=False, default="")
        source = serializers.ChoiceField(choices=["", *ExpenseClaim.Source.values], required=False, default="")
        store = serializers.CharField(required=False, default="", max_length=32)
        campaign = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                            max_value=ID_MAX)

        class Meta:
            ref_name = "ClaimFilter"


    class InputSerializer(serializers.Serializer):
        class LineInput(serializers.Serializer):
            placement = serializers.IntegerField(min_value=1, max_value=ID_MAX)
            period_start = serializers.DateField()
            period_end = serializers.DateField()
            amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
            class Meta:
                ref_name = "ClaimLineInput"


        reference = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default="",
            help_text="Leave empty: a field rep's claim gets its reference from ShelfAI (references are unique "
                      "across everyone's claims, so choosing one would tell you whether another claim has it).")
        lines = serializers.ListField(child=LineInput(), min_length=1)
        class Meta:
            ref_name = "ClaimSubmitInput"


    pagination_class = BoundedPagination

    @extend_schema(
        operation_id="claims_list",
        parameters=[FilterSerializer],
        responses=CLAIM_LIST_EITHER,
        summary="Claims you may see: riskiest and largest first (reps: their own, without the assessment)",
    )
    def get(self, request: Request) -> Response:
        deny_unless(request.user, Action.CLAIMS_READ, _("Your role reads no claims."))
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        claims = selectors.claim_queue(user=request.user, status=f["status"], source=f["source"],
                                       store_code=f["store"], campaign_id=f["campaign"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(claims, request, view=self)
        body = claim_list_output(page, with_assessment=_sees_evidence(request.user))
        return paginator.get_paginated_response(body)

    @extend_schema(request=InputSerializer, responses={201: ClaimOutput, 409: None},
                   summary="Submit a claim (field reps)")
    def post(self, request: Request) -> Response:
        deny_unless(request.user, Action.CLAIM_SUBMIT, _("Claims are submitted by field reps; retailer files are "
                                                         "imported by finance at /api/claims/import/."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["reference"].strip():
            return Response({"detail": _("Leave 'reference' empty: a field rep's claim gets its reference from "
                                         "ShelfAI."), "errors": {"reference": [_("Leave it empty.")]}}, status=400)
        placements = selectors.placements_claimable_by(request.user)
        lines, unknown = [], {}
        for number, line in enumerate(data.validated_data["lines"], start=1):
            placement = placements.filter(pk=line["placement"]).first()
            if placement is None:
                unknown[number] = [_("No placement %(id)s at a store assigned to you.") % {"id": line["placement"]}]
                continue
            lines.append(services.LineInput(placement=placement, period_start=line["period_start"],
                                            period_end=line["period_end"], amount=line["amount"], line_no=number))
        try:
            if unknown:
                raise services.ClaimLinesRefused(unknown)
            claim = services.claim_submit(submitted_by=request.user, lines=lines,
                                          reference=data.validated_data["reference"])
        except services.ClaimLinesRefused as exc:
            lines = [{"line": k, "errors": _without_other_claims(request.user, v)}
                     for k, v in sorted(exc.problems.items())]
            return Response({"detail": _without_other_claims(request.user, [str(exc)])[0], "lines": lines},
                            status=400)
        return Response(claim_output(claim, with_evidence=False), status=status.HTTP_201_CREATED)


class ClaimImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        source = serializers.ChoiceField(choices=[ExpenseClaim.Source.RETAILER, ExpenseClaim.Source.DISTRIBUTOR])
        class Meta:
            ref_name = "ClaimImportInput"


    @extend_schema(request={"multipart/form-data": InputSerializer},
                   responses={201: OpenApiResponse(description="The import report"),
                              400: OpenApiResponse(description="The import report: nothing was imported")},
                   summary="Import a retailer's or distributor's claims CSV: all lines or none")
    def post(self, request: Request) -> Response:
        deny_unless(request.user, Action.CLAIMS_DECIDE, _("Only finance imports claim files."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = claims_import_csv(file=data.validated_data["file"], submitted_by=request.user,
                                   source=data.validated_data["source"])
        return Response(report.as_dict(), status=status.HTTP_201_CREATED if report.ok else 400)


class ClaimDetailApi(APIView):
    @extend_schema(responses=CLAIM_EITHER,
                   summary="A claim; the desk (finance, marketing) also gets the assessment and evidence packet")
    def get(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        with formats.amounts_in(claim.currency):  # reasons and packet amounts in the campaign's currency
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


    @extend_schema(request=InputSerializer, responses={201: ClaimDecisionOutput, 409: None},
                   summary="Approve, partially approve or reject a claim (finance)")
    def post(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        deny_unless(request.user, Action.CLAIMS_DECIDE, _("Only finance decides claims."))
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


    @extend_schema(request=InputSerializer, responses={201: ClaimDecisionOutput, 409: None},
                   summary="Reopen a decided claim (finance; audited)")
    def post(self, request: Request, pk: int) -> Response:
        claim = _claim_for(request, pk)
        deny_unless(request.user, Action.CLAIMS_DECIDE, _("Only finance reopens claims."))
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
        deny_unless(request.user, Action.CLAIMS_DECIDE, _("Only finance reads the audit trail."))
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
        deny_unless(request.user, Action.CLAIMS_DECIDE, _("Only finance exports claims."))
        filters = self.FilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        return export_response(request.user, filters.validated_data, mark=mark)


def export_response(user, filters: dict, *, mark: bool) -> HttpResponse:
    rows = selectors.claims_export_rows(**filters)
    if mark:
        services.claims_mark_exported(user=user, decision_ids=[row["decision_id"] for row in rows])
    sent = "-marked-sent" if mark else ""
    return export_csv_response(rows, f"shelfai-erp-claims{sent}-{timezone.localdate():%Y-%m-%d}.csv")


def export_csv_response(rows: list[dict], filename: str) -> HttpResponse:
    """The ERP file as a download named ``filename`` (what and when; see the claims pages)."""
    response = HttpResponse(services.claims_export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- master data: campaigns and paid placements -------------------------------------------------------


class CampaignListApi(APIView):
    permission_classes = [Allows(Action.MASTER_DATA_READ)]
    pagination_class = BoundedPagination

    @extend_schema(responses=CampaignOutput(many=True), summary="Campaigns, newest first")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.campaigns_list(), request, view=self)
        return paginator.get_paginated_response(CampaignOutput(page, many=True).data)


class PlacementListApi(APIView):
    """Paid displays: a rep sees those at the stores assigned to them (what they may claim)."""

    permission_classes = [Allows(Action.MASTER_DATA_READ)]
    pagination_class = BoundedPagination

    class FilterSerializer(serializers.Serializer):
        campaign = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        store = serializers.CharField(required=False, max_length=32)
        active_on = serializers.DateField(required=False, help_text="Only placements in force on this day.")

        class Meta:
            ref_name = "PlacementFilter"

    @extend_schema(parameters=[FilterSerializer], responses=PlacementOutput(many=True),
                   summary="Paid placements (displays a campaign pays a store for)")
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        placements = selectors.placements_visible_to(request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(placements, request, view=self)
        return paginator.get_paginated_response(PlacementOutput(page, many=True).data)


class PlacementChecksApi(APIView):
    """What visits' photos showed about one placement; a rep sees the checks of their own visits."""

    permission_classes = [Allows(Action.COMPLIANCE_READ)]
    pagination_class = BoundedPagination

    @extend_schema(responses=PlacementCheckOutput(many=True), summary="A placement's checks, newest first")
    def get(self, request: Request, pk: int) -> Response:
        placement = get_object_or_404(selectors.placements_visible_to(request.user), pk=pk)
        checks = selectors.placement_checks_visible_to(request.user, placement=placement)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(checks, request, view=self)
        return paginator.get_paginated_response(PlacementCheckOutput(page, many=True).data)
