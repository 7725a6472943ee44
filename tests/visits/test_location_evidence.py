"""Where the rep was counts as evidence: a check-in far from the store warns the rep at once and is
flagged for finance; an honest offline photo (no EXIF) sent during a valid check-in keeps its weight."""

from __future__ import annotations

import pytest

from shelfai.authenticity import checks as auth
from shelfai.visits.authenticity_services import photo_check_authenticity
from shelfai.visits.models import Photo

pytestmark = pytest.mark.django_db

STORE_LAT, STORE_LON = 52.52, 13.405  # the world fixture's store s1, geofence 150 m


@pytest.fixture
def checked_in(world, api_for, monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    client = api_for(world.users["rep"])

    def at(lat: float, lon: float, client_id: str):
        return client, client.post("/api/visits/", {"store": "s1", "latitude": lat, "longitude": lon,
                                                    "accuracy_m": 20, "client_visit_id": client_id},
                                   format="json").json()

    return at


def _photo(client, visit, make_jpeg) -> Photo:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(f"/api/visits/{visit['id']}/photos/", {
        "photos": [SimpleUploadedFile("p.jpg", make_jpeg(seed=len(visit["id"])))],  # no EXIF, as from a browser
        "client_upload_ids": [visit["id"]]}, format="multipart")
    assert response.status_code == 202
    return Photo.objects.get(client_upload_id=visit["id"])


def test_a_check_in_far_from_the_store_warns_the_rep_at_once(checked_in):
    _, visit = checked_in(52.57, 13.405, "far")  # about 5.6 km north
    assert visit["location_warning"].startswith("You are 5.6 km from FreshCo Riverside")
    assert "flagged" in visit["location_warning"]
    _, near = checked_in(52.5201, 13.405, "near")
    assert near["location_warning"] == ""


def test_photos_of_a_far_check_in_carry_a_flag_finance_sees(checked_in, make_jpeg):
    client, visit = checked_in(52.57, 13.405, "far")
    photo = _photo(client, visit, make_jpeg)
    flags = {f.code: f for f in photo_check_authenticity(photo)}
    assert flags["checkin_far_from_store"].severity == "critical"
    assert auth.evidence_weight(list(_as_flags(flags.values()))) == 0.0


def test_an_honest_offline_photo_keeps_enough_weight_to_count_for_a_display(checked_in, make_jpeg):
    client, visit = checked_in(52.5201, 13.405, "near")
    photo = _photo(client, visit, make_jpeg)
    flags = {f.code: f for f in photo_check_authenticity(photo)}
    assert flags["exif_missing"].severity == "info" and "check-in" in flags["exif_missing"].reason
    assert auth.evidence_weight(list(_as_flags(flags.values()))) >= 0.5  # a display needs 0.5


def test_without_a_check_in_position_a_photo_without_exif_still_weighs_less(world, api_for, make_jpeg, monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    photo = _photo(client, visit, make_jpeg)
    flags = {f.code: f for f in photo_check_authenticity(photo)}
    assert flags["exif_missing"].weight == 0.6


def _as_flags(stored):
    return (auth.Flag(f.code, f.severity, f.reason, f.weight) for f in stored)
