from django import forms
from django.contrib import admin

from shelfai.alerts import models
from shelfai.alerts.rules import Rule


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Where alerts are POSTed as signed JSON.")

    class Meta:
        model = models.WebhookEndpoint
        fields = ["name", "url", "secret", "rules", "is_active"]
        # Not shown again once saved: the secret only ever leaves the site inside an HMAC.
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean_rules(self):
        rules = self.cleaned_data.get("rules") or []
        known = {rule.value for rule in Rule}
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise forms.ValidationError('A list of rule names, e.g. ["photo_failed"], or [] for every rule.')
        unknown = sorted(set(rules) - known)
        if unknown:
            raise forms.ValidationError(f"Unknown rule(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        return rules

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if len(secret) < 16:
            raise forms.ValidationError("Use a secret of at least 16 characters: it is all that proves a call is ours.")
        return secret


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
    list_select_related = ("endpoint", "alert")
    list_display = ("created_at", "endpoint_name", "alert_key", "attempt", "status", "response_code", "next_try_at",
                    "error")
    list_filter = ("status", "endpoint")

    @admin.display(description="endpoint")
    def endpoint_name(self, obj):
        return obj.endpoint.name

    @admin.display(description="alert")
    def alert_key(self, obj):
        return obj.alert.key


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
