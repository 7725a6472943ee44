from django.contrib import admin

from shelfai.claims import models


class RequirementInline(admin.TabularInline):
    model = models.PlacementRequirement
    extra = 0


@admin.register(models.PaidPlacement)
class PaidPlacementAdmin(admin.ModelAdmin):
    list_display = ("campaign", "store", "display_type", "starts_on", "ends_on", "fee")
    list_filter = ("display_type", "campaign")
    inlines = [RequirementInline]


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "kind", "starts_on", "ends_on", "budget", "currency")


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    readonly_fields = [f.name for f in models.AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
