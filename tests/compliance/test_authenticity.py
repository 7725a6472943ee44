"""EXIF time and place, editing software, staged (re-photographed) photos, and the evidence weight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shelfai.authenticity import checks as auth
from shelfai.authenticity import recapture
from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf
from tests.compliance.staging import photograph_print, photograph_screen

UTC = UTC
UPLOAD = datetime(2025, 3, 12, 11, 0, tzinfo=UTC)
CHECK_IN, CHECK_OUT = UPLOAD - timedelta(minutes=50), UPLOAD - timedelta(minutes=5)
STORE = dict(store_latitude=52.5200, store_longitude=13.4050, radius_m=150)


def codes(flags):
    return [f.code for f in flags]


def time_flags(captured, **kwargs):
    return auth.check_capture_time(
        captured, uploaded_at=UPLOAD, visit_started_at=CHECK_IN, visit_ended_at=CHECK_OUT, **kwargs
    )


def test_a_photo_taken_during_the_visit_has_no_time_flag():
    assert time_flags(UPLOAD - timedelta(minutes=20)) == []


@pytest.mark.parametrize(
    "captured, code, severity",
    [
        (None, "capture_time_missing", "warning"),
        (UPLOAD + timedelta(hours=3), "capture_in_future", "warning"),
        (UPLOAD - timedelta(days=12), "capture_too_old", "critical"),
        (UPLOAD - timedelta(hours=5), "capture_before_visit", "warning"),
        (CHECK_OUT + timedelta(hours=2), "capture_after_visit", "warning"),
    ],
)
def test_capture_time_problems_are_flagged_with_a_reason(captured, code, severity):
    if code == "capture_after_visit":  # a photo after check-out, uploaded later still
        flags = auth.check_capture_time(
            captured,
            uploaded_at=UPLOAD + timedelta(hours=3),
            visit_started_at=CHECK_IN,
            visit_ended_at=CHECK_OUT,
        )
    else:
        flags = time_flags(captured)
    [flag] = flags
    assert (flag.code, flag.severity) == (code, severity)
    assert flag.reason.endswith(".") and len(flag.reason) > 40


def test_the_too_old_reason_names_the_date_and_the_delay():
    [flag] = time_flags(UPLOAD - timedelta(days=12))

    assert "28 Feb 2025" in flag.reason and "12 days before it was uploaded" in flag.reason


def test_naive_exif_time_is_read_in_the_store_time_zone():
    local = datetime(2025, 3, 12, 11, 40)  # Berlin wall clock = 10:40 UTC, during the visit

    assert time_flags(local, local_tz=ZoneInfo("Europe/Berlin")) == []
    assert codes(time_flags(local, local_tz=ZoneInfo("America/New_York"))) == ["capture_in_future"]
    assert time_flags(local) == []  # no zone: only day-scale checks can be trusted
    assert codes(time_flags(datetime(2025, 2, 1, 9, 0))) == ["capture_too_old"]


def test_haversine_measures_real_distances():
    assert auth.haversine_m(52.0, 13.0, 53.0, 13.0) == pytest.approx(111_195, rel=1e-3)
    assert auth.haversine_m(52.52, 13.405, 48.8566, 2.3522) == pytest.approx(877_500, rel=5e-3)


def test_gps_inside_the_geofence_passes():
    assert auth.check_gps(52.5205, 13.4052, **STORE) == []


def test_gps_just_outside_the_geofence_is_a_warning_with_the_distance():
    [flag] = auth.check_gps(52.5240, 13.4050, **STORE)  # ~445 m north

    assert (flag.code, flag.severity) == ("gps_outside_geofence", "warning")
    assert "445 m from the store" in flag.reason and "150 m" in flag.reason


def test_gps_accuracy_widens_the_geofence_a_little():
    assert auth.check_gps(52.5220, 13.4050, accuracy_m=100, **STORE) == []  # 222 m with 100 m accuracy


def test_gps_in_another_town_is_critical():
    [flag] = auth.check_gps(52.4, 13.06, **STORE)

    assert (flag.code, flag.severity, flag.weight) == ("gps_far_from_store", "critical", 0.0)
    assert "km from the store" in flag.reason


@pytest.mark.parametrize("lat, lon", [(None, None), (0.0, 0.0)])
def test_missing_gps_is_only_information(lat, lon):
    [flag] = auth.check_gps(lat, lon, **STORE)

    assert (flag.code, flag.severity) == ("gps_missing", "info")


def test_editing_software_is_flagged_but_phone_firmware_is_not():
    [flag] = auth.check_software("Adobe Photoshop 25.1 (Windows)")

    assert flag.code == "edited" and "Adobe Photoshop" in flag.reason
    assert codes(auth.check_software(None, "Snapseed 2.0")) == ["edited"]
    assert auth.check_software("Android UP1A.231005.007", "HDR+ 1.0.540104767zd", "17.2.1") == []


def test_missing_exif_is_flagged():
    assert codes(auth.check_exif_present(False)) == ["exif_missing"]
    assert auth.check_exif_present(True) == []


def test_duplicates_name_the_original_photo():
    exact = auth.duplicate_flag(original="photo 8F2C uploaded 3 Mar 2025 at FreshCo Riverside", exact=True)
    near = auth.duplicate_flag(original="photo 77A0", exact=False, distance=6, similarity=0.93)
    retake = auth.duplicate_flag(original="photo 1B3D", exact=False, same_visit=True)

    assert exact.severity == "critical" and "photo 8F2C uploaded 3 Mar 2025" in exact.reason
    assert "hash distance 6 of 64 bits, pixel match 0.93" in near.reason
    assert retake.severity == "info" and auth.evidence_weight([retake]) == 1


def test_evidence_weight_multiplies_the_flags():
    assert auth.evidence_weight([]) == 1
    warnings = auth.check_software("GIMP 2.10") + auth.check_exif_present(False)
    assert auth.evidence_weight(warnings) == pytest.approx(0.5 * 0.6)
    assert auth.evidence_weight(warnings + [auth.duplicate_flag(original="photo 1", exact=True)]) == 0


@pytest.fixture(scope="module")
def shelf_photos():
    rng = np.random.default_rng(12)
    catalog = random_catalog(20, 5, rng)
    return [
        render_shelf(
            random_layout(catalog.codes, rng),
            catalog.pack_images,
            rng=rng,
            options=RenderOptions(size=(1024, 768)),
        ).image
        for _ in range(3)
    ]


def test_genuine_shelf_photos_do_not_look_recaptured(shelf_photos):
    scores = [recapture.recapture_score(photo) for photo in shelf_photos]

    assert max(scores) < 0.5
    assert all(auth.recapture_flag(s) == [] for s in scores)


def test_a_photo_of_a_screen_is_flagged(shelf_photos):
    rng = np.random.default_rng(0)
    staged = [photograph_screen(photo, rng, pitch=3) for photo in shelf_photos]

    for photo in staged:
        [flag] = auth.recapture_flag(recapture.recapture_score(photo))
        assert flag.code == "recaptured" and flag.severity == "critical"


def test_a_photo_of_a_print_is_flagged(shelf_photos):
    rng = np.random.default_rng(1)
    scores = [recapture.recapture_score(photograph_print(photo, rng)) for photo in shelf_photos]

    assert min(scores) >= 0.8
