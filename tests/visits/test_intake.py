"""A rep checks in and uploads photos; retries never duplicate; the original is kept as sent."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shelfai.visits.models import Photo, Visit


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    # These tests look at intake alone; the pipeline has tests of its own.
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


def start_visit(client, store="s1", **extra):
    return client.post("/api/visits/", {"store": store, **extra}, format="json")


def upload(client, visit_id, files: list[tuple[str, bytes]], ids: list[str]):
    payload = {
        "photos": [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in files],
        "client_upload_ids": ids,
    }
    return client.post(f"/api/visits/{visit_id}/photos/", payload, format="multipart")


def test_it_checks_in_and_measures_the_distance_to_the_store(world, api_for):
    response = start_visit(api_for(world.users["rep"]), latitude=52.521, longitude=13.405, accuracy_m=12)
    assert response.status_code == 201
    assert 100 < response.json()["checkin_distance_m"] < 125


def test_a_double_submitted_check_in_opens_one_visit(world, api_for):
    client = api_for(world.users["rep"])
    first = start_visit(client, client_visit_id="v-1")
    second = start_visit(client, client_visit_id="v-1")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Visit.objects.count() == 1


def test_it_refuses_a_visit_at_a_store_the_rep_is_not_assigned_to(world, api_for):
    response = start_visit(api_for(world.users["rep"]), store="s2")
    assert response.status_code == 404
    assert "assigned" in response.json()["detail"]
    assert Visit.objects.count() == 0


def test_upload_returns_202_with_a_status_url_and_keeps_the_bytes_untouched(world, api_for, make_jpeg):
    client = api_for(world.users["rep"])
    visit_id = start_visit(client).json()["id"]
    data = make_jpeg(800, 600)
    response = upload(client, visit_id, [("../../etc/passwd.jpg", data)], ["u-1"])
    assert response.status_code == 202
    body = response.json()[0]
    assert body["status"] == "queued" and body["created"] is True
    assert body["status_url"].endswith(f"/api/photos/{body['id']}/")
    photo = Photo.objects.get()
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert "passwd" not in photo.original.name and ".." not in photo.original.name
    with photo.original.open("rb") as fh:
        assert fh.read() == data
    status = client.get(body["status_url"]).json()
    assert status["status"] == "queued" and status["width"] == 800


def test_retrying_an_upload_with_the_same_client_id_never_makes_a_second_photo(world, api_for, make_jpeg):
    client = api_for(world.users["rep"])
    visit_id = start_visit(client).json()["id"]
    data = make_jpeg()
    first = upload(client, visit_id, [("a.jpg", data)], ["same-id"]).json()[0]
    second = upload(client, visit_id, [("a.jpg", data)], ["same-id"]).json()[0]
    assert first["id"] == second["id"] and second["created"] is False
    assert Photo.objects.count() == 1


def test_several_photos_in_one_request(world, api_for, make_jpeg):
    client = api_for(world.users["rep"])
    visit_id = start_visit(client).json()["id"]
    files = [(f"{i}.jpg", make_jpeg(seed=i)) for i in range(3)]
    response = upload(client, visit_id, files, ["a", "b", "c"])
    assert response.status_code == 202
    assert len(response.json()) == 3 and Photo.objects.count() == 3


def test_it_honours_exif_orientation_for_the_reported_size(world, api_for):
    from PIL import Image

    image = Image.new("RGB", (400, 300), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: the photo is really portrait
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes())
    client = api_for(world.users["rep"])
    visit_id = start_visit(client).json()["id"]
    body = upload(client, visit_id, [("p.jpg", buf.getvalue())], ["r"]).json()[0]
    assert (body["width"], body["height"]) == (300, 400)


def test_heic_from_an_iphone_is_accepted(world, api_for):
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), "navy").save(buf, "HEIF")
    client = api_for(world.users["rep"])
    visit_id = start_visit(client).json()["id"]
    response = upload(client, visit_id, [("IMG_0001.HEIC", buf.getvalue())], ["h"])
    assert response.status_code == 202, response.json()
    assert Photo.objects.get().content_type == "image/heic"
