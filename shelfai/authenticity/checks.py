"""Photo authenticity checks as pure functions: each returns ``Flag``s whose reason finance can read.

Image side: the perceptual hash and its index
scheme live in ``imagehash``, the re-photographed screen/print detector in ``recapture``.

Evidence weight: each flag carries a multiplier, and a photo's ``evidence_weight`` is the product of
its flags' multipliers (1.0 with no flags)::

    exact_duplicate, near_duplicate (of another visit's photo)   0.0  critical
    capture_too_old (taken > 7 days before upload)               0.1  critical
    gps_far_from_store (> 1 km and > 5x the geofence)            0.0  critical
    recaptured (screen or print, score >= 0.8)                   0.2  critical
    gps_outside_geofence                                         0.4  warning
    edited (editing software in EXIF)                            0.5  warning
    capture_in_future, capture_before_visit                      0.5  warning
    recaptured (score 0.5-0.8)                                   0.6  warning
    exif_missing                                                 0.6  warning
    capture_time_missing, capture_after_visit                    0.8  warning
    gps_missing                                                  0.9  info
    duplicate_in_visit (a retake in the same visit)              1.0  info

Severities are the ``AuthenticityFlag.Severity`` values: info, warning, critical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

INFO, WARNING, CRITICAL = "info", "warning", "critical"
EDITING_SOFTWARE = (
    "photoshop",
    "lightroom",
    "snapseed",
    "gimp",
    "picsart",
    "facetune",
    "afterlight",
    "vsco",
    "pixlr",
    "affinity photo",
    "paint.net",
    "canva",
    "photopea",
    "luminar",
    "capture one",
    "darktable",
    "fotor",
    "polarr",
    "photodirector",
    "meitu",
    "remini",
    "photoscape",
    "pixelmator",
    "acdsee",
)


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    severity: str  # info | warning | critical
    reason: str  # English; shelfai.visits.flag_messages renders code + params in the reader's language
    weight: float  # evidence multiplier, 0..1 (see the module docstring)
    params: dict = field(default_factory=dict)  # what the reason says, as plain data (ISO times, metres, ...)


def evidence_weight(flags: list[Flag]) -> float:
    """0..1: how far a photo can be trusted as evidence; the product of its flags' weights."""
    weight = 1.0
    for flag in flags:
        weight *= min(1.0, max(0.0, flag.weight))
    return round(weight, 3)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _seconds(delta: timedelta) -> int:
    return round(abs(delta.total_seconds()))


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M").lstrip("0")


def _span(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 5400:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(1, round(seconds / 60))} minutes"


def check_capture_time(
    captured_at: datetime | None,
    *,
    uploaded_at: datetime,
    visit_started_at: datetime | None = None,
    visit_ended_at: datetime | None = None,
    local_tz: tzinfo | None = None,
    max_age: timedelta = timedelta(days=7),
    tolerance: timedelta = timedelta(minutes=30),
    future_tolerance: timedelta = timedelta(minutes=10),
) -> list[Flag]:
    """EXIF capture time against upload time and the visit's check-in/check-out.

    EXIF ``DateTimeOriginal`` is the phone's local clock; pass a naive value with ``local_tz`` (the
    store's zone). A naive value without a zone cannot be placed within +-14 hours, so only the
    day-scale checks run then. Aware datetimes are compared as they are.
    """
    if captured_at is None:
        return [
            Flag(
                "capture_time_missing",
                WARNING,
                "The photo has no capture time in its camera data, so when it was taken cannot be checked.",
                0.8,
                {},
            )
        ]
    slack = timedelta(0)
    if captured_at.tzinfo is None:
        if local_tz is not None:
            captured_at = captured_at.replace(tzinfo=local_tz)
        else:
            captured_at = captured_at.replace(tzinfo=uploaded_at.tzinfo)
            slack = timedelta(hours=14)
    if captured_at > uploaded_at + future_tolerance + slack:
        return [
            Flag(
                "capture_in_future",
                WARNING,
                f"The camera time ({_when(captured_at)}) is {_span(captured_at - uploaded_at)} after the "
                "upload: the phone clock is wrong or the time was edited.",
                0.5,
                {"captured": _iso(captured_at), "seconds": _seconds(captured_at - uploaded_at)},
            )
        ]
    if uploaded_at - captured_at > max_age + slack:
        return [
            Flag(
                "capture_too_old",
                CRITICAL,
                f"The photo was taken on {_when(captured_at)}, {_span(uploaded_at - captured_at)} before it "
                "was uploaded: it may be re-used from an earlier visit.",
                0.1,
                {"captured": _iso(captured_at), "seconds": _seconds(uploaded_at - captured_at)},
            )
        ]
    if visit_started_at and captured_at < visit_started_at - tolerance - slack:
        return [
            Flag(
                "capture_before_visit",
                WARNING,
                f"The photo was taken {_span(visit_started_at - captured_at)} before the visit started "
                f"({_when(visit_started_at)}): it may not show the shelf as it was on this visit.",
                0.5,
                {"started": _iso(visit_started_at), "seconds": _seconds(visit_started_at - captured_at)},
            )
        ]
    if visit_ended_at and captured_at > visit_ended_at + tolerance + slack:
        return [
            Flag(
                "capture_after_visit",
                WARNING,
                f"The photo was taken {_span(captured_at - visit_ended_at)} after the visit ended "
                f"({_when(visit_ended_at)}).",
                0.8,
                {"ended": _iso(visit_ended_at), "seconds": _seconds(captured_at - visit_ended_at)},
            )
        ]
    return []


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def _distance(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def check_gps(
    latitude: float | None,
    longitude: float | None,
    *,
    store_latitude: float,
    store_longitude: float,
    radius_m: float,
    accuracy_m: float | None = None,
) -> list[Flag]:
    """Photo GPS against the store's geofence (see ``_beyond_geofence``)."""
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return [
            Flag(
                "gps_missing",
                INFO,
                "The photo has no GPS position (location off, or removed), so the store cannot be "
                "confirmed from the photo itself.",
                0.9,
                {},
            )
        ]
    outside = _beyond_geofence(latitude, longitude, store_latitude=store_latitude, store_longitude=store_longitude,
                               radius_m=radius_m, accuracy_m=accuracy_m)
    if outside is None:
        return []
    distance, allowed, far = outside
    if far:
        return [
            Flag(
                "gps_far_from_store",
                CRITICAL,
                f"The photo was taken {_distance(distance)} from the store (allowed {_distance(allowed)}): "
                "it cannot show this store's shelf.",
                0.0,
                {"distance_m": round(distance, 1), "allowed_m": round(allowed, 1)},
            )
        ]
    return [
        Flag(
            "gps_outside_geofence",
            WARNING,
            f"The photo was taken {_distance(distance)} from the store, outside its {_distance(allowed)} "
            "geofence.",
            0.4,
            {"distance_m": round(distance, 1), "allowed_m": round(allowed, 1)},
        )
    ]


def _beyond_geofence(latitude: float, longitude: float, *, store_latitude: float, store_longitude: float,
                     radius_m: float, accuracy_m: float | None) -> tuple[float, float, bool] | None:
    """(distance, allowed, far) when a position lies outside the geofence, else None. The phone's stated
    accuracy widens the fence by up to 200 m; "far" is beyond 1 km and 5 geofences: not this store."""
    distance = haversine_m(latitude, longitude, store_latitude, store_longitude)
    allowed = radius_m + min(accuracy_m or 0.0, 200.0)
    if distance <= allowed:
        return None
    return distance, allowed, distance > max(1000.0, 5 * radius_m)


def check_checkin(
    latitude: float | None,
    longitude: float | None,
    *,
    store_latitude: float,
    store_longitude: float,
    radius_m: float,
    accuracy_m: float | None = None,
) -> list[Flag]:
    """Where the phone said the rep was at check-in, against the store's geofence (as ``check_gps``).

    No position (the rep did not allow location) gives no flag: the photo's own GPS still decides.
    """
    if latitude is None or longitude is None:
        return []
    outside = _beyond_geofence(latitude, longitude, store_latitude=store_latitude, store_longitude=store_longitude,
                               radius_m=radius_m, accuracy_m=accuracy_m)
    if outside is None:
        return []
    distance, allowed, far = outside
    return [
        Flag(
            "checkin_far_from_store" if far else "checkin_outside_geofence",
            CRITICAL if far else WARNING,
            f"The rep checked in {_distance(distance)} from the store (allowed {_distance(allowed)}): "
            + ("photos taken then cannot show this store." if far else "outside its geofence."),
            0.0 if far else 0.4,
            {"distance_m": round(distance, 1), "allowed_m": round(allowed, 1)},
        )
    ]


def checkin_confirms_place(
    latitude: float | None, longitude: float | None, *, store_latitude: float, store_longitude: float,
    radius_m: float, accuracy_m: float | None = None,
) -> bool:
    return latitude is not None and longitude is not None and not check_checkin(
        latitude, longitude, store_latitude=store_latitude, store_longitude=store_longitude, radius_m=radius_m,
        accuracy_m=accuracy_m)


def check_exif_present(has_exif: bool, *, place_from_checkin: bool = False) -> list[Flag]:
    """No camera data at all. Browsers and offline queues strip EXIF from honest photos too, so a photo
    sent during a check-in inside the geofence keeps most of its weight: the place is known from there."""
    if has_exif:
        return []
    if place_from_checkin:
        return [
            Flag(
                "exif_missing",
                INFO,
                "The photo carries no camera data (EXIF), as photos sent from a browser often do; the place "
                "is confirmed by the rep's check-in at the store.",
                0.9,
                {"checkin": True},
            )
        ]
    return [
        Flag(
            "exif_missing",
            WARNING,
            "The photo carries no camera data (EXIF). Screenshots, downloaded images and photos sent "
            "through messaging apps lose it; a photo taken with the phone camera keeps it.",
            0.6,
            {"checkin": False},
        )
    ]


def check_software(*software_tags: str | None) -> list[Flag]:
    """EXIF Software / ProcessingSoftware / HostComputer naming an editing program."""
    for tag in software_tags:
        text = (tag or "").strip()
        lowered = text.lower()
        for name in EDITING_SOFTWARE:
            if name in lowered:
                return [
                    Flag(
                        "edited",
                        WARNING,
                        f"The photo was last saved by {text[:60]}, an editing program: it may have been "
                        "altered after it was taken.",
                        0.5,
                        {"software": text[:60]},
                    )
                ]
    return []


def duplicate_flag(
    *,
    original: str,
    exact: bool,
    same_visit: bool = False,
    distance: int | None = None,
    similarity: float | None = None,
    orientation: str = "",
    original_params: dict | None = None,
) -> Flag:
    """A flag for a photo that repeats an earlier one; ``original`` describes it, e.g.
    "photo 8F2C uploaded 3 Mar 2025 at FreshCo Riverside"; ``orientation`` says how a near copy
    was turned or mirrored ("rotated 180°"; empty when it was not). ``original_params`` is the same
    description as data ({"photo": "8F2C", "uploaded": "2025-03-03", "store": "FreshCo Riverside"})."""
    params = {"original": original_params or {"text": original}}
    if same_visit:
        return Flag(
            "duplicate_in_visit", INFO, f"Same shot as {original} of this visit; it is counted once.", 1.0, params
        )
    if exact:
        return Flag(
            "exact_duplicate",
            CRITICAL,
            f"The same file was already uploaded as {original}: it is not a new photo.",
            0.0,
            params,
        )
    detail = ""
    if distance is not None and similarity is not None:
        detail = f" (hash distance {distance} of 64 bits, pixel match {similarity:.2f})"
    what = f"a copy of {original}, {orientation}" if orientation else (
        f"a resized, cropped, re-compressed or brightened copy of {original}")
    params |= {"orientation": orientation, "distance": distance,
               "similarity": None if similarity is None else round(similarity, 4)}
    return Flag("near_duplicate", CRITICAL, f"This photo is {what}{detail}: it is not a new photo.", 0.0, params)


def recapture_flag(score: float) -> list[Flag]:
    """Flag from ``recapture_score``: a photo of a screen or a print instead of the shelf."""
    if score >= 0.8:
        return [
            Flag(
                "recaptured",
                CRITICAL,
                f"The photo looks like a picture of a screen or a print (score {score:.2f}: regular "
                "moiré patterns, a dark frame or flat colours), not of the shelf itself.",
                0.2,
                {"score": round(score, 4)},
            )
        ]
    if score >= 0.5:
        return [
            Flag(
                "recaptured",
                WARNING,
                f"The photo may be a picture of a screen or a print (score {score:.2f}); check it.",
                0.6,
                {"score": round(score, 4)},
            )
        ]
    return []
