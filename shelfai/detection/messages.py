"""Why a photo must be retaken, in the language active when it is read.

The quality gate (``shelfai.vision.quality``, pure, no Django) returns its reasons in English and the
same as codes with parameters (``QualityVerdict.codes``); a run stores both (``quality_reasons``,
``quality_codes``). These renderers write the codes with gettext, so a retake decided while the
worker spoke English reads in Chinese on the rep's phone. A run stored before codes shows its English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from shelfai import formats

QUALITY: dict[str, Any] = {
    "unreadable": lambda p: _(
        "The file is not a readable photo — retake it with the phone camera and upload it again."),
    "small": lambda p: _(
        "The photo is too small (%(w)s×%(h)s pixels) — take it with the phone camera at full resolution, not a "
        "screenshot or a thumbnail.") % {"w": p["w"], "h": p["h"]},
    "panorama": lambda p: _(
        "The photo is a %(w)s×%(h)s strip, far too wide or tall to read the products — take one normal photo per "
        "shelf section instead of a panorama.") % {"w": p["w"], "h": p["h"]},
    "almost_black": lambda p: _(
        "The photo is almost black — check that nothing covers the lens, then retake it."),
    "too_dark": lambda p: _(
        "The photo is too dark to see the products — turn on the aisle light or use the flash, then retake."),
    "overexposed": lambda p: _(
        "The photo is overexposed (almost white) — step out of direct light and tap the shelf on screen to set "
        "exposure, then retake."),
    "glare": lambda p: _(
        "Part of the photo is washed out by glare — change your angle so lights and windows do not reflect on the "
        "packs, then retake."),
    "no_shelf": lambda p: _(
        "No shelf with products was found in this photo — stand in front of the shelf so the products fill the "
        "frame, then retake."),
    "blurred": lambda p: _(
        "The photo is blurred — hold the phone still and tap the shelf on screen to focus, then retake."),
    "tilted": lambda p: _(
        "The photo is tilted by about %(degrees)s° — hold the phone level with the shelf edge, then retake.") % {
        "degrees": formats.number(p["degrees"])},
}


def quality_text(code: Mapping[str, Any] | str) -> str:
    """One quality reason ({"code", "params"}) in the active language; a plain string is shown as it is."""
    if isinstance(code, str):
        return code
    render = QUALITY.get(code.get("code", ""))
    if render is None:
        return code.get("code", "")
    try:
        return render(code.get("params") or {})
    except (KeyError, TypeError, ValueError):
        return code.get("code", "")


def quality_reasons(texts: Iterable[str] | None, codes: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """A run's quality reasons: from its codes when it has them for every reason, else its English text."""
    texts, codes = list(texts or []), list(codes or [])
    if codes and len(codes) >= len(texts):
        return [quality_text(c) for c in codes]
    if codes:  # reasons added later without a code (a reviewer's "not a shelf"): codes first, then the rest
        return [quality_text(c) for c in codes] + texts[len(codes):]
    return texts


def run_quality_reasons(run) -> list[str]:
    """A ``DetectionRun``'s quality reasons in the active language."""
    return quality_reasons(run.quality_reasons, getattr(run, "quality_codes", None))


def retake_reason(run) -> str:
    """What the rep reads on a photo sent back for a retake: its quality reasons, one after the other."""
    return " ".join(run_quality_reasons(run))
