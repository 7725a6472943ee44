"""The viewer's language and time zone: the switch on every page, and the settings page.

The switch posts here from any page (signed in or not). It sets Django's language cookie, so the
sign-in page and a signed-out phone keep the choice, and, for a signed-in user, saves it to the
profile, which wins on every device they sign in on (``shelfai.accounts.middleware``).
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/"


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if code not in LANGUAGE_CODES:
        return response  # a stale or forged form: leave everything as it is
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 86400,
                        samesite="Lax", secure=request.is_secure())
    return response


# The IANA zones people live in ("Asia/Shanghai"); the database's legacy aliases ("US/Eastern",
# "Etc/GMT+5", "PRC") are left out of the list (a profile holding one still works).
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
           "Pacific")


def _zone_choices() -> list[tuple[str, str]]:
    zones = sorted(name for name in zoneinfo.available_timezones() if name.split("/", 1)[0] in REGIONS)
    return [("", _("The site's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}), ("UTC", "UTC")] + [
        (name, name) for name in zones]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    # The zones' names are IANA identifiers, the same in every language: marked so for translators and checks.
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False,
                                  widget=forms.Select(attrs={"translate": "no"}),
                                  help_text=gettext_lazy("Times on every page are shown in this zone, "
                                                         "with its name."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's language"))] + list(settings.LANGUAGES)
        self.fields["time_zone"].choices = _zone_choices()


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(request.POST or None, initial={"language": user.language, "time_zone": user.time_zone})
    if user.time_zone and user.time_zone not in dict(form.fields["time_zone"].choices):
        form.fields["time_zone"].choices += [(user.time_zone, user.time_zone)]  # an alias set in the admin
    if request.method == "POST" and form.is_valid():
        user.language = form.cleaned_data["language"]
        user.time_zone = form.cleaned_data["time_zone"]
        user.full_clean(validate_unique=False, exclude=["password"])
        user.save(update_fields=["language", "time_zone"])
        # The page the user comes back to reads in the language just chosen (or the browser's again).
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your settings are saved."))
        response = redirect("user-settings")
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax",
                                max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 86400, secure=request.is_secure())
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    return render(request, "registration/preferences.html", {"form": form})
