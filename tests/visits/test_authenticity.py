"""Re-used, edited and misplaced photos are flagged with a reason finance can read."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest
from PIL import Image

from shelfai.visits import services
from shelfai.visits.authenticity_services import photo_check_authenticity


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


def shelf(seed: int, layout_seed: int = 1) -> np.ndarray:
    from shelfai.vision.offline.packart import random_catalog
    from shelfai.vision.offline.synthetic import RenderOptions, random_layout, render_shelf

    layout_rng = np.random.default_rng(layout_seed)
    catalog = random_catalog(12, 4, layout_rng)
    layout = random_layout(catalog.codes, layout_rng)
    return render_shelf(layout, catalog.pack_images, options=RenderOptions(size=(960, 720)),
                        rng=np.random.default_rng(seed)).image


def jpeg(image: np.ndarray, *, quality: int = 90, exif: Image.Exif | None = None) -> bytes:
    pil = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=quality, **({"exif": exif.tobytes()} if exif is not None else {}))
    return buf.getvalue()


def camera_exif(*, lat: float = 52.52, lon: float = 13.405, software: str = "", when: datetime | None = None):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 15"
    if software:
        exif[0x0131] = software
    when = when or datetime.now()
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")
    gps = {1: "N" if lat >= 0 else "S", 2: (abs(lat), 0.0, 0.0), 3: "E" if lon >= 0 else "W", 4: (abs(lon), 0.0, 0.0)}
    exif[0x8825] = gps
    return exif


def upload(user, store, data: bytes, client_id: str):
    visit, _ = services.visit_start(rep=user, store=store)
    pending = services.validate_upload(client_upload_id=client_id, data=data)
    photo, _ = services.photos_accept(visit=visit, user=user, uploads=[pending])[0]
    services.visit_end(visit=visit)  # the next upload is a later visit (an open one would be resumed)
    return photo


def codes(flags) -> set[str]:
    return {f.code for f in flags}


def test_a_resized_recompressed_copy_from_another_store_is_caught(world):
    original_image = shelf(seed=11)
    original = upload(world.users["rep"], world.store, jpeg(original_image, exif=camera_exif()), "a")
    assert "near_duplicate" not in codes(photo_check_authenticity(original))

    small = cv2.resize(original_image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    brighter = np.clip(small.astype(np.float32) * 1.2, 0, 255).astype(np.uint8)
    copy = upload(world.users["other_rep"], world.other_store,
                  jpeg(brighter, quality=60, exif=camera_exif(lat=52.50, lon=13.30)), "b")
    flags = {f.code: f for f in photo_check_authenticity(copy)}
    assert "near_duplicate" in flags
    assert flags["near_duplicate"].duplicate_of == original
    assert flags["near_duplicate"].weight == 0.0
    assert world.store.name in flags["near_duplicate"].reason


@pytest.mark.parametrize(("turn", "named"), [
    (lambda im: cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE), "rotated 90° clockwise"),
    (lambda im: cv2.flip(im, 1), "mirrored left to right"),
])
def test_a_copy_sent_turned_or_mirrored_is_caught_and_the_reason_says_how(world, turn, named):
    original_image = shelf(seed=13)
    original = upload(world.users["rep"], world.store, jpeg(original_image, exif=camera_exif()), "a")
    photo_check_authenticity(original)

    copy = upload(world.users["other_rep"], world.other_store, jpeg(turn(original_image), quality=70), "b")
    flags = {f.code: f for f in photo_check_authenticity(copy)}
    assert flags["near_duplicate"].duplicate_of == original
    assert flags["near_duplicate"].weight == 0.0
    assert named in flags["near_duplicate"].reason and world.store.name in flags["near_duplicate"].reason


def test_another_photo_of_the_same_shelf_layout_is_not_a_duplicate(world):
    first = upload(world.users["rep"], world.store, jpeg(shelf(seed=21), exif=camera_exif()), "a")
    photo_check_authenticity(first)
    second = upload(world.users["rep"], world.store, jpeg(shelf(seed=22), exif=camera_exif()), "b")
    assert not codes(photo_check_authenticity(second)) & {"near_duplicate", "exact_duplicate"}


def test_the_same_file_sent_again_at_a_later_visit_is_an_exact_duplicate(world):
    data = jpeg(shelf(seed=31), exif=camera_exif())
    first = upload(world.users["rep"], world.store, data, "a")
    photo_check_authenticity(first)
    again = upload(world.users["rep"], world.store, data, "b")  # upload() ends its visit: this is a new one
    flags = {f.code: f for f in photo_check_authenticity(again)}
    assert flags["exact_duplicate"].duplicate_of == first
    assert flags["exact_duplicate"].severity == "critical"


def test_place_time_and_editing_are_checked_against_the_exif(world):
    far_away = camera_exif(lat=48.14, lon=11.58, software="Adobe Photoshop 25.0",
                           when=datetime.now() - timedelta(days=30))
    photo = upload(world.users["rep"], world.store, jpeg(shelf(seed=41), exif=far_away), "a")
    found = codes(photo_check_authenticity(photo))
    assert {"gps_far_from_store", "edited", "capture_too_old"} <= found


def test_a_photo_without_camera_data_says_so(world):
    photo = upload(world.users["rep"], world.store, jpeg(shelf(seed=51)), "a")
    assert "exif_missing" in codes(photo_check_authenticity(photo))


def test_checking_twice_changes_nothing(world):
    photo = upload(world.users["rep"], world.store, jpeg(shelf(seed=61)), "a")
    first = sorted(codes(photo_check_authenticity(photo)))
    assert sorted(codes(photo_check_authenticity(photo))) == first
    assert photo.hash_bands.count() == 56
