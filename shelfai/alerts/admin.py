from django import forms
from django.contrib import admin

from shelfai.alerts import models


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Where alerts are POSTed as signed JSON.")

    class Meta:
        model = models.WebhookEndpoint
        fields = ["name", "url", "secret", "rules", "is_active"]
        # Not shown again once saved: the secret only ever leaves the site inside an HMAC.
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(models.WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)


class ReadOnly(admin.ModelAdmin):
    """A log: what happened stays as it happened."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ("created_at", "endpoint", "alert", "attempt", "status", "response_code", "next_try_at", "error")
    list_filter = ("status", "endpoint")


class NotificationInline(admin.TabularInline):
    model = models.Notification
    extra = 0
    can_delete = False
    readonly_fields = ("user", "frequency", "sent_at", "error", "created_at")


@admin.register(models.Alert)
class AlertAdmin(ReadOnly):
    list_display = ("created_at", "rule", "subject")
    list_filter = ("rule",)
    search_fields = ("subject", "key")
    inlines = [NotificationInline]


@admin.register(models.RepManager)
class RepManagerAdmin(admin.ModelAdmin):
    list_display = ("rep", "manager")
    autocomplete_fields = ()
    raw_id_fields = ("rep", "manager")


@admin.register(models.AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "rule", "frequency", "updated_at")
    list_filter = ("rule", "frequency")
