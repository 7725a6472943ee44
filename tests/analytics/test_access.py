"""Marketing and admins see the analytics; reps get the 403 page listing their own pages; others (finance, planning) see
nothing: the drill-downs show every rep's visits and photos (README, Roles)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from shelfai.accounts.models import Role

PAGES = ["/analytics/", "/analytics/visits/", "/analytics/placements/", "/analytics/campaigns/"]


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_is_sent_to_sign_in(client, world, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_rep_is_told_the_page_is_not_theirs_and_where_to_go(client, world):
    client.force_login(world.users["rep"])
    response = client.get("/analytics/")
    page = response.content.decode()
    assert response.status_code == 403 and "Compliance analytics are for marketing." in page
    main = page.split("<main")[1]
    assert 'href="/rep/"' in main and 'href="/rep/claims/"' in main and 'href="/analytics/"' not in main


@pytest.mark.parametrize("username", ["finance", "planner"])
def test_finance_and_planning_get_a_404(client, world, username):
    user = world.users.get(username) or get_user_model().objects.create_user(username, role=Role.PLANNING)
    client.force_login(user)
    assert client.get("/analytics/").status_code == 404


@pytest.mark.parametrize("username", ["marketing", "admin"])
def test_marketing_and_admin_see_the_dashboard_never_cached(client, world, username):
    user = world.users.get(username) or get_user_model().objects.create_user(username, role=Role.PLANNING)
    client.force_login(user)
    response = client.get("/analytics/")
    assert response.status_code == 200
    assert "Shelf compliance" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_photo_or_visit_that_does_not_exist_is_a_404(marketing_client):
    assert marketing_client.get("/analytics/visits/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert marketing_client.get("/analytics/photos/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_marketing_home_page_is_the_dashboard(marketing_client):
    response = marketing_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/analytics/"
