"""A reference pack shot as the catalog stores it: checked like a rep's photo, then normalised.

An admin's upload can be anything a browser sends: a text file named .jpg, a phone's HEIC, a 40 MP
studio shot with an EXIF rotation. Recognition decodes references with OpenCV, which reads no HEIC and
ignores EXIF orientation, so each reference is stored the one way every reader agrees on: upright RGB
PNG, at most ``MAX_SIDE`` pixels on its long side, named from the sha256 of those bytes (the same image
twice is the same file).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from shelfai.pil_safety import pillow_open
from shelfai.vision.types import ImageRejected
from shelfai.visits.imaging import inspect_image

MAX_SIDE = 1024  # a pack shot is matched at ~100 px; more only costs catalog build time
MIN_SIDE = 24    # below this a crop carries no pack: refused rather than matched against


@dataclass(frozen=True)
class Reference:
    png: bytes
    sha256: str
    width: int
    height: int

    @property
    def file_name(self) -> str:
        return f"{self.sha256}.png"


def normalise_reference(data: bytes, *, max_pixels: int, max_bytes: int) -> Reference:
    """Check ``data`` as an image (the same checks as an uploaded photo) and return it as PNG.

    Raises ``ImageRejected`` with a sentence that says what to send instead.
    """
    inspect_image(data, max_pixels=max_pixels, max_bytes=max_bytes)
    try:
        with pillow_open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):
        raise ImageRejected(_("The image could not be decoded. Send the pack shot again as a JPEG or PNG."),
                            reason="not_an_image") from None
    rgb = upright.convert("RGB")
    if min(rgb.size) < MIN_SIDE:
        raise ImageRejected(_("The image is %(w)s×%(h)s pixels; a pack shot needs at least %(min)s pixels on each "
                              "side.") % {"w": rgb.width, "h": rgb.height, "min": MIN_SIDE}, reason="too_small")
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="PNG", optimize=False)
    png = out.getvalue()
    return Reference(png=png, sha256=hashlib.sha256(png).hexdigest(), width=rgb.width, height=rgb.height)
