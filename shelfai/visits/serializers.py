"""Output shapes of the intake API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from shelfai.compliance.selectors import photo_result_summary
from shelfai.visits.models import Photo, Visit


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
    photos_url = serializers.SerializerMethodField()

    def get_photos_url(self, visit: Visit) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-photo-upload", args=[visit.public_id]))


class PhotoOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    visit = serializers.UUIDField(source="visit.public_id")
    client_upload_id = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    sha256 = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    def _url(self, name: str, *args) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=args))

    def get_status_url(self, photo: Photo) -> str:
        return self._url("api-photo-detail", photo.public_id)

    def get_original_url(self, photo: Photo) -> str:
        return self._url("api-photo-original", photo.public_id)

    def get_evidence_url(self, photo: Photo) -> str | None:
        return self._url("api-photo-evidence", photo.public_id) if photo.evidence_image else None

    def get_result(self, photo: Photo) -> dict | None:
        return photo_result_summary(photo)
