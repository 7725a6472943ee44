"""What the API says about a photo: where it is on its journey and, once scored, its result."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from shelfai.compliance.selectors import photo_result_summary
from shelfai.visits.models import Photo


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
