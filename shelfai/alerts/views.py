"""The alert settings page: which alerts a user gets and how often, and the ones they got lately."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shelfai.accounts.roles import Action, page
from shelfai.alerts import selectors, services, texts
from shelfai.alerts.models import Frequency, Notification
from shelfai.alerts.rules import RULE_LABELS, Rule

RECENT = 20


@page(Action.ALERTS_SETTINGS)
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    user, status = request.user, 200
    if request.method == "POST":
        # Every rule named in the form, also one the user may not choose: that is refused, not ignored.
        choices = {rule.value: request.POST[rule.value] for rule in Rule if rule.value in request.POST}
        try:
            services.preferences_set(user=user, choices=choices)
        except ValueError as exc:
            messages.error(request, _("Nothing was saved. %(why)s") % {"why": exc})
            status = 400
        else:
            messages.success(request, _("Saved your alert settings.") if choices else _("Nothing to save."))
            return redirect("alerts-settings")
    prefs = services.preferences_of(user)
    rows = [{"rule": rule.value, "label": RULE_LABELS[rule], "frequency": freq,
             "default": services.default_frequency(user, rule)} for rule, freq in prefs.items()]
    recent = list(Notification.objects.filter(user=user).select_related("alert").order_by("-created_at")[:RECENT])
    for note in recent:  # written in the reader's language (the row keeps the English text and the facts)
        note.subject, note.body = texts.written(note.alert)
    return render(request, "alerts/settings.html", {
        "rows": rows, "frequencies": Frequency.choices, "recent": recent, "has_email": bool(user.email),
        "manages": selectors.is_manager(user)}, status=status)
