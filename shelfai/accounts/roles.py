"""Who may do what: the one table behind README "## Roles", and the checks every view and API calls.

Each action names one thing a user can do (read claims, start a forecast run, ...). ``ROLE_TABLE`` says,
per action, which roles may do it and whether a rep's right covers only their own records (``OWN``);
the scoping of "own" itself is in the selectors (``visits_visible_to``, ``claims_visible_to``). Nothing
else in the code decides on a role by name: views call ``may``, ``deny_unless``, ``page`` or
``Allows``. ``tests/api/test_roles_walk.py`` reads the README table and holds the code to it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission

from shelfai.accounts.models import Role

ALL = "all"
OWN = "own"  # a rep: only their own visits, photos and claims (another rep's are a 404)
ANONYMOUS = "anonymous"
COLUMNS = (Role.REP.value, Role.MARKETING.value, Role.FINANCE.value, Role.PLANNING.value, Role.ADMIN.value,
           ANONYMOUS)


class Action(StrEnum):
    STORES_READ = "stores.read"                # the stores a user may visit (reps: assigned today)
    MASTER_DATA_READ = "master_data.read"      # SKUs, planograms, campaigns, placements
    VISIT_CHECK_IN = "visits.check_in"
    PHOTO_UPLOAD = "photos.upload"
    VISITS_READ = "visits.read"                # visits, photos, originals, evidence images, results
    COMPLIANCE_READ = "compliance.read"        # shelf results and placement checks
    ANALYTICS_READ = "analytics.read"          # dashboards, drill-downs, exports, campaign reports
    PHOTO_ANALYSIS_READ = "photos.analysis"    # one photo's page: boxes, detections, authenticity flags
    CLAIMS_READ = "claims.read"
    CLAIM_ASSESSMENT_READ = "claims.assessment"  # risk score, recommendation, evidence packet
    CLAIM_SUBMIT = "claims.submit"
    CLAIMS_DECIDE = "claims.decide"            # decide, reopen, audit trail, import, ERP export, the desk
    PLANNING_READ = "planning.read"            # forecasts, runs, uplift and ROI, the planning pages
    PLANNING_WRITE = "planning.write"          # sales import, forecast runs, inventory plans
    REVIEW = "review.decide"                   # the review queue: confirm displays, name packs, "not a shelf"
    ALERTS_SETTINGS = "alerts.settings"        # choose one's own alerts and how often (/alerts/)


# One row per action: the roles that may, "own" for a rep limited to their own records.
ROLE_TABLE: dict[Action, dict[str, str]] = {
    Action.STORES_READ: {Role.REP: OWN, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.PLANNING: ALL,
                         Role.ADMIN: ALL},
    Action.MASTER_DATA_READ: {Role.REP: ALL, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.PLANNING: ALL,
                              Role.ADMIN: ALL},
    Action.VISIT_CHECK_IN: {Role.REP: OWN},
    Action.PHOTO_UPLOAD: {Role.REP: OWN},
    Action.VISITS_READ: {Role.REP: OWN, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.COMPLIANCE_READ: {Role.REP: OWN, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.ANALYTICS_READ: {Role.MARKETING: ALL, Role.ADMIN: ALL},
    # Finance judges a claim on the same photo page marketing sees (boxes and flags), not on the bare original.
    Action.PHOTO_ANALYSIS_READ: {Role.MARKETING: ALL, Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.CLAIMS_READ: {Role.REP: OWN, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.CLAIM_ASSESSMENT_READ: {Role.MARKETING: ALL, Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.CLAIM_SUBMIT: {Role.REP: OWN},
    Action.CLAIMS_DECIDE: {Role.FINANCE: ALL, Role.ADMIN: ALL},
    Action.PLANNING_READ: {Role.MARKETING: ALL, Role.PLANNING: ALL, Role.ADMIN: ALL},
    Action.PLANNING_WRITE: {Role.PLANNING: ALL, Role.ADMIN: ALL},
    Action.REVIEW: {Role.MARKETING: ALL, Role.ADMIN: ALL},
    Action.ALERTS_SETTINGS: {Role.REP: ALL, Role.MARKETING: ALL, Role.FINANCE: ALL, Role.PLANNING: ALL,
                             Role.ADMIN: ALL},
}


def role_of(user) -> str:
    """The table's column for a user; a superuser counts as admin whatever their role field says."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if user.is_superuser:
        return Role.ADMIN.value
    return str(user.role)


# Rights a user can be given beside their role (Django permissions, set in the admin per user or group):
# a finance clerk who also works the review queue keeps finance's column for everything else.
GRANTABLE = {Action.REVIEW: "review.work_review_queue"}


def may(user, action: Action) -> bool:
    if role_of(user) in ROLE_TABLE[action]:
        return True
    grant = GRANTABLE.get(action)
    return bool(grant and getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(grant))


def own_only(user, action: Action) -> bool:
    """True when the user's right to ``action`` covers only their own records."""
    return ROLE_TABLE[action].get(role_of(user)) == OWN


def deny_unless(user, action: Action, message: str) -> None:
    """For an API: 401 for anonymous (the default permission has said so already), 403 with ``message``."""
    if not may(user, action):
        raise PermissionDenied(message)


def hide_unless(user, action: Action, message: str = _("Not found.")) -> None:
    """For an API reading one record: a user who may not read it at all gets the 404 anyone gets for a
    record they cannot see, so its existence is not given away."""
    if not may(user, action):
        raise NotFound(message)


def Allows(*actions: Action) -> type[BasePermission]:  # noqa: N802 - reads as a permission class
    """A DRF permission class: the user may do every one of ``actions``."""

    class _Allows(BasePermission):
        message = _("Your role may not do this (see the roles table in the README).")

        def has_permission(self, request, view) -> bool:
            return all(may(request.user, action) for action in actions)

    _Allows.__name__ = "Allows_" + "_".join(a.name for a in actions)
    return _Allows


def page(action: Action, *, message: str = _("This page is not for your role.")) -> Callable:
    """For a server-rendered page: anonymous users sign in first; a signed-in user whose role may not do
    ``action`` gets a 404 (the page does not admit to existing). Never cached: pages are per user."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may(request.user, action):
                raise Http404(message)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorate
