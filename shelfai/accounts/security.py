"""Middleware of the safe-by-default deployment: the Content-Security-Policy header, and the sign-in
throttle that covers every way in (the sign-in page, the admin's and the token API) in one place."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from shelfai.accounts.throttling import SignInThrottle, client_address


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response


class SignInThrottleMiddleware:
    """Counts failed sign-ins per user name and per address; past the limit, 429 with Retry-After.

    A failure is what each view answers to a wrong password: the sign-in pages re-render the form (200),
    the token API answers 400. Success is the pages' redirect (302) and the token API's 200.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: dict[str, int] | None = None

    def sign_in_paths(self) -> dict[str, int]:
        """Path -> the status code that means the password was wrong."""
        if self._paths is None:
            self._paths = {reverse("login"): 200, reverse("admin:login"): 200, reverse("api-token"): 400}
        return self._paths

    def __call__(self, request):
        failure_status = self.sign_in_paths().get(request.path) if request.method == "POST" else None
        if failure_status is None:
            return self.get_response(request)
        throttle = SignInThrottle(username=_username(request), address=client_address(request))
        wait = throttle.wait_seconds()
        if wait:
            return _too_many(request, wait)
        response = self.get_response(request)
        if response.status_code == failure_status:
            throttle.failed()
        elif response.status_code < 400:
            throttle.succeeded()
        return response


def _username(request) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        value = body.get("username", "") if isinstance(body, dict) else ""
        return value if isinstance(value, str) else ""
    try:
        return request.POST.get("username", "")
    except MultiPartParserError:
        # A broken multipart body (no boundary, say): the view's own parser answers it with a 400;
        # the throttle still counts the attempt against the address, under no user name.
        return ""


def _too_many(request, wait: int) -> HttpResponse:
    minutes = max(1, round(wait / 60))
    sentence = ngettext("Too many failed sign-ins for this user or from this address. Try again in about "
                        "%(n)s minute.",
                        "Too many failed sign-ins for this user or from this address. Try again in about "
                        "%(n)s minutes.", minutes) % {"n": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": sentence}, status=429)
    else:
        title = _("Too many sign-ins")
        response = HttpResponse(f'<!doctype html><html lang="{get_language()}"><title>{title}</title><p>{sentence}</p>',
                                status=429)
    response["Retry-After"] = str(wait)
    return response
