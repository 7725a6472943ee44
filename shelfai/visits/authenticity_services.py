"""Authenticity checks of a stored photo, against every photo uploaded before it.

Exact duplicates by sha256; near-duplicates through the hash-band index (PhotoHashBand) and a
pixel check on stored thumbnails; EXIF capture time against upload and visit; GPS against the
store's geofence; missing EXIF; editing software; re-photographed screens or prints. The pure
rules live in ``shelfai.authenticity.checks``; this module reads and writes the rows.
"""

from __future__ import annotations

import logging

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shelfai.authenticity import checks as auth
from shelfai.authenticity import imagehash, recapture
from shelfai.vision.pipeline import load_oriented_image
from shelfai.visits.models import AuthenticityFlag, Photo, PhotoHashBand

log = logging.getLogger(__name__)

MAX_CANDIDATES = 50  # photos given the full hash + pixel check, most shared index keys first


def _describe(original: Photo) -> str:
    return (f"photo {str(original.public_id)[:8]} uploaded {original.uploaded_at:%d %b %Y} "
            f"at {original.visit.store.name}")


def _original_params(original: Photo) -> dict:
    """The same as ``_describe``, as data, so the flag reads in the reader's language (flag_messages)."""
    return {"photo": str(original.public_id)[:8], "uploaded": original.uploaded_at.isoformat(timespec="minutes"),
            "store": original.visit.store.name}


def photo_check_authenticity(photo: Photo, *, image: np.ndarray | None = None) -> list[AuthenticityFlag]:
    """(Re)compute the photo's flags and index it. Idempotent: old flags and index rows are replaced.

    ``image`` is the photo already decoded upright (the pipeline decodes once for this and detection);
    without it the original is read and decoded here. The searches run outside any transaction; only
    the writes take one, and a short one.
    """
    if image is None:
        with photo.original.open("rb") as fh:
            image = load_oriented_image(fh.read(), max_pixels=settings.PHOTO_MAX_PIXELS)
    variants = imagehash.oriented_hashes(image)  # [0] is the photo as it is: the one indexed
    hashes = variants[0][1]
    flags: list[tuple[auth.Flag, Photo | None, int | None]] = []

    duplicate = _exact_duplicate(photo)
    if duplicate is not None:
        same_visit = duplicate.visit_id == photo.visit_id
        flags.append((auth.duplicate_flag(original=_describe(duplicate), exact=True, same_visit=same_visit,
                                            original_params=_original_params(duplicate)),
                      duplicate, 0))
    else:
        near = _near_duplicate(photo, variants)
        if near is not None:
            original, match, orientation = near
            flag = auth.duplicate_flag(original=_describe(original), exact=False,
                                       same_visit=original.visit_id == photo.visit_id,
                                       distance=match.distance, similarity=match.similarity,
                                       orientation=orientation, original_params=_original_params(original))
            flags.append((flag, original, match.distance))

    visit, store = photo.visit, photo.visit.store
    geofence = {"store_latitude": store.latitude, "store_longitude": store.longitude,
                "radius_m": store.geofence_radius_m}
    checkin = {"accuracy_m": visit.checkin_accuracy_m, **geofence}
    placed = auth.checkin_confirms_place(visit.checkin_latitude, visit.checkin_longitude, **checkin)
    checks = [
        *auth.check_exif_present(photo.has_exif, place_from_checkin=placed),
        *auth.check_checkin(visit.checkin_latitude, visit.checkin_longitude, **checkin),
        *auth.check_capture_time(photo.exif_taken_at, uploaded_at=photo.uploaded_at,
                                 visit_started_at=visit.started_at, visit_ended_at=visit.ended_at),
        *auth.check_gps(photo.exif_latitude, photo.exif_longitude, **geofence),
        *auth.check_software(photo.exif_software),
        *auth.recapture_flag(recapture.recapture_score(image)),
    ]
    if not photo.has_exif:  # with no EXIF at all, one flag says it; no separate time and GPS flags
        checks = [f for f in checks if f.code not in ("capture_time_missing", "gps_missing")]
    elif placed:  # no GPS in the photo, but the check-in places the rep at the store
        checks = [f for f in checks if f.code != "gps_missing"]
    flags.extend((flag, None, None) for flag in checks)

    with transaction.atomic():
        AuthenticityFlag.objects.filter(photo=photo).delete()
        stored = AuthenticityFlag.objects.bulk_create([
            AuthenticityFlag(photo=photo, code=f.code, severity=f.severity, reason=f.reason, weight=f.weight,
                             params=f.params, duplicate_of=original, distance=distance)
            for f, original, distance in {f.code: (f, o, d) for f, o, d in flags}.values()
        ])
        _index(photo, hashes)
    return stored


def _exact_duplicate(photo: Photo) -> Photo | None:
    return (
        Photo.objects.filter(sha256=photo.sha256, uploaded_at__lte=photo.uploaded_at)
        .exclude(pk=photo.pk)
        .select_related("visit__store")
        .order_by("uploaded_at")
        .first()
    )


def _near_duplicate(photo: Photo, variants: list[tuple[str, imagehash.ImageHashes]]):
    """The earliest earlier photo this one copies, with the match and how this one is turned or
    mirrored relative to it (``imagehash.oriented_hashes`` names); None when it is new.

    The 7 turned orientations' keys join the photo's own in one index lookup, against whole-frame
    rows only (see ``_key_groups``); each candidate is then compared in the orientation whose hash
    lies nearest its own, the photo as it is winning ties.
    """
    candidates = _candidates(photo, variants)
    if not candidates:
        return None
    windows: dict[int, dict[int, int]] = {}
    for pk, window, value in PhotoHashBand.objects.filter(photo_id__in=candidates, band=0).values_list(
        "photo_id", "window", "hash"
    ):
        windows.setdefault(pk, {})[window] = imagehash.from_signed64(value)
    stored = {pk: [by_window[w] for w in sorted(by_window)] for pk, by_window in windows.items()}
    # Hamming distance first: cheap, and it rules out most same-layout shelves before the pixel check.
    nearest: dict[int, tuple[str, imagehash.ImageHashes]] = {}
    for pk in candidates:
        if pk in stored:
            name, hashes, distance = imagehash.nearest_orientation(variants, stored[pk])
            if distance <= imagehash.MATCH_DISTANCE:
                nearest[pk] = name, hashes
    for original in Photo.objects.filter(pk__in=nearest).select_related("visit__store").order_by("uploaded_at"):
        if not original.fingerprint:
            continue
        name, hashes = nearest[original.pk]
        fingerprint = imagehash.decode_fingerprint(bytes(original.fingerprint))
        match = imagehash.compare(hashes, stored[original.pk], fingerprint)
        if match.is_duplicate:
            return original, match, name
    return None


def _candidates(photo: Photo, variants: list[tuple[str, imagehash.ImageHashes]]) -> list[int]:
    """Up to MAX_CANDIDATES photos uploaded before this one, most shared index keys first.

    Later uploads are dropped only from the top of the ranking: joining the photo table for every
    matched index row cost more than all the rest of the lookup (thousands of rows at 1M photos).
    """
    limit = 2 * MAX_CANDIDATES
    ranked = _ranked_by_shared_keys(photo, variants, limit)
    candidates = _uploaded_by(ranked, photo.uploaded_at)
    if len(candidates) < MAX_CANDIDATES and len(ranked) == limit:  # a recheck: later photos ranked high
        candidates = _uploaded_by(_ranked_by_shared_keys(photo, variants, None), photo.uploaded_at)
    return candidates


def _uploaded_by(ranked: list[int], moment) -> list[int]:
    """The first MAX_CANDIDATES of ``ranked`` uploaded at or before ``moment``, in rank order."""
    kept: list[int] = []
    start, size = 0, MAX_CANDIDATES  # usually all of the first MAX_CANDIDATES are earlier: one query
    while start < len(ranked) and len(kept) < MAX_CANDIDATES:
        part = ranked[start : start + size]
        earlier = set(Photo.objects.filter(pk__in=part, uploaded_at__lte=moment).values_list("pk", flat=True))
        kept += [pk for pk in part if pk in earlier]
        start, size = start + size, 500
    return kept[:MAX_CANDIDATES]


def _key_groups(variants: list[tuple[str, imagehash.ImageHashes]]) -> list[tuple[int, list[int], bool]]:
    """``(band, values, whole_frame_only)``: the lookup keys grouped by band.

    The photo's query keys match stored rows of any window; its reverse keys only whole-frame rows
    (window 0), and so do the query keys of its 7 turned orientations (with fewer probes): a turned
    copy is nearly always the whole frame turned, and a key against whole frames matches ~14 times
    fewer stored rows than one against every window. So the turns add ~800 rows to the ~5,000 a
    lookup reads at a million photos, instead of multiplying them by 8. A key that is also a query
    key of the photo as it is is left out of the whole-frame group, so that every stored row
    matches one group at most and counts once.
    """
    (_, hashes), *turned = variants
    forward: dict[int, set[int]] = {}
    for band, value in imagehash.query_bands(hashes):
        forward.setdefault(band, set()).add(value)
    whole_frame_keys = [
        *imagehash.reverse_query_bands(hashes),
        *(key for _, t in turned for key in imagehash.query_bands(t, imagehash.TURNED_PROBE_BITS)),
    ]
    reverse: dict[int, set[int]] = {}
    for band, value in whole_frame_keys:
        if value not in forward.get(band, ()):
            reverse.setdefault(band, set()).add(value)
    return [(band, sorted(values), False) for band, values in sorted(forward.items())] + [
        (band, sorted(values), True) for band, values in sorted(reverse.items())
    ]


def _ranked_by_shared_keys(
    photo: Photo, variants: list[tuple[str, imagehash.ImageHashes]], limit: int | None
) -> list[int]:
    """Other photos with index rows matching the keys, most matching rows first (ties: lowest id).

    One ``band = %s AND value IN (...)`` branch per key group, glued with UNION ALL and counted in
    the database. Each branch is an index-only scan of the covering index on (band, value, window)
    INCLUDE (photo_id), so no table page is read. The same keys as one OR (what the ORM writes) are
    planned as a bitmap scan that reads a table page for every matching row: ~300 ms per lookup
    at a million photos instead of ~10 ms (bench/duplicate_search.py). The ORM cannot count over a
    UNION, hence the SQL; it runs on SQLite too.
    """
    qn = connection.ops.quote_name
    table, photo_id, band, value, window = (
        qn(PhotoHashBand._meta.db_table),
        *(qn(PhotoHashBand._meta.get_field(name).column) for name in ("photo", "band", "value", "window")),
    )
    branches, params = [], []
    for key_band, values, whole_frame_only in _key_groups(variants):
        branches.append(
            f"SELECT {photo_id} FROM {table} WHERE {band} = %s AND {value} IN ({', '.join(['%s'] * len(values))})"
            f"{f' AND {window} = 0' if whole_frame_only else ''} AND {photo_id} <> %s"
        )
        params += [key_band, *values, photo.pk]
    sql = (f"SELECT {photo_id} FROM ({' UNION ALL '.join(branches)}) matched "
           f"GROUP BY {photo_id} ORDER BY COUNT(*) DESC, {photo_id}")
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _index(photo: Photo, hashes: imagehash.ImageHashes) -> None:
    PhotoHashBand.objects.filter(photo=photo).delete()
    PhotoHashBand.objects.bulk_create([
        PhotoHashBand(photo=photo, window=window, band=band, value=value,
                      hash=imagehash.to_signed64(hashes.windows[window]))
        for window, band, value in imagehash.index_entries(hashes)
    ])
    Photo.objects.filter(pk=photo.pk).update(
        phash=imagehash.to_signed64(hashes.full),
        fingerprint=imagehash.encode_fingerprint(hashes.fingerprint),
        authenticity_checked_at=timezone.now(),
    )
