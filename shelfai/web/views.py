"""Server-rendered pages. Short views: a selector for the data, a template for the rest."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from shelfai.accounts.models import Role

HOME_BY_ROLE = {
    Role.REP: "rep-capture",
    Role.MARKETING: "analytics-dashboard",
    Role.FINANCE: "claims-queue",
    Role.PLANNING: "forecast-page",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    target = HOME_BY_ROLE.get(request.user.role)
    if target is None:  # admins
        return redirect("admin:index")
    try:
        return redirect(target)
    except Exception:  # a section not installed yet
        return redirect("rep-capture")


@login_required
@never_cache
def rep_capture(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "rep/capture.html",
        {"max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)},
    )


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site root so its scope covers the capture page."""
    body = (settings.BASE_DIR / "static" / "js" / "sw.js").read_text()
    response = HttpResponse(body, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links; send them to the icon (was a 404 on every page)."""
    return redirect(static("img/favicon.svg"), permanent=True)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
