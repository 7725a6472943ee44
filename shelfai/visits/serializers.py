"""Output shapes of the intake API."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shelfai.pipeline.checklist import checklist_for_reader, task_instructions, task_state, task_title, visit_tasks
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


class CaptureTaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="shelf (a planogram's bay) or display (a paid placement)")
    title = serializers.SerializerMethodField(help_text="In the request's language.")
    instructions = serializers.SerializerMethodField(help_text="In the request's language.")
    planogram = serializers.IntegerField(source="planogram_id", allow_null=True)
    placement = serializers.IntegerField(source="placement_id", allow_null=True)
    done = serializers.SerializerMethodField()
    retake_needed = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    def get_title(self, task) -> str:
        return task_title(task)

    def get_instructions(self, task) -> str:
        return task_instructions(task)

    def _state(self, task) -> dict:
        if not hasattr(task, "_state_cache"):
            task._state_cache = task_state(task)
        return task._state_cache

    def get_done(self, task) -> bool:
        return self._state(task)["done"]

    def get_retake_needed(self, task) -> bool:
        return self._state(task)["retake_needed"]

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_photos(self, task) -> list[str]:
        return self._state(task)["photos"]


class VisitOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    store = serializers.CharField(source="store.code")
    store_name = serializers.CharField(source="store.name")
    started_at = serializers.DateTimeField()
    local_date = serializers.DateField(help_text="The visit's day in the store's time zone (what every count uses)")
    status = serializers.CharField(
        help_text="open, or closed once the rep ended it, it sat idle VISIT_IDLE_CLOSE_MINUTES or its store's day "
                  "ended (ended_at is then the last photo or check-in)")
    ended_at = serializers.DateTimeField(allow_null=True)
    checkin_distance_m = serializers.FloatField(allow_null=True)
    location_warning = serializers.SerializerMethodField(
        help_text="Set when the check-in was outside the store's geofence: show it to the rep at once.")
    photos_url = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField(help_text="The capture checklist: what to photograph on this visit.")
    checklist = serializers.SerializerMethodField(
        help_text='{"done", "total", "text": "1 of 4 photographed", "note"}; empty for a visit made before '
                  "checklists existed.")

    @extend_schema_field(CaptureTaskOutput(many=True))
    def get_tasks(self, visit: Visit) -> list[dict]:
        return [CaptureTaskOutput(task).data for task in visit_tasks(visit)]

    @extend_schema_field(serializers.DictField())
    def get_checklist(self, visit: Visit) -> dict:
        return checklist_for_reader(visit)

    def get_location_warning(self, visit: Visit) -> str:
        return checkin_warning(visit)

    def get_photos_url(self, visit: Visit) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-photo-upload", args=[visit.public_id]))
