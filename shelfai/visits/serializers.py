"""Output shapes of the intake API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from shelfai.visits.models import Visit
from shelfai.visits.services import checkin_warning


class StoreOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    region = serializers.CharField(source="region.name")
    retailer = serializers.CharField(source="retailer.name")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    geofence_radius_m = serializers.IntegerField()
    distance_m = serializers.FloatField(allow_null=True, required=False, default=None)


class VisitOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    store = serializers.CharField(source="store.code")
    store_name = serializers.CharField(source="store.name")
    started_at = serializers.DateTimeField()
    status = serializers.CharField()
    checkin_distance_m = serializers.FloatField(allow_null=True)
    location_warning = serializers.SerializerMethodField(
        help_text="Set when the check-in was outside the store's geofence: show it to the rep at once.")
    photos_url = serializers.SerializerMethodField()

    def get_location_warning(self, visit: Visit) -> str:
        return checkin_warning(visit)

    def get_photos_url(self, visit: Visit) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-photo-upload", args=[visit.public_id]))
