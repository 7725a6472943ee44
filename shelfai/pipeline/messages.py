"""A photo's status note (``Photo.status_reason``) in the language active when it is read.

Two kinds of note are stored in English:

* **retake**: the quality gate's reasons. The photo's current run keeps them as codes
  (``DetectionRun.quality_codes``), so they are rendered from there (``shelfai.detection.messages``).
* **failed**: one of the few sentences below, written by the stages, the sweeper, the detector
  engine or the decoder (``shelfai.vision.pipeline``, pure, so it cannot translate). Each sentence is
  written from one English template, and the template is also its msgid: a stored note is matched
  back to its template and parameters and said again in the reader's language. A note that matches
  no template (an older wording) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from shelfai.detection.messages import retake_reason
from shelfai.detection.models import DetectionRun
from shelfai.visits.models import Photo

FAILURES: dict[str, str] = {
    "unexpected": gettext_noop(
        "%(step)s failed unexpectedly (%(error)s). The photo is kept. An administrator can find the error in the "
        "worker log under photo %(photo)s, fix it, and send the photo again."),
    "stopped": gettext_noop(
        "The %(stage)s of this photo stopped %(n)s times without finishing (a worker stopped while working on "
        "it). The photo is kept; ask an administrator to check the workers' log for photo %(photo)s before "
        "sending it again."),
    "never_arrived": gettext_noop(
        "The photo was sent to %(stage)s %(n)s times and never arrived. The photo is kept; ask an administrator "
        "to check the message broker, then send it again."),
    "weights_missing": gettext_noop(
        "Detector weights not found at %(path)s. Train or register a model (python manage.py train_detector "
        "--activate) or set DETECTOR_WEIGHTS."),
    # shelfai.vision.pipeline.load_oriented_image's refusals (the worker decodes the stored original).
    "empty": gettext_noop("The file is empty (0 bytes). Take or choose the photo again."),
    "unsupported_type": gettext_noop("%(format)s images are not accepted. Send a JPEG, PNG, WebP or HEIC photo."),
    "too_many_pixels": gettext_noop(
        "The image is %(w)s x %(h)s pixels (%(mp)s MP); the limit is %(limit)s MP. Send the camera's normal "
        "photo, not a stitched or upscaled one."),
    "pixel_bomb": gettext_noop(
        "The image has far too many pixels to decode safely; the limit is %(limit)s MP. Send the camera's normal "
        "photo, not a stitched or upscaled one."),
    "not_an_image": gettext_noop("The file is not an image we can read. Send a JPEG, PNG, WebP or HEIC photo."),
    "damaged": gettext_noop("The image file is damaged or incomplete (%(error)s). Upload the photo again."),
}

# Parameter values that are words themselves.
WORDS = {"Analysis": gettext_lazy("Analysis"), "Scoring": gettext_lazy("Scoring"),
         "analysis": gettext_lazy("analysis"), "scoring": gettext_lazy("scoring")}


def failure_english(code: str, **params: Any) -> str:
    """The stored (English) note for a failure: its template filled in."""
    return FAILURES[code] % params


@cache
def _patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    for code, template in FAILURES.items():
        pattern = re.escape(template).replace("%%", "%")
        pattern = re.sub(r"%\\\((\w+)\\\)s|%\((\w+)\)s", lambda m: f"(?P<{m.group(1) or m.group(2)}>.+?)", pattern)
        out.append((code, re.compile(f"^{pattern}$", re.DOTALL)))
    return out


def parse_failure(note: str) -> tuple[str, dict[str, str]] | None:
    """(code, params) of a stored English failure note, or None when it matches no template."""
    for code, pattern in _patterns():
        match = pattern.match(note or "")
        if match:
            return code, match.groupdict()
    return None


def failure_text(note: str) -> str:
    """A stored failure note in the active language."""
    parsed = parse_failure(note)
    if parsed is None:
        return note
    code, params = parsed
    return _(FAILURES[code]) % {k: str(WORDS.get(v, v)) for k, v in params.items()}


def status_reason_text(status: str, note: str, run: DetectionRun | None = None) -> str:
    """What a photo's status note says to the reader, in the active language."""
    if status == Photo.Status.RETAKE and run is not None and run.quality_codes:
        return retake_reason(run)
    if status == Photo.Status.FAILED:
        return failure_text(note)
    return note


def photo_status_reason(photo: Photo) -> str:
    run = None
    if photo.status == Photo.Status.RETAKE:
        run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    return status_reason_text(photo.status, photo.status_reason, run)


def all_failure_texts(params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every failure template rendered with sample parameters (for tests that every code has a translation)."""
    sample = {"step": "Analysis", "error": "KeyError", "photo": 1, "stage": "analysis", "n": 3, "path": "x.pt",
              "format": "GIF", "w": 1, "h": 1, "mp": 1, "limit": 1} | dict(params or {})
    return {code: _(template) % sample for code, template in FAILURES.items()}
