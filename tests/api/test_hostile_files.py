"""Hostile and unusual files at intake: metadata bombs in PNG chunks are a clear 400, a cut-off HEIC is
refused at once (not later in the worker), and a JPEG that carries a second image (MPO) is accepted."""

from __future__ import annotations

import hashlib
import io

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from shelfai.visits.models import Photo

pillow_heif.register_heif_opener()
BIG = 2 * 1024 * 1024  # past Pillow's 1 MB limit on a text or profile chunk once decompressed


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


@pytest.fixture
def upload(world, api_for):
    client = api_for(world.users["rep"])
    visit_id = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]

    def send(data: bytes, name: str):
        payload = {"photos": [SimpleUploadedFile(name, data)], "client_upload_ids": [name]}
        return client.post(f"/api/visits/{visit_id}/photos/", payload, format="multipart")

    return send


def shelf(width=320, height=240, colour=(200, 50, 50)) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def png_with(**save_kwargs) -> bytes:
    out = io.BytesIO()
    shelf().save(out, "PNG", **save_kwargs)
    return out.getvalue()


def text_chunk(kind: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    if kind == "zTXt":
        info.add_text("Comment", "a" * BIG, zip=True)
    else:
        info.add_itxt("Comment", "a" * BIG, zip=True)
    return png_with(pnginfo=info)


@pytest.mark.parametrize("make", [lambda: text_chunk("zTXt"), lambda: text_chunk("iTXt"),
                                  lambda: png_with(icc_profile=b"\0" * BIG)], ids=["zTXt", "iTXt", "iCCP"])
def test_a_png_whose_metadata_unpacks_past_the_limit_is_a_clear_400(upload, make):
    data = make()
    assert len(data) < 100_000  # small on the wire: the bomb is in the decompression
    response = upload(data, "bomb.png")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "metadata" in response.json()["detail"]
    assert Photo.objects.count() == 0


def heic_bytes() -> bytes:
    """A phone-like HEIC: detailed pixels, so the image data (mdat) is most of the file."""
    import numpy as np

    noise = np.random.default_rng(3).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "HEIF", quality=80)
    return out.getvalue()


def test_a_whole_heic_is_accepted(upload):
    response = upload(heic_bytes(), "shelf.heic")
    assert response.status_code == 202, response.json()
    assert Photo.objects.get().content_type == "image/heic"


@pytest.mark.parametrize("fraction", [1 / 3, 0.9])
def test_a_heic_cut_short_is_refused_at_intake(upload, fraction):
    data = heic_bytes()
    response = upload(data[: int(len(data) * fraction)], "cut.heic")
    assert response.status_code == 400
    assert "incomplete" in response.json()["detail"]
    assert Photo.objects.count() == 0


def mpo_bytes() -> bytes:
    out = io.BytesIO()
    shelf(640, 480).save(out, "MPO", save_all=True, append_images=[shelf(160, 120, (0, 0, 255))])
    return out.getvalue()


def test_a_jpeg_with_a_second_image_is_accepted_kept_as_sent_and_analysed_as_its_primary(upload):
    from shelfai.vision.pipeline import load_oriented_image

    data = mpo_bytes()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    response = upload(data, "portrait.jpg")
    assert response.status_code == 202, response.json()
    photo = Photo.objects.get()
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 640, 480)
    with photo.original.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(data).hexdigest() == photo.sha256
    pixels = load_oriented_image(data)  # what the worker analyses
    assert pixels.shape[:2] == (480, 640)  # the primary image, not the 160x120 one behind it
    assert pixels[:, :, 2].mean() > 150  # red (BGR): the primary's colour
