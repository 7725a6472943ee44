"""Fixtures shared by the whole suite: role users, a small store world, image bytes."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta

import pytest

os.environ.setdefault("SHELFAI_TESTING", "1")
os.environ.setdefault("DEBUG", "1")


@pytest.fixture(autouse=True)
def _media_and_eager(request, settings, tmp_path):
    from shelfai.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    # Unit tests run tasks in-process; integration tests send them to a real worker.
    eager = "integration" not in request.keywords
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    request.addfinalizer(lambda: setattr(app.conf, "task_always_eager", previous))
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _english_and_server_zone_between_tests():
    """A request with ``Accept-Language: zh-hans`` (or a user's time zone) leaves that language and zone
    active in the test thread, as a worker thread keeps them until its next request: each test starts
    and ends in English and the server's zone, so no test reads another's language."""
    from django.utils import timezone, translation

    translation.activate("en")
    timezone.deactivate()
    yield
    translation.activate("en")
    timezone.deactivate()


@pytest.fixture
def world(db):
    """Two stores in one region, reps assigned to one each, and users of every role."""
    from shelfai.accounts.models import Role, User
    from shelfai.stores.models import Region, RepAssignment, Retailer, Store

    region = Region.objects.create(code="north", name="North")
    retailer = Retailer.objects.create(code="freshco", name="FreshCo")
    store = Store.objects.create(
        code="s1", name="FreshCo Riverside", region=region, retailer=retailer, latitude=52.52, longitude=13.405
    )
    other_store = Store.objects.create(
        code="s2", name="FreshCo Hilltop", region=region, retailer=retailer, latitude=52.50, longitude=13.30
    )
    users = {}
    for name, role in [("rep", Role.REP), ("other_rep", Role.REP), ("marketing", Role.MARKETING),
                       ("finance", Role.FINANCE), ("admin", Role.ADMIN)]:
        users[name] = User.objects.create_user(name, password="pw-" + name, role=role)
    start = date.today() - timedelta(days=30)
    RepAssignment.objects.create(rep=users["rep"], store=store, starts_on=start)
    RepAssignment.objects.create(rep=users["other_rep"], store=other_store, starts_on=start)

    class World:
        pass

    w = World()
    w.region, w.retailer, w.store, w.other_store = region, retailer, store, other_store
    w.users = users
    return w


@pytest.fixture
def rep_api(world, api_for, monkeypatch):
    """The rep's API client; photos are accepted but not sent on to the pipeline (intake tests)."""
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    return api_for(world.users["rep"])


@pytest.fixture
def api_for():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def jpeg_bytes(width: int = 640, height: int = 480, *, seed: int = 0, exif: bytes | None = None) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    image.save(out, "JPEG", quality=85, **kwargs)
    return out.getvalue()


@pytest.fixture
def make_jpeg():
    return jpeg_bytes
