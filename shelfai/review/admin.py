from django.contrib import admin

from shelfai.review import models


@admin.register(models.ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    """The audit trail: read only, because a decision's record must not be rewritten afterwards."""

    list_display = ("created_at", "actor", "kind", "photo", "placement", "product")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.PlacementConfirmation)
class PlacementConfirmationAdmin(admin.ModelAdmin):
    list_display = ("placement", "visit", "confirmed", "reviewer", "decided_at")
    readonly_fields = ("placement", "visit", "confirmed", "reviewer", "decided_at")
