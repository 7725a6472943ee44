"""One styled page for "not for you" and "not found": it says what the user can do instead; anonymous
users still sign in first, and API paths keep their JSON errors."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _project_routes(settings):
    settings.ROOT_URLCONF = "shelfai.urls"  # the project's own handler403/404, not the claims tests' URLconf


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def links_on(page: str) -> list[str]:
    import re

    section = page.split('class="refusal-pages"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', section)


def test_a_rep_on_the_claims_desk_gets_the_styled_403_with_their_pages(world):
    response = signed_in(world.users["rep"]).get("/claims/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "This page is not for your role" in page and "The claims desk is for finance." in page
    assert 'href="/static/css/app.css"' in page  # the site's page, not a bare "403 Forbidden"
    assert links_on(page) == ["/rep/", "/rep/claims/", "/alerts/"]


def test_a_page_refused_with_a_404_is_styled_too_in_debug(world, settings):
    settings.DEBUG = True  # make run: Django would show its technical 404 page here
    response = signed_in(world.users["rep"]).get("/planning/")
    page = response.content.decode()
    assert response.status_code == 404 and "Nothing to show here" in page
    assert "Using the URLconf" not in page and links_on(page) == ["/rep/", "/rep/claims/", "/alerts/"]
    finance = signed_in(world.users["finance"]).get("/rep/claims/").content.decode()
    assert links_on(finance) == ["/claims/", "/alerts/"]


def test_a_missing_page_is_the_styled_404_in_production(world, settings):
    settings.DEBUG = False
    response = signed_in(world.users["marketing"]).get("/no-such-page/")
    assert response.status_code == 404 and "Nothing to show here" in response.content.decode()
    assert "/analytics/" in links_on(response.content.decode())


def test_anonymous_users_sign_in_and_the_api_keeps_json(world, settings):
    assert Client().get("/claims/")["Location"].startswith("/accounts/login/")
    assert Client().get("/rep/claims/")["Location"].startswith("/accounts/login/")
    rep = signed_in(world.users["rep"])
    refused = rep.post("/api/claims/import/")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    settings.DEBUG = False
    missing = rep.get("/api/nothing-here/")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_the_favicon_is_found(world):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")


def test_a_record_one_may_not_see_is_a_plain_404_naming_no_table(world):
    response = signed_in(world.users["rep"]).get("/rep/claims/999999/")
    page = response.content.decode()
    assert response.status_code == 404 and "Nothing to show here" in page and "ExpenseClaim" not in page
