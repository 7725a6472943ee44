"""Planning API: sales import, forecast runs, forecasts with history (chart data), inventory, campaigns.

Reads for marketing, planning and admin users; writes (imports, runs, plans) for planning and admin only
(``shelfai.accounts.roles``). One view per operation, thin: validate, call a service or selector, serialize.
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting import explanations
from forecasting.models import ForecastRun, Freq, Level
from forecasting.plan_services import (
    PlanningError,
    campaign_uplift_estimate,
    compare_campaigns,
    inventory_plan_create,
)
from forecasting.reports import forecast_report
from forecasting.runs import ALL_LEVELS, RunAlreadyActive, forecast_run_create
from forecasting.services import sales_import
from forecasting.tasks import run_forecast
from shelfai.accounts.roles import Action, Allows, may
from shelfai.claims.models import Campaign
from shelfai.stores.models import Product, Region, Store

MAX_IMPORT_BYTES = 200 * 1024 * 1024
ANY_JSON = OpenApiResponse(description="JSON; see the README for its fields")
ERROR = OpenApiResponse(description='{"detail": "sentence", "errors": ...}')


def can_plan(user) -> bool:
    """Who reads forecasts and plans: the roles table's planning.read."""
    return may(user, Action.PLANNING_READ)


class PlanningView(APIView):
    permission_classes = [Allows(Action.PLANNING_READ)]


class PlanningWriteView(APIView):
    permission_classes = [Allows(Action.PLANNING_WRITE)]


class SalesImportView(PlanningWriteView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        create_missing = serializers.BooleanField(default=False)
        encoding = serializers.CharField(required=False, allow_blank=True)

        class Meta:
            ref_name = "SalesImportInput"

    @extend_schema(request=InputSerializer, responses={201: ANY_JSON, 400: ERROR, 403: ERROR},
                   summary="Import sales history (CSV): every row or none")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError({"file": [f"The file is over {MAX_IMPORT_BYTES // 2**20} MB; split it."]})
        result = sales_import(
            raw=upload.read(),
            create_missing=data.validated_data["create_missing"],
            encoding=data.validated_data.get("encoding") or None,
        )
        if not result.ok:
            detail = (
                f"{len(result.errors)} problem(s); nothing was imported. Fix the file and upload it again."
            )
            return Response({"detail": detail, "errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "rows": result.rows,
            "created_stores": result.created_stores,
            "created_products": result.created_products,
            "date_format": result.date_format,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class RunOutput(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)
    error = serializers.CharField(source="error_text", read_only=True,
                                  help_text="Why the run failed, in the request's language; empty when it did not.")

    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "freq",
            "horizon",
            "status",
            "progress",
            "series_total",
            "series_done",
            "series_failed",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "metrics",
        ]


class ForecastRunCreateView(PlanningWriteView):
    class InputSerializer(serializers.Serializer):
        freq = serializers.ChoiceField(choices=Freq.choices, default=Freq.DAILY)
        horizon = serializers.IntegerField(min_value=1, max_value=730, required=False)
        stores = serializers.ListField(child=serializers.CharField(), required=False)
        skus = serializers.ListField(child=serializers.CharField(), required=False)
        levels = serializers.MultipleChoiceField(choices=Level.choices, required=False)

        class Meta:
            ref_name = "ForecastRunInput"

    @extend_schema(request=InputSerializer, responses={202: RunOutput, 400: ERROR, 403: ERROR, 409: ERROR},
                   summary="Queue a forecast run; refused (409) while another one is queued or running")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            with transaction.atomic():
                run = forecast_run_create(
                    user=request.user,
                    freq=values["freq"],
                    horizon=values.get("horizon"),
                    store_ids=_ids(Store, "code", values.get("stores")),
                    product_ids=_ids(Product, "sku", values.get("skus")),
                    levels=tuple(sorted(values.get("levels") or ALL_LEVELS)),
                    dispatch=run_forecast.delay,
                    # One run at a time, as on the page: runs share the queue photo scoring uses.
                    exclusive=True,
                )
        except RunAlreadyActive as exc:
            return Response({"detail": str(exc), "run": exc.run.pk}, status=status.HTTP_409_CONFLICT)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class ForecastRunDetailView(PlanningView):
    @extend_schema(responses={200: RunOutput, 404: ERROR}, summary="A forecast run's progress")
    def get(self, request, run_id: int):
        return Response(RunOutput(get_object_or_404(ForecastRun, pk=run_id)).data)


def _ids(model, field: str, codes: list[str] | None) -> list[int] | None:
    if not codes:
        return None
    found = dict(model.objects.filter(**{f"{field}__in": codes}).values_list(field, "pk"))
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise ValidationError({field: [f"Unknown: {', '.join(missing)}."]})
    return list(found.values())


class ForecastView(PlanningView):
    """GET ?sku=K[&store=S | &region=R][&freq=D][&run=ID][&history_days=180]: history, forecast, and why."""

    class InputSerializer(serializers.Serializer):
        sku = serializers.CharField()
        store = serializers.CharField(required=False)
        region = serializers.CharField(required=False)
        freq = serializers.ChoiceField(choices=Freq.choices, default=Freq.DAILY)
        run = serializers.IntegerField(required=False)
        history_days = serializers.IntegerField(min_value=0, max_value=1500, default=180)

        class Meta:
            ref_name = "ForecastQuery"

    @extend_schema(parameters=[InputSerializer], responses={200: ANY_JSON, 400: ERROR, 404: ERROR},
                   summary="History and forecast of one SKU at a store, a region or everywhere")
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = get_object_or_404(Product, sku=values["sku"])
        store = get_object_or_404(Store, code=values["store"]) if values.get("store") else None
        region = (
            get_object_or_404(Region, code=values["region"]) if values.get("region") and not store else None
        )
        run = None
        if values.get("run"):
            run = get_object_or_404(ForecastRun, pk=values["run"], status=ForecastRun.Status.DONE)
        report = forecast_report(
            product=product,
            store=store,
            region=region,
            run=run,
            freq=values["freq"],
            history_days=values["history_days"],
        )
        if report["run"] is None:
            return Response(report, status=status.HTTP_404_NOT_FOUND)
        return Response(report)


class InventoryPlanView(PlanningWriteView):
    class InputSerializer(serializers.Serializer):
        store = serializers.CharField()
        sku = serializers.CharField()
        lead_time_days = serializers.IntegerField(min_value=1, max_value=120)
        review_period_days = serializers.IntegerField(min_value=0, max_value=120, default=7)
        service_level = serializers.FloatField(min_value=0.5, max_value=0.999, default=0.95)
        on_hand = serializers.FloatField(min_value=0, default=0)
        on_order = serializers.FloatField(min_value=0, default=0)
        case_size = serializers.IntegerField(min_value=1, default=1)
        run = serializers.IntegerField(required=False)

        class Meta:
            ref_name = "InventoryPlanInput"

    @extend_schema(request=InputSerializer, responses={201: ANY_JSON, 400: ERROR, 403: ERROR, 404: ERROR},
                   summary="Reorder point and order quantity for one SKU at one store")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = get_object_or_404(Store, code=values.pop("store"))
        product = get_object_or_404(Product, sku=values.pop("sku"))
        run_id = values.pop("run", None)
        run = get_object_or_404(ForecastRun, pk=run_id) if run_id else None
        try:
            plan = inventory_plan_create(store=store, product=product, run=run, user=request.user, **values)
        except PlanningError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        body = {
            "id": plan.pk,
            "run": plan.run_id,
            "store": store.code,
            "sku": product.sku,
            "lead_time_demand": str(plan.lead_time_demand),
            "lead_time_sigma": str(plan.lead_time_sigma),
            "safety_stock": str(plan.safety_stock),
            "reorder_point": str(plan.reorder_point),
            "order_quantity": plan.order_quantity,
            "explanation": plan.explanation_text,
            "explanation_code": explanations.INVENTORY,
            "explanation_params": plan.explanation_params,
        }
        return Response(body, status=status.HTTP_201_CREATED)


def _estimate_body(estimate) -> dict:
    body = {
        "campaign": estimate.campaign.pk,
        "name": estimate.campaign.name,
        "comparison": estimate.comparison,
        "series": estimate.series,
        "days": estimate.days,
        "notes": estimate.notes,
    }
    result = estimate.result
    if result is not None:
        body.update(
            baseline_units=round(result.baseline_units, 1),
            scenario_units=round(result.scenario_units, 1),
            incremental_units=round(result.incremental_units, 1),
            incremental_units_interval=[
                round(result.incremental_units_low, 1),
                round(result.incremental_units_high, 1),
            ],
            incremental_revenue=str(result.incremental_revenue),
            discount_cost=str(result.discount_cost),
            fee=str(result.fee),
            roi=result.roi,
            roi_interval=[result.roi_low, result.roi_high],
            explanation=result.explanation,
            explanation_code=explanations.UPLIFT,
            explanation_params=result.explanation_params,
        )
    return body


class CampaignUpliftView(PlanningView):
    """GET ?comparison=baseline|execution: the campaign's uplift, or full execution vs what was verified."""

    @extend_schema(parameters=[OpenApiParameter("comparison", str, enum=["baseline", "execution"])],
                   responses={200: ANY_JSON, 400: ERROR, 404: ERROR}, summary="A campaign's uplift and ROI")
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        comparison = request.query_params.get("comparison", "baseline")
        try:
            estimate = campaign_uplift_estimate(campaign=campaign, comparison=comparison)
        except PlanningError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(_estimate_body(estimate))


class CampaignCompareView(PlanningView):
    """GET ?ids=1,2,3: planned campaigns side by side, best ROI first."""

    @extend_schema(parameters=[OpenApiParameter("ids", str, required=True, description="e.g. 1,2,3")],
                   responses={200: ANY_JSON, 400: ERROR}, summary="Planned campaigns side by side")
    def get(self, request):
        raw = request.query_params.get("ids", "")
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise ValidationError({"ids": [_("Give campaign ids as ?ids=1,2,3.")]}) from None
        if not ids:
            raise ValidationError({"ids": [_("Give campaign ids as ?ids=1,2,3.")]})
        campaigns = list(Campaign.objects.filter(pk__in=ids))
        return Response({"campaigns": [_estimate_body(e) for e in compare_campaigns(campaigns)]})
