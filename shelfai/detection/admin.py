from django.contrib import admin

from shelfai.detection.models import DetectorModel


@admin.register(DetectorModel)
class DetectorModelAdmin(admin.ModelAdmin):
    list_display = ("name", "sha256", "is_active", "created_at")
    readonly_fields = ("sha256", "metrics", "created_at")
