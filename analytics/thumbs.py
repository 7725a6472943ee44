"""Small JPEG thumbnails of shelf photos, the way marketing and finance reach a photo page.

An original is several megabytes (and a HEIC one shows in no desktop browser), so a list of 50
visits links by a 320-pixel JPEG made once per photo and kept in storage beside the originals
(``thumbs/<sha256>-320.jpg``): the original's bytes are never touched, and the same picture sent
twice shares one thumbnail. JPEG's draft mode decodes at 1/2..1/8 scale, so making one costs
milliseconds, not a full decode.
"""

from __future__ import annotations

import io
import logging

import pillow_heif
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from shelfai.pil_safety import pillow_open, restore_pil_open
from shelfai.visits.models import Photo

pillow_heif.register_heif_opener()
log = logging.getLogger(__name__)
SIDE = 320
QUALITY = 80
PER_VISIT = 4  # thumbnails shown per visit in a list; "+N" says how many more


def thumbnail_bytes(data: bytes, side: int = SIDE) -> bytes:
    """A JPEG no larger than ``side`` on its long side, upright (EXIF orientation applied)."""
    restore_pil_open()
    with pillow_open(io.BytesIO(data)) as image:
        image.draft("RGB", (side * 2, side * 2))  # JPEG only: decode at a reduced scale, still >= 2x the target
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def thumbnail_of(photo: Photo) -> bytes:
    """The stored thumbnail of ``photo``, made on first use; a grey tile when the original cannot be
    read (missing from storage, or bytes no decoder knows), so a list never breaks on one bad file."""
    name = f"thumbs/{photo.sha256}-{SIDE}.jpg"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    try:
        with photo.original.open("rb") as original:
            data = thumbnail_bytes(original.read())
    except (OSError, ValueError, Image.DecompressionBombError):  # UnidentifiedImageError is an OSError
        log.warning("No thumbnail for photo %s: its original cannot be read", photo.public_id)
        return _placeholder()
    if not default_storage.exists(name):  # another request may have made it meanwhile; same bytes either way
        default_storage.save(name, ContentFile(data))
    return data


def _placeholder() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (SIDE, SIDE * 3 // 4), (200, 205, 210)).save(out, "JPEG", quality=60)
    return out.getvalue()


def thumb(photo: Photo, *, alt: str = "") -> dict:
    """One thumbnail cell: the photo page it opens (with boxes) and the picture it shows."""
    return {"url": reverse("analytics-photo", args=[photo.public_id]),
            "src": reverse("analytics-photo-thumb", args=[photo.public_id]),
            "alt": alt or _("Shelf photo %(id)s") % {"id": str(photo.public_id)[:8]}}


def thumbs_by_visit(visit_ids: list[int], photos: QuerySet[Photo] | None = None) -> dict[int, list[dict]]:
    """Up to ``PER_VISIT`` thumbnails per visit, in upload order (one query for a page of visits)."""
    rows = (photos if photos is not None else Photo.objects.all()).filter(visit_id__in=visit_ids).order_by(
        "visit_id", "uploaded_at", "pk").only("pk", "public_id", "visit_id", "uploaded_at")
    found: dict[int, list[dict]] = {}
    for photo in rows:
        group = found.setdefault(photo.visit_id, [])
        if len(group) < PER_VISIT:
            group.append(thumb(photo, alt=_("Photo %(n)s of the visit") % {"n": len(group) + 1}))
    return found
