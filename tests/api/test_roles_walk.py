"""Every URL, as every role, against the README's roles table.

The table is read from README.md "## Roles" (what we promise), not from the code, so the code cannot
quietly drift from it: the first test holds ``shelfai.accounts.roles`` to the README, the walk holds
every view to it, and a new URL that nobody placed in the walk fails the last test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from shelfai.accounts.roles import ANONYMOUS, COLUMNS, OWN, ROLE_TABLE

README = Path(__file__).resolve().parents[2] / "README.md"
WHO = ["rep", "other_rep", "marketing", "finance", "planning", "admin", ANONYMOUS]
OPEN = "open"            # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user


def readme_table() -> dict[str, dict[str, str]]:
    text = README.read_text()
    section = text.split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = dict(zip(COLUMNS, cells[1:7], strict=True))
    return rows


# (method, route as Django spells it, action, the record named is the rep's own)
WALK = [
    ("GET", "api/claims/", "claims.read", False),
    ("POST", "api/claims/", "claims.submit", False),
    ("POST", "api/claims/import/", "claims.decide", False),
    ("GET", "api/claims/export/", "claims.decide", False),
    ("POST", "api/claims/export/", "claims.decide", False),
    ("GET", "api/claims/<int:pk>/", "claims.read", True),
    ("POST", "api/claims/<int:pk>/decision/", "claims.decide", True),
    ("POST", "api/claims/<int:pk>/reopen/", "claims.decide", True),
    ("GET", "api/claims/<int:pk>/audit/", "claims.decide", True),
    ("GET", "api/campaigns/", "master_data.read", False),
    ("GET", "api/placements/", "master_data.read", False),
    ("GET", "api/placements/<int:pk>/checks/", "compliance.read", True),
    ("GET", "api/skus/", "master_data.read", False),
    ("GET", "api/planograms/", "master_data.read", False),
    ("GET", "api/planograms/<int:pk>/", "master_data.read", False),
    ("GET", "api/stores/", "stores.read", False),
    ("GET", "api/visits/", "visits.read", False),
    ("POST", "api/visits/", "visits.check_in", False),
    ("GET", "api/visits/<uuid:public_id>/", "visits.read", True),
    ("POST", "api/visits/<uuid:public_id>/end/", "visits.check_in", True),
    ("GET", "api/visits/<uuid:public_id>/photos/", "visits.read", True),
    ("POST", "api/visits/<uuid:public_id>/photos/", "photos.upload", True),
    ("GET", "api/visits/<uuid:public_id>/results/", "compliance.read", True),
    ("GET", "api/photos/<uuid:public_id>/", "visits.read", True),
    ("GET", "api/photos/<uuid:public_id>/original/", "visits.read", True),
    ("GET", "api/photos/<uuid:public_id>/evidence/", "visits.read", True),
    ("POST", "api/forecasting/sales/import/", "planning.write", False),
    ("POST", "api/forecasting/runs/", "planning.write", False),
    ("GET", "api/forecasting/runs/<int:run_id>/", "planning.read", False),
    ("GET", "api/forecasting/forecast/", "planning.read", False),
    ("POST", "api/forecasting/inventory-plans/", "planning.write", False),
    ("GET", "api/forecasting/campaigns/compare/", "planning.read", False),
    ("GET", "api/forecasting/campaigns/<int:campaign_id>/uplift/", "planning.read", False),
    ("GET", "review/", "review.decide", False),
    ("GET", "review/photos/<uuid:public_id>/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/displays/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/name/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/not-a-shelf/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/recognise-again/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/boxes/remove/", "review.decide", False),
    ("POST", "review/photos/<uuid:public_id>/boxes/add/", "review.decide", False),
    ("GET", "alerts/", "alerts.settings", False),
    ("POST", "alerts/", "alerts.settings", False),
    ("GET", "analytics/", "analytics.read", False),
    ("GET", "analytics/visits/", "analytics.read", False),
    ("GET", "analytics/visits/<uuid:public_id>/", "analytics.read", False),
    ("GET", "analytics/photos/<uuid:public_id>/", "photos.analysis", False),
    ("GET", "analytics/photos/<uuid:public_id>/thumb.jpg", "photos.analysis", False),
    ("GET", "analytics/placements/", "analytics.read", False),
    ("GET", "analytics/campaigns/", "analytics.read", False),
    ("GET", "analytics/campaigns/<int:pk>/report/", "analytics.read", False),
    ("GET", "analytics/campaigns/<int:pk>/report.pdf", "analytics.read", False),
    ("GET", "planning/", "planning.read", False),
    ("POST", "planning/runs/", "planning.write", False),
    ("GET", "planning/inventory/", "planning.read", False),
    ("POST", "planning/inventory/", "planning.write", False),
    ("GET", "planning/campaigns/", "planning.read", False),
    ("GET", "planning/campaigns/<int:campaign_id>/", "planning.read", False),
    ("GET", "claims/", "claims.decide", False),
    ("GET", "claims/export.csv", "claims.decide", False),
    ("GET", "claims/import/", "claims.decide", False),
    ("GET", "rep/claims/", "claims.submit", False),
    ("GET", "rep/claims/new/", "claims.submit", False),
    ("GET", "rep/claims/new/<int:placement_id>/", "claims.submit", True),
    ("GET", "rep/claims/<int:pk>/", "claims.submit", True),
    ("GET", "claims/<int:pk>/", "claims.decide", True),
    ("POST", "claims/<int:pk>/decide/", "claims.decide", True),
    ("POST", "claims/<int:pk>/reopen/", "claims.decide", True),
    ("GET", "api/schema/", OPEN, False),
    ("GET", "api/docs/", OPEN, False),
    ("GET", "api/redoc/", OPEN, False),
    ("GET", "sw.js", OPEN, False),
    ("GET", "healthz", OPEN, False),
    ("POST", "api/auth/token/", OPEN, False),
    ("GET", "", SIGNED_IN, False),
    ("GET", "favicon.ico", OPEN, False),
    ("GET", "settings/", SIGNED_IN, False),
    ("POST", "i18n/language/", OPEN, False),
    ("GET", "jsi18n/", OPEN, False),
    ("GET", "rep/", SIGNED_IN, False),
]


def project_routes() -> set[str]:
    """Every route of the project's URLconf; Django's own admin and sign-in pages are Django's."""
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) not in ("admin/", "accounts/"):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)
    return set(walk(get_resolver().url_patterns))


def url_for(route: str, site) -> str:
    values = {"pk": None, "public_id": None, "run_id": site.run.pk, "campaign_id": site.campaign.pk,
              "placement_id": site.placement.pk}
    if route.startswith(("api/claims/", "claims/", "rep/claims/")):
        values["pk"] = site.claim.pk
    elif route.startswith("api/placements/"):
        values["pk"] = site.placement.pk
    elif route.startswith("api/planograms/"):
        values["pk"] = site.planogram.pk
    elif route.startswith("analytics/campaigns/"):
        values["pk"] = site.campaign.pk
    values["public_id"] = site.photo.public_id if "photos/<uuid" in route else site.visit.public_id
    return "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(values[m.group(1)]), route)


def expected_allowed(who: str, action: str, owned: bool) -> bool:
    if action == OPEN:
        return True
    if action == SIGNED_IN:
        return who != ANONYMOUS
    column = "rep" if who == "other_rep" else who
    cell = readme_table()[action][column]
    if cell == "—":
        return False
    # "own": another rep may use the action on their own records, never on the rep's.
    return not (who == "other_rep" and cell == OWN and owned)


def refused(response, who: str, action: str) -> bool:
    code = response.status_code
    if code in (401, 403, 404):
        return True
    location = response.get("Location", "") if code in (301, 302) else ""
    # Reps are sent back to their own page from marketing's (the home page sends them there too).
    sent_back = location == "/rep/" and who in ("rep", "other_rep") and action != SIGNED_IN
    return location.startswith("/accounts/login/") or sent_back


def client_for(who: str, site) -> Client:
    client = Client()
    if who != ANONYMOUS:
        user = site.users[who]
        client.force_login(user)
        token, _ = Token.objects.get_or_create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_the_code_holds_the_readme_table():
    table = readme_table()
    assert set(table) == {action.value for action in ROLE_TABLE}
    for action, rights in ROLE_TABLE.items():
        code = {column: rights.get(column, "—") for column in COLUMNS}
        readme = {column: {"yes": "all"}.get(cell, cell) for column, cell in table[action.value].items()}
        assert code == readme, action


def test_every_url_of_the_project_is_in_the_walk():
    walked = {route for _, route, _, _ in WALK}
    assert project_routes() == walked


@pytest.mark.parametrize("who", WHO)
def test_every_url_answers_each_role_as_the_table_says(site, who, django_capture_on_commit_callbacks):
    client = client_for(who, site)
    wrong = []
    for method, route, action, owned in WALK:
        url = url_for(route, site)
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(url, {}) if method == "POST" else client.get(url)
        allowed = expected_allowed(who, action, owned)
        if refused(response, who, action) == allowed:
            wrong.append(f"{method} {url} [{action}]: {response.status_code} "
                         f"({'should be allowed' if allowed else 'should be refused'})")
    assert not wrong, "\n".join(wrong)
