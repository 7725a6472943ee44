"""The signed-in viewer's language and time zone, for every page, API answer and message.

Django's ``LocaleMiddleware`` (before this one) has already chosen a language from the language
cookie or the browser's ``Accept-Language``, else English. It runs before authentication, so it
cannot read the profile; this middleware runs right after ``AuthenticationMiddleware`` and lets the
profile win: the order is profile, then browser, then English. One small middleware rather than
only Django's ``set_language`` cookie because a rep signs in on several phones and the desk on
several browsers: the choice lives with the person, not the device.

The time zone works the same way: ``User.time_zone`` (an IANA name), else ``settings.TIME_ZONE``.
Timestamps are rendered in it (``shelfai.formats.moment`` names the zone). Days a store counts are
the store's own business (its own zone), not the viewer's.
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a name the tz database no longer has: the site's zone rather than an error page


def apply_preferences(user, request=None) -> None:
    """Activate ``user``'s profile language and time zone (blank fields change nothing): the one rule for
    pages (this middleware) and token clients (``shelfai.accounts.authentication``)."""
    language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    zone = _zone(getattr(user, "time_zone", "")) if user is not None and user.is_authenticated else None
    if language:
        translation.activate(language)
        if request is not None:
            request.LANGUAGE_CODE = translation.get_language()
    if zone is not None:
        timezone.activate(zone)


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        apply_preferences(getattr(request, "user", None), request)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        # LocaleMiddleware sets it with setdefault on the way out; the language in force wins.
        response.headers["Content-Language"] = translation.get_language()
        return response
