"""Every bad upload gets a clear 4xx JSON error and stores nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shelfai.visits.models import Photo


@pytest.fixture
def visit_id(world, api_for):
    return api_for(world.users["rep"]).post("/api/visits/", {"store": "s1"}, format="json").json()["id"]


def send(client, visit_id, data: bytes, name="photo.jpg"):
    payload = {"photos": [SimpleUploadedFile(name, data, content_type="image/jpeg")], "client_upload_ids": ["x"]}
    return client.post(f"/api/visits/{visit_id}/photos/", payload, format="multipart")


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge image, with a tiny compressed body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buf, "GIF")
    return buf.getvalue()


@pytest.mark.parametrize(
    "make, expect",
    [
        (lambda jpeg: b"", "empty"),
        (lambda jpeg: b"hello, I am a text file\n" * 20, "not a photo"),
        (lambda jpeg: jpeg[: len(jpeg) // 2], "incomplete"),
        (lambda jpeg: png_bomb(40000, 40000), "pixels"),
        (lambda jpeg: gif_bytes(), "not supported"),
    ],
    ids=["zero-byte", "text-named-jpg", "truncated-jpeg", "decompression-bomb", "unsupported-gif"],
)
def test_bad_files_are_refused_with_a_reason(world, api_for, visit_id, make_jpeg, make, expect):
    response = send(api_for(world.users["rep"]), visit_id, make(make_jpeg()))
    assert response.status_code == 400
    assert expect in response.json()["detail"].lower()
    assert Photo.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_with_413(world, api_for, visit_id, make_jpeg, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    response = send(api_for(world.users["rep"]), visit_id, make_jpeg(1200, 900))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert Photo.objects.count() == 0


def test_one_bad_file_in_a_batch_stores_none_of_them(world, api_for, visit_id, make_jpeg):
    client = api_for(world.users["rep"])
    payload = {
        "photos": [SimpleUploadedFile("a.jpg", make_jpeg()), SimpleUploadedFile("b.jpg", b"")],
        "client_upload_ids": ["a", "b"],
    }
    response = client.post(f"/api/visits/{visit_id}/photos/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1
    assert Photo.objects.count() == 0


def test_missing_client_upload_ids_are_explained(world, api_for, visit_id, make_jpeg):
    client = api_for(world.users["rep"])
    response = client.post(
        f"/api/visits/{visit_id}/photos/", {"photos": [SimpleUploadedFile("a.jpg", make_jpeg())]}, format="multipart"
    )
    assert response.status_code == 400
    assert "client_upload_ids" in response.json()["detail"]
