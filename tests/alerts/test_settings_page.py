"""The settings page: each user their own choices, with the role's defaults; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from shelfai.alerts import rules, services
from shelfai.alerts.models import AlertPreference

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def checked(html: str, rule: str) -> str:
    for value in ("immediate", "digest", "off"):
        if f'value="{value}" id="{rule}-{value}" checked' in html:
            return value
    return ""


def test_each_role_sees_its_own_alerts_with_sensible_defaults(people):
    marketing = client_for(people.users["marketing"]).get("/alerts/").content.decode()
    assert checked(marketing, "display_missing") == "digest" and "claim_critical" not in marketing
    finance = client_for(people.users["finance"]).get("/alerts/").content.decode()
    assert checked(finance, "claim_critical") == "immediate" and "display_missing" not in finance
    admin = client_for(people.users["admin"]).get("/alerts/").content.decode()
    assert checked(admin, "photo_failed") == checked(admin, "queue_backlog") == "immediate"
    assert checked(admin, "display_missing") == "off"
    boss = client_for(people.users["boss"]).get("/alerts/").content.decode()  # marketing, and the rep's manager
    assert checked(boss, "store_unvisited") == checked(boss, "display_missing") == "digest"
    rep = client_for(people.users["rep"]).get("/alerts/").content.decode()
    assert "No alerts are made for your role" in rep


def test_a_choice_is_saved_and_a_double_submit_stores_it_once(people):
    client = client_for(people.users["marketing"])
    for _ in range(2):
        response = client.post("/alerts/", {"display_missing": "immediate"})
        assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert list(AlertPreference.objects.values_list("user__username", "rule", "frequency")) == [
        ("marketing", "display_missing", "immediate")]
    page = client.get("/alerts/")
    assert checked(page.content.decode(), "display_missing") == "immediate"
    assert "Saved your alert settings." in page.content.decode()


@pytest.mark.parametrize("post", [{"display_missing": "hourly"}, {"display_missing": "digest", "photo_failed": "off"}])
def test_an_unknown_frequency_or_a_rule_not_for_the_user_is_refused_and_changes_nothing(people, post):
    response = client_for(people.users["marketing"]).post("/alerts/", post)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not AlertPreference.objects.exists()


def test_the_page_lists_only_the_users_own_alerts(people):
    services.alert_record(rules.photo_failed(rules.FailedPhoto(id=1, public_id="p1", store="Riverside",
                                                               reason="a worker stopped")), [people.users["admin"]])
    assert "a worker stopped" in client_for(people.users["admin"]).get("/alerts/").content.decode()
    assert "a worker stopped" not in client_for(people.users["marketing"]).get("/alerts/").content.decode()


def test_signing_in_comes_first(db):
    response = Client().get("/alerts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
