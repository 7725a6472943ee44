"""A store's time zone is a real IANA name: a typo is refused in the admin, where it is typed, instead
of every count for that store silently falling back to UTC later."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shelfai.stores.models import Store

ADD = "/admin/stores/store/add/"


@pytest.fixture
def admin_client(world):
    user = world.users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def store_form(world, zone: str) -> dict:
    return {"code": "s9", "name": "FreshCo Pudong", "region": world.region.pk, "retailer": world.retailer.pk,
            "latitude": "31.23", "longitude": "121.47", "geofence_radius_m": "150", "timezone": zone,
            "is_active": "on"}


def test_the_admin_refuses_a_time_zone_that_does_not_exist(admin_client, world):
    response = admin_client.post(ADD, store_form(world, "Asia/Shangai"))
    assert response.status_code == 200
    assert "is not a time zone name" in response.content.decode()
    assert not Store.objects.filter(code="s9").exists()


def test_the_admin_keeps_a_real_one(admin_client, world):
    response = admin_client.post(ADD, store_form(world, "Asia/Shanghai"))
    assert response.status_code == 302
    assert Store.objects.get(code="s9").timezone == "Asia/Shanghai"


@pytest.mark.parametrize("zone", ["CST+8", "+08:00", "", "../etc/passwd"])
def test_an_abbreviation_or_offset_is_not_a_zone(world, zone):
    world.store.timezone = zone
    with pytest.raises(ValidationError) as error:
        world.store.full_clean()
    assert "timezone" in error.value.message_dict


def test_a_new_store_takes_the_servers_zone(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert Store(code="x").timezone == "Asia/Shanghai"


def test_an_assignments_weekdays_are_seven_digits(world):
    from shelfai.stores.models import RepAssignment

    assignment = RepAssignment.objects.first()
    assignment.weekdays = "MTWTF"
    with pytest.raises(ValidationError) as error:
        assignment.full_clean()
    assert "weekdays" in error.value.message_dict
