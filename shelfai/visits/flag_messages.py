"""What an authenticity flag says, in the language active when it is read.

The pure checks (``shelfai.authenticity.checks``) return a code, an English reason and the facts
behind it as plain data (``Flag.params``: ISO times, metres, scores). Stored flags keep all three
(``AuthenticityFlag.params``); this module writes the sentence from the code and the facts with
gettext, so a flag raised while the worker spoke English reads in Chinese for a Chinese reviewer.
A flag stored before params has only its English ``reason``: that is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from shelfai import formats

# imagehash.ORIENTATIONS names how a near copy was turned; these are the same names, translated.
ORIENTATIONS = {
    "rotated 90° anticlockwise": gettext_lazy("rotated 90° anticlockwise"),
    "rotated 180°": gettext_lazy("rotated 180°"),
    "rotated 90° clockwise": gettext_lazy("rotated 90° clockwise"),
    "mirrored left to right": gettext_lazy("mirrored left to right"),
    "mirrored top to bottom": gettext_lazy("mirrored top to bottom"),
    "mirrored and rotated": gettext_lazy("mirrored and rotated"),
}


def _when(value: str) -> str:
    try:
        return formats.moment(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def _span(seconds: float) -> str:
    seconds = abs(float(seconds))
    if seconds >= 2 * 86400:
        n = round(seconds / 86400)
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if seconds >= 5400:
        n = round(seconds / 3600)
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    n = max(1, round(seconds / 60))
    return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}


def _distance(metres: float) -> str:
    if metres < 1000:
        return _("%(n)s m") % {"n": formats.number(metres, 0)}
    return _("%(n)s km") % {"n": formats.number(metres / 1000, 1)}


def _original(p: Mapping[str, Any]) -> str:
    original = p.get("original") or {}
    if "photo" not in original:
        return original.get("text", "")
    # Translators: describes an earlier photo: "photo 8f2c01ab uploaded Mar. 3, 2025 at FreshCo Riverside".
    return _("photo %(photo)s uploaded %(day)s at %(store)s") % {
        "photo": original["photo"], "day": formats.day(datetime.fromisoformat(original["uploaded"])),
        "store": original["store"]}


def _near_duplicate(p: Mapping[str, Any]) -> str:
    values = {"original": _original(p), "orientation": ORIENTATIONS.get(p.get("orientation") or "",
                                                                        p.get("orientation") or "")}
    what = (_("a copy of %(original)s, %(orientation)s") if p.get("orientation")
            else _("a resized, cropped, re-compressed or brightened copy of %(original)s")) % values
    if p.get("distance") is not None and p.get("similarity") is not None:
        return _("This photo is %(what)s (hash distance %(distance)s of 64 bits, pixel match %(similarity)s): it is "
                 "not a new photo.") % {"what": what, "distance": p["distance"],
                                        "similarity": formats.number(p["similarity"], 2)}
    return _("This photo is %(what)s: it is not a new photo.") % {"what": what}


def _exif_missing(p: Mapping[str, Any]) -> str:
    if p.get("checkin"):
        return _("The photo carries no camera data (EXIF), as photos sent from a browser often do; the place is "
                 "confirmed by the rep's check-in at the store.")
    return _("The photo carries no camera data (EXIF). Screenshots, downloaded images and photos sent through "
             "messaging apps lose it; a photo taken with the phone camera keeps it.")


def _recaptured(p: Mapping[str, Any], severity: str) -> str:
    score = formats.number(p["score"], 2)
    if severity == "critical":
        return _("The photo looks like a picture of a screen or a print (score %(score)s: regular moiré patterns, a "
                 "dark frame or flat colours), not of the shelf itself.") % {"score": score}
    return _("The photo may be a picture of a screen or a print (score %(score)s); check it.") % {"score": score}


def _far(p):
    return {"distance": _distance(p["distance_m"]), "allowed": _distance(p["allowed_m"])}


FLAGS: dict[str, Any] = {
    "capture_time_missing": lambda p, s: _(
        "The photo has no capture time in its camera data, so when it was taken cannot be checked."),
    "capture_in_future": lambda p, s: _(
        "The camera time (%(captured)s) is %(span)s after the upload: the phone clock is wrong or the time was "
        "edited.") % {"captured": _when(p["captured"]), "span": _span(p["seconds"])},
    "capture_too_old": lambda p, s: _(
        "The photo was taken on %(captured)s, %(span)s before it was uploaded: it may be re-used from an earlier "
        "visit.") % {"captured": _when(p["captured"]), "span": _span(p["seconds"])},
    "capture_before_visit": lambda p, s: _(
        "The photo was taken %(span)s before the visit started (%(started)s): it may not show the shelf as it was "
        "on this visit.") % {"started": _when(p["started"]), "span": _span(p["seconds"])},
    "capture_after_visit": lambda p, s: _(
        "The photo was taken %(span)s after the visit ended (%(ended)s).") % {
        "ended": _when(p["ended"]), "span": _span(p["seconds"])},
    "gps_missing": lambda p, s: _(
        "The photo has no GPS position (location off, or removed), so the store cannot be confirmed from the "
        "photo itself."),
    "gps_far_from_store": lambda p, s: _(
        "The photo was taken %(distance)s from the store (allowed %(allowed)s): it cannot show this store's "
        "shelf.") % _far(p),
    "gps_outside_geofence": lambda p, s: _(
        "The photo was taken %(distance)s from the store, outside its %(allowed)s geofence.") % _far(p),
    "checkin_far_from_store": lambda p, s: _(
        "The rep checked in %(distance)s from the store (allowed %(allowed)s): photos taken then cannot show "
        "this store.") % _far(p),
    "checkin_outside_geofence": lambda p, s: _(
        "The rep checked in %(distance)s from the store (allowed %(allowed)s): outside its geofence.") % _far(p),
    "exif_missing": lambda p, s: _exif_missing(p),
    "edited": lambda p, s: _(
        "The photo was last saved by %(software)s, an editing program: it may have been altered after it was "
        "taken.") % {"software": p["software"]},
    "duplicate_in_visit": lambda p, s: _(
        "Same shot as %(original)s of this visit; it is counted once.") % {"original": _original(p)},
    "exact_duplicate": lambda p, s: _(
        "The same file was already uploaded as %(original)s: it is not a new photo.") % {"original": _original(p)},
    "near_duplicate": lambda p, s: _near_duplicate(p),
    "recaptured": _recaptured,
}

# What each check is called, for tables that list flags by kind.
CODE_LABELS = {
    "capture_time_missing": gettext_lazy("No capture time"),
    "capture_in_future": gettext_lazy("Capture time in the future"),
    "capture_too_old": gettext_lazy("Photo taken long before upload"),
    "capture_before_visit": gettext_lazy("Taken before the visit"),
    "capture_after_visit": gettext_lazy("Taken after the visit"),
    "gps_missing": gettext_lazy("No GPS position"),
    "gps_far_from_store": gettext_lazy("Taken far from the store"),
    "gps_outside_geofence": gettext_lazy("Taken outside the geofence"),
    "checkin_far_from_store": gettext_lazy("Check-in far from the store"),
    "checkin_outside_geofence": gettext_lazy("Check-in outside the geofence"),
    "exif_missing": gettext_lazy("No camera data"),
    "edited": gettext_lazy("Edited"),
    "duplicate_in_visit": gettext_lazy("Same shot in this visit"),
    "exact_duplicate": gettext_lazy("Re-used photo (same file)"),
    "near_duplicate": gettext_lazy("Re-used photo (copy)"),
    "recaptured": gettext_lazy("Photo of a screen or print"),
}


def flag_text(code: str, params: Mapping[str, Any] | None, stored: str = "", severity: str = "") -> str:
    """A flag's reason in the active language; ``stored`` (its English reason) when it has no params."""
    render = FLAGS.get(code)
    if not params and code not in ("capture_time_missing", "gps_missing"):
        return stored or code
    if render is None:
        return stored or code
    try:
        return render(params or {}, severity)
    except (KeyError, TypeError, ValueError):
        return stored or code


def flag_reason(flag) -> str:
    """An ``AuthenticityFlag`` row's (or a pure ``Flag``'s) reason in the active language."""
    return flag_text(flag.code, getattr(flag, "params", None), flag.reason, flag.severity)


def code_label(code: str) -> str:
    return str(CODE_LABELS.get(code, code))
