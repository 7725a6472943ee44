"""Intake API: stores and visits. One view per operation. Photos: ``shelfai.pipeline.api``."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai.accounts.roles import Action, deny_unless, hide_unless
from shelfai.authenticity.checks import haversine_m
from shelfai.pipeline.checklist import checklist_open
from shelfai.stores.selectors import stores_for_today, stores_visible_to
from shelfai.visits import services
from shelfai.visits.selectors import visits_visible_to
from shelfai.visits.serializers import StoreOutput, VisitOutput


class StoreListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
        lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
        all = serializers.BooleanField(
            required=False, default=False,
            help_text="Every store assigned to you, not only those scheduled for the store's weekday today")

        class Meta:
            ref_name = "StoreNearFilter"

    @extend_schema(
        parameters=[FilterSerializer],
        responses=StoreOutput(many=True),
        summary="Today's stores (scheduled for the store's local weekday; all=1: every store assigned to you), "
                "nearest first when lat/lon are given",
    )
    def get(self, request: Request) -> Response:
        deny_unless(request.user, Action.STORES_READ, "Your role reads no stores.")
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        # Today's stores follow the assignment's weekdays; a rep may still check in off schedule at any
        # assigned store (all=1 lists them), so a visit is never refused for the day of the week.
        scope = stores_visible_to if filters.validated_data["all"] else stores_for_today
        stores = list(scope(request.user)[:500])
        lat, lon = filters.validated_data.get("lat"), filters.validated_data.get("lon")
        for store in stores:
            store.distance_m = (
                haversine_m(lat, lon, store.latitude, store.longitude) if lat is not None and lon is not None
                else None
            )
        if lat is not None and lon is not None:
            stores.sort(key=lambda s: s.distance_m)
        return Response(StoreOutput(stores, many=True).data)


class VisitListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        store = serializers.CharField(max_length=32, help_text="Store code")
        latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
        longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
        accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0)
        client_visit_id = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")

        class Meta:
            ref_name = "CheckInInput"

    @extend_schema(responses=VisitOutput(many=True), summary="Your visits, newest first")
    def get(self, request: Request) -> Response:
        deny_unless(request.user, Action.VISITS_READ, "Your role reads no visits.")
        visits = visits_visible_to(request.user)[:100]
        return Response(VisitOutput(visits, many=True, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses={201: VisitOutput, 200: VisitOutput},
                   summary="Check in at a store (200 with the same visit when client_visit_id was sent before)")
    def post(self, request: Request) -> Response:
        deny_unless(request.user, Action.VISIT_CHECK_IN, "Only field reps start visits.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        store = stores_visible_to(request.user).filter(code=data.validated_data["store"]).first()
        if store is None:
            raise Http404(_("No store with that code is assigned to you today."))
        visit, created = services.visit_start(
            rep=request.user,
            store=store,
            latitude=data.validated_data.get("latitude"),
            longitude=data.validated_data.get("longitude"),
            accuracy_m=data.validated_data.get("accuracy_m"),
            client_visit_id=data.validated_data["client_visit_id"],
        )
        if created or visit.checklist:
            checklist_open(visit)  # what to photograph here today
        body = VisitOutput(visit, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitDetailApi(APIView):
    @extend_schema(responses=VisitOutput)
    def get(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.VISITS_READ)
        visit = get_object_or_404(visits_visible_to(request.user), public_id=public_id)
        if visit.checklist:
            checklist_open(visit)  # a placement that came into force since gets its task
        return Response(VisitOutput(visit, context={"request": request}).data)


class VisitEndApi(APIView):
    @extend_schema(request=None, responses={200: VisitOutput, 409: None},
                   summary="End your visit (409 when it was already ended, e.g. on another phone)")
    def post(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.VISIT_CHECK_IN)
        # Only the rep who opened the visit ends it; anyone else gets the 404 a missing visit gets.
        visit = get_object_or_404(visits_visible_to(request.user).filter(rep=request.user), public_id=public_id)
        try:
            visit = services.visit_end(visit=visit)
        except services.VisitClosed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(VisitOutput(visit, context={"request": request}).data)
