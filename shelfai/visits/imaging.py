"""Checks an uploaded photo before anything is stored, and reads its EXIF.

Cheap on purpose (headers, trailers and metadata, no full decode) so the intake answers in
milliseconds; the worker decodes the pixels. Nothing here trusts the client's file name or type.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pillow_heif
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from shelfai import formats
from shelfai.pil_safety import restore_pil_open
from shelfai.vision.types import ImageRejected

pillow_heif.register_heif_opener()

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    # A JPEG carrying a second image after the first (MPF: phones' gain-map HDR and portrait shots). It is
    # a JPEG to everyone; the worker analyses the primary image, the first frame.
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heic", "heic"),
}


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    ext: str
    width: int  # after EXIF orientation
    height: int
    orientation: int
    taken_at: datetime | None  # aware when the phone wrote an offset, else the phone's naive local time
    has_exif: bool
    latitude: float | None
    longitude: float | None
    device: str
    software: str


def inspect_image(data: bytes, *, max_pixels: int, max_bytes: int) -> ImageFacts:
    restore_pil_open()
    if not data:
        raise ImageRejected(_("The file is empty (0 bytes). Take the photo again and re-send it."), reason="empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Send the photo at normal camera quality.") % {
                "size": formats.number(len(data) / 1e6, 1), "limit": formats.number(max_bytes / 1e6)},
            reason="too_large",
        )
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below decides; Pillow's warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ImageRejected(
            _("The file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC photo."), reason="not_an_image"
        ) from None
    except Image.DecompressionBombError:
        raise ImageRejected(
            _("The image has far too many pixels to be a phone photo."), reason="too_many_pixels"
        ) from None
    except ValueError:
        # Pillow's own limit on text and colour-profile chunks (zTXt, iTXt, iCCP) that decompress to
        # megabytes: a metadata bomb, never a camera's file.
        raise _metadata_bomb() from None
    if fmt not in FORMATS:
        raise ImageRejected(
            _("%(format)s images are not supported. Send a JPEG, PNG, WebP or HEIC photo.") % {"format": fmt},
            reason="unsupported_type"
        )
    if width * height > max_pixels:
        raise ImageRejected(
            _("The image is %(w)s×%(h)s pixels, more than the %(limit)s megapixels allowed.") % {
                "w": width, "h": height, "limit": formats.number(max_pixels / 1e6)},
            reason="too_many_pixels",
        )
    _check_complete(data, image, fmt)
    content_type, ext = FORMATS[fmt]
    exif = _read_exif(image)
    orientation = int(exif.get("Orientation", 1) or 1)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageFacts(
        content_type=content_type,
        ext=ext,
        width=width,
        height=height,
        orientation=orientation if 1 <= orientation <= 8 else 1,
        taken_at=_taken_at(exif),
        has_exif=bool(exif),
        latitude=exif.get("_lat"),
        longitude=exif.get("_lon"),
        device=" ".join(str(exif.get(k, "")).strip() for k in ("Make", "Model")).strip()[:120],
        software=str(exif.get("Software", "")).strip()[:120],
    )


def _check_complete(data: bytes, image: Image.Image, fmt: str) -> None:
    """Refuse files cut short in transit, which would otherwise fail later in the worker."""
    truncated = ImageRejected(_("The photo arrived incomplete (the file is cut short). Upload it again."),
                              reason="truncated")
    if fmt in ("JPEG", "MPO"):
        # A complete JPEG ends with the EOI marker; phones may pad a few bytes after it. In an MPO the
        # last image's EOI ends the file.
        if b"\xff\xd9" not in data[-1024:]:
            raise truncated
        return
    if fmt == "HEIF":
        # pillow-heif reads the header boxes only, so a cut-off file opens fine and fails in the worker.
        # The file is a run of boxes, each with its length: they must add up to the file.
        if not _boxes_complete(data):
            raise truncated
        return
    try:
        image.verify()
    except ValueError:
        raise _metadata_bomb() from None
    except Exception:
        raise truncated from None


def _metadata_bomb() -> ImageRejected:
    return ImageRejected(_("The file carries metadata (text or a colour profile) that unpacks to far more than "
                           "any photo's: it is refused. Send the photo as the camera saved it."),
                         reason="metadata_bomb")


def _boxes_complete(data: bytes) -> bool:
    """True when the ISO base media file's top-level boxes (ftyp, meta, mdat, ...) end where the file does."""
    offset, end = 0, len(data)
    while offset < end:
        if end - offset < 8:
            return False
        size, = struct.unpack(">I", data[offset:offset + 4])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if end - offset < 16:
                return False
            size, = struct.unpack(">Q", data[offset + 8:offset + 16])
            header = 16
        elif size == 0:  # the last box runs to the end of the file
            return True
        if size < header or offset + size > end:
            return False
        offset += size
    return True


def _read_exif(image: Image.Image) -> dict:
    try:
        raw = image.getexif()
    except Exception:
        return {}
    out: dict = {}
    for tag, value in raw.items():
        out[ExifTags.TAGS.get(tag, str(tag))] = value
    try:
        for tag, value in raw.get_ifd(ExifTags.IFD.Exif).items():
            out[ExifTags.TAGS.get(tag, str(tag))] = value
        gps = raw.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps = {}
    if gps:
        lat = _gps_degrees(gps.get(2), gps.get(1))
        lon = _gps_degrees(gps.get(4), gps.get(3))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            out["_lat"], out["_lon"] = lat, lon
    return out


def _gps_degrees(value, ref) -> float | None:
    try:
        degrees, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if str(ref).upper().startswith(("S", "W")):
        result = -result
    return result


def _taken_at(exif: dict) -> datetime | None:
    raw = exif.get("DateTimeOriginal") or exif.get("DateTime")
    if not raw:
        return None
    try:
        naive = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = str(exif.get("OffsetTimeOriginal") or exif.get("OffsetTime") or "").strip("\x00 ")
    tz = UTC
    if len(offset) == 6 and offset[0] in "+-":
        try:
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        except ValueError:
            pass
    return naive.replace(tzinfo=tz)
