"""One styled page for "not for you" and "not found", saying what the person can do instead.

Pages refuse in three ways (a 403 from ``PermissionDenied``, a 404 from ``roles.page`` or a missing
record, and once a silent redirect); a signed-in user gets the same page for all of them, with links
to the pages their role may use, read from the roles table. Anonymous users are sent to sign in by
the pages themselves; API paths keep their JSON errors (``shelfai.api_errors``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from shelfai import api_errors
from shelfai.accounts.roles import Action, may


@dataclass(frozen=True)
class RolePage:
    label: str
    url_name: str
    action: Action
    what: str


# The pages each role starts from, in menu order; who may open one is the roles table's business.
ROLE_PAGES = (
    RolePage(gettext_lazy("Today"), "rep-capture", Action.VISIT_CHECK_IN,
             gettext_lazy("your stores, today's visit and its photos")),
    RolePage(gettext_lazy("My claims"), "rep-claims", Action.CLAIM_SUBMIT,
             gettext_lazy("submit an expense claim and see its decision")),
    RolePage(gettext_lazy("Compliance"), "analytics-dashboard", Action.ANALYTICS_READ,
             gettext_lazy("shelf and display compliance")),
    RolePage(pgettext_lazy("noun: the review queue", "Review"), "review-queue", Action.REVIEW,
             gettext_lazy("the review queue")),
    RolePage(gettext_lazy("Claims desk"), "claims-queue", Action.CLAIMS_DECIDE,
             gettext_lazy("decide expense claims, ERP export")),
    RolePage(gettext_lazy("Planning"), "forecast-page", Action.PLANNING_READ,
             gettext_lazy("forecasts, inventory and campaigns")),
    RolePage(gettext_lazy("Alerts"), "alerts-settings", Action.ALERTS_SETTINGS,
             gettext_lazy("which alerts you get, and how often")),
)


def pages_for(user) -> list[dict]:
    pages = []
    for page in ROLE_PAGES:
        if not may(user, page.action):
            continue
        try:
            pages.append({"label": page.label, "url": reverse(page.url_name), "what": page.what})
        except NoReverseMatch:  # a section not installed in this URLconf
            continue
    if getattr(user, "is_staff", False):
        pages.append({"label": pgettext_lazy("the admin site", "Admin"), "url": reverse("admin:index"),
                      "what": gettext_lazy("master data and users")})
    return pages


def refusal_page(request: HttpRequest, status: int, message: str = "") -> HttpResponse:
    context = {"status": status, "message": message, "pages": pages_for(request.user),
               "path": request.path, "phone": getattr(request.user, "is_rep", False)}
    body = render_to_string(f"{status}.html", context, request=request)
    response = HttpResponse(body, status=status)
    add_never_cache_headers(response)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _message(exception) -> str:
    # Our refusals are sentences for the user ("The claims desk is for finance."); Django's own
    # resolver 404 carries a dict of tried patterns, which is nobody's business.
    text = exception.args[0] if exception is not None and exception.args else ""
    if isinstance(text, Promise):  # a lazily translated message: read it in the reader's language
        text = str(text)
    if not isinstance(text, str) or text.endswith("matches the given query."):
        return ""  # get_object_or_404's "No ExpenseClaim matches the given query." names a table, not a page
    return text


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """handler403."""
    if _is_api(request):
        return JsonResponse({"detail": _message(exception) or _("Your role may not do this.")}, status=403)
    return refusal_page(request, 403, _message(exception))


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404: JSON for an API path (``shelfai.api_errors``), the styled page for the rest."""
    if _is_api(request):
        return api_errors.not_found(request, exception)
    return refusal_page(request, 404, _message(exception))


class RefusalPageMiddleware:
    """The styled page for a signed-in user's refused or missing page, in DEBUG too (where Django would
    show its technical 404 instead of handler404, which is what a new user saw on ``make run``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if _is_api(request) or not request.user.is_authenticated:
            return None
        if isinstance(exception, PermissionDenied):
            return refusal_page(request, 403, _message(exception))
        if isinstance(exception, Http404):
            return refusal_page(request, 404, _message(exception))
        return None
