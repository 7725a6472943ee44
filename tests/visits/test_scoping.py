"""Reps see only their own work; another rep's photo is a 404, never a 403 that leaks it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture
def photo(world, api_for, make_jpeg, monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    body = client.post(
        f"/api/visits/{visit['id']}/photos/",
        {"photos": [SimpleUploadedFile("a.jpg", make_jpeg())], "client_upload_ids": ["p1"]},
        format="multipart",
    ).json()[0]
    return {"visit": visit["id"], "photo": body["id"]}


@pytest.mark.parametrize("who, visible", [("rep", True), ("other_rep", False), ("marketing", True),
                                          ("finance", True), ("admin", True)])
def test_who_sees_a_photo(world, api_for, photo, who, visible):
    client = api_for(world.users[who])
    for url in (f"/api/photos/{photo['photo']}/", f"/api/photos/{photo['photo']}/original/",
                f"/api/visits/{photo['visit']}/"):
        assert client.get(url).status_code == (200 if visible else 404), url


def test_an_outsider_without_credentials_sees_nothing(world, photo):
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/photos/{photo['photo']}/").status_code == 401


def test_nobody_else_can_add_photos_to_a_reps_visit(world, api_for, photo, make_jpeg):
    from shelfai.visits.models import Photo

    for who in ("other_rep", "marketing", "finance"):
        response = api_for(world.users[who]).post(
            f"/api/visits/{photo['visit']}/photos/",
            {"photos": [SimpleUploadedFile("b.jpg", make_jpeg(seed=9))], "client_upload_ids": [f"x-{who}"]},
            format="multipart",
        )
        assert response.status_code == 404
    assert Photo.objects.count() == 1


def test_a_rep_lists_only_assigned_stores_nearest_first(world, api_for):
    stores = api_for(world.users["rep"]).get("/api/stores/?lat=52.52&lon=13.40").json()
    assert [s["code"] for s in stores] == ["s1"]
    everyone = api_for(world.users["marketing"]).get("/api/stores/?lat=52.50&lon=13.30").json()
    assert [s["code"] for s in everyone] == ["s2", "s1"]


def test_visit_lists_are_scoped(world, api_for, photo):
    assert len(api_for(world.users["rep"]).get("/api/visits/").json()) == 1
    assert api_for(world.users["other_rep"]).get("/api/visits/").json() == []
