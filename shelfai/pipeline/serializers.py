"""What the API says about a photo: where it is on its journey and, once scored, its result."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shelfai.compliance.selectors import photo_result_summary
from shelfai.pipeline import messages
from shelfai.pipeline.models import PhotoCapture
from shelfai.visits.models import Photo


class TaskBinding(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    matched_by = serializers.ChoiceField(
        choices=["task", "best_match", "none"],
        help_text="task: sent for it; best_match: sent without a task and matched to the planogram whose "
                  "products it shows; none: matched to no planogram")
    retake = serializers.BooleanField(help_text="Sent for a task that already had a photo.")


class PhotoOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    visit = serializers.UUIDField(source="visit.public_id")
    client_upload_id = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.SerializerMethodField(
        help_text="Why a photo needs a retake or failed, in the request's language (Accept-Language).")
    sha256 = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    task = serializers.SerializerMethodField(
        help_text="The checklist task the photo was sent for, or matched to (see matched_by).")

    @extend_schema_field(TaskBinding(allow_null=True))
    def get_task(self, photo: Photo) -> dict | None:
        capture = PhotoCapture.objects.filter(photo=photo).select_related("task").first()
        if capture is None:
            return None
        return {"id": capture.task_id, "title": capture.task.title if capture.task else "",
                "matched_by": capture.matched_by, "retake": capture.retake}

    def _url(self, name: str, *args) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=args))

    def get_status_url(self, photo: Photo) -> str:
        return self._url("api-photo-detail", photo.public_id)

    def get_original_url(self, photo: Photo) -> str:
        return self._url("api-photo-original", photo.public_id)

    def get_evidence_url(self, photo: Photo) -> str | None:
        return self._url("api-photo-evidence", photo.public_id) if photo.evidence_image else None

    def get_status_reason(self, photo: Photo) -> str:
        return messages.photo_status_reason(photo)

    def get_result(self, photo: Photo) -> dict | None:
        return photo_result_summary(photo)
