"""An admin registers a webhook endpoint in the Django admin; a bad rule name or a short secret is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from shelfai.alerts.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(people):
    admin = people.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


def form(**fields):
    return {"name": "ops", "url": "https://hooks.example.com/shelfai", "secret": "a-long-shared-secret",
            "rules": '["photo_failed"]', "is_active": "on"} | fields


def test_an_admin_registers_an_endpoint_with_its_secret_and_rules(staff):
    response = staff.post("/admin/alerts/webhookendpoint/add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.secret, endpoint.rules) == ("https://hooks.example.com/shelfai",
                                                              "a-long-shared-secret", ["photo_failed"])
    assert endpoint.wants("photo_failed") and not endpoint.wants("queue_backlog")


@pytest.mark.parametrize("bad, message", [({"rules": '["photo_fail"]'}, "Unknown rule(s): photo_fail"),
                                          ({"secret": "short"}, "at least 16 characters"),
                                          ({"url": "not a url"}, "Enter a valid URL")])
def test_a_bad_endpoint_is_refused_with_a_reason_and_nothing_is_saved(staff, bad, message):
    response = staff.post("/admin/alerts/webhookendpoint/add/", form(**bad))
    assert response.status_code == 200 and message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_is_read_only(staff):
    assert staff.get("/admin/alerts/webhookdelivery/").status_code == 200
    assert staff.get("/admin/alerts/webhookdelivery/add/").status_code == 403
