"""Photo intake decoding and the analysis pipeline, without weights files: the detector is a stand-in that
returns the generated scene's true boxes, so what is checked here is the pipeline's own contract."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from shelfai.vision import pipeline
from shelfai.vision.pipeline import analyze_image, load_oriented_image
from shelfai.vision.types import UNKNOWN_SKU, ImageRejected, QualityVerdict


def _jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, **kwargs)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_bomb(side: int = 40_000) -> bytes:
    """A genuine decompression bomb: a 1-bit side x side PNG of zeros, a few hundred KB on disk."""
    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _two_tone(width: int = 64, height: int = 32) -> Image.Image:
    """Left half red, right half blue: where the red ends up shows how the image was turned."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (220, 20, 20)
    pixels[:, width // 2 :] = (20, 20, 220)
    return Image.fromarray(pixels)


def test_it_decodes_a_jpeg_to_bgr_pixels():
    image = load_oriented_image(_jpeg(_two_tone()))
    assert image.shape == (32, 64, 3) and image.dtype == np.uint8
    assert image[16, 5, 2] > 150 and image[16, 5, 0] < 80  # red is the last channel in BGR


def test_it_turns_a_portrait_photo_upright_using_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90 degrees clockwise
    image = load_oriented_image(_jpeg(_two_tone(), exif=exif.tobytes()))
    assert image.shape[:2] == (64, 32)  # portrait, as the phone showed it
    assert image[5, 16, 2] > 150  # the stored left (red) half is now on top
    assert image[58, 16, 0] > 150  # and the blue half at the bottom


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_it_accepts_png_and_webp(fmt):
    buffer = io.BytesIO()
    _two_tone().save(buffer, format=fmt)
    assert load_oriented_image(buffer.getvalue()).shape == (32, 64, 3)


def test_it_accepts_heic_photos_from_iphones():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    _two_tone().save(buffer, format="HEIF")
    image = load_oriented_image(buffer.getvalue())
    assert image.shape == (32, 64, 3)
    assert image[16, 5, 2] > 150  # still red on the left


def test_it_rejects_an_empty_file():
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(b"")
    assert excinfo.value.reason == "empty" and "empty" in str(excinfo.value)


def test_it_rejects_text_named_like_a_jpeg():
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(b"this is my shopping list, not a photo\n" * 20)
    assert excinfo.value.reason == "not_an_image"
    assert "JPEG" in str(excinfo.value)  # tells the user what to send instead


def test_it_rejects_a_truncated_jpeg():
    data = _jpeg(Image.fromarray(np.random.default_rng(0).integers(0, 255, (400, 400, 3), np.uint8)))
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(data[: len(data) // 2])
    assert excinfo.value.reason == "truncated"


def test_it_refuses_a_decompression_bomb_before_decoding_it():
    bomb = _png_bomb()
    assert len(bomb) < 2_000_000  # tiny on disk, 1.6 gigapixels decoded
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(bomb)
    assert excinfo.value.reason == "too_many_pixels"
    assert "limit is 64 MP" in str(excinfo.value)


def test_the_pixel_limit_is_configurable():
    data = _jpeg(_two_tone(200, 100))
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(data, max_pixels=10_000)
    assert "200 x 100" in str(excinfo.value)
    assert load_oriented_image(data, max_pixels=20_000).shape == (100, 200, 3)


def test_it_rejects_unsupported_image_types():
    buffer = io.BytesIO()
    _two_tone().save(buffer, format="GIF")
    with pytest.raises(ImageRejected) as excinfo:
        load_oriented_image(buffer.getvalue())
    assert excinfo.value.reason == "unsupported_type"


# --------------------------------------------------------------------------------------------- analysis
class _TruthDetector:
    """Stands in for the YOLO model: returns the boxes it was given."""

    def __init__(self, boxes):
        self.boxes = boxes
        self.calls = 0

    def detect(self, images):
        self.calls += 1
        return [list(self.boxes) for _ in images]


class _FakeCatalog:
    def identify(self, image, boxes):
        return [("SKU-1", 0.9) if b.cx < image.shape[1] / 2 else (UNKNOWN_SKU, 0.4) for b in boxes]


@pytest.fixture
def scene():
    from shelfai.vision.offline.synthetic import RenderOptions, ShelfLayout, random_catalog, render_shelf

    rng = np.random.default_rng(3)
    catalog = random_catalog(6, 2, rng)
    a, b = catalog.codes[:2]
    layout = ShelfLayout.from_rows([[(a, 6), (None, 2), (b, 6)], [(b, 7), (a, 7)], [(a, 14)]])
    return render_shelf(layout, catalog.pack_images, rng=rng,
                        options=RenderOptions(size=(960, 720), perspective=0.02, occlusion_rate=0.0))


def _gate(ok: bool, reason: str = "The photo is blurred: hold the phone still and retake it."):
    def assess_quality(image, boxes=None):
        return QualityVerdict(ok=ok, reasons=[] if ok else [reason])

    return assess_quality


def test_a_good_photo_gets_rows_gaps_and_skus(scene, monkeypatch):
    monkeypatch.setattr(pipeline, "_quality_gate", lambda: _gate(True))
    boxes = [f.box for f in scene.facings]
    result = analyze_image(scene.image, detector=_TruthDetector(boxes), catalog=_FakeCatalog())
    assert result.quality.ok
    assert (result.width, result.height) == (960, 720)
    assert len(result.facings) == len(boxes)
    assert sorted({r.level for r in result.rows}) == [1, 2, 3]
    assert [f.row for f in result.facings] == [f.row for f in scene.facings]
    planted = scene.gaps[0]
    assert [g.row for g in result.gaps] == [1]
    found = result.gaps[0].box
    assert found.x1 < planted.box.cx < found.x2
    assert {f.sku for f in result.facings} == {"SKU-1", UNKNOWN_SKU}
    assert {"quality", "detect", "rows", "gaps", "sku"} <= set(result.timings_ms)


def test_a_bad_photo_is_never_reported_as_an_empty_shelf(scene, monkeypatch):
    monkeypatch.setattr(pipeline, "_quality_gate", lambda: _gate(False))
    empty_shelf = np.zeros_like(scene.image)
    detector = _TruthDetector([])
    result = analyze_image(empty_shelf, detector=detector)
    assert not result.quality.ok
    assert result.quality.reasons == ["The photo is blurred: hold the phone still and retake it."]
    assert result.gaps == [] and result.rows == []
    assert detector.calls == 0  # refused before paying for detection


def test_a_photo_refused_after_detection_still_reports_no_gaps(scene, monkeypatch):
    def assess_quality(image, boxes=None):
        if boxes is None:
            return QualityVerdict(ok=True)
        return QualityVerdict(ok=False, reasons=["This does not look like a shelf."])

    monkeypatch.setattr(pipeline, "_quality_gate", lambda: assess_quality)
    boxes = [f.box for f in scene.facings]
    result = analyze_image(scene.image, detector=_TruthDetector(boxes))
    assert not result.quality.ok and result.gaps == [] and result.rows == []


def test_without_a_catalog_every_facing_is_unknown(scene, monkeypatch):
    monkeypatch.setattr(pipeline, "_quality_gate", lambda: _gate(True))
    result = analyze_image(scene.image, detector=_TruthDetector([f.box for f in scene.facings]))
    assert result.facings and all(f.sku == UNKNOWN_SKU for f in result.facings)


def test_the_real_quality_gate_refuses_a_black_frame(monkeypatch):
    pytest.importorskip("shelfai.vision.quality")
    detector = _TruthDetector([])
    result = analyze_image(np.zeros((3000, 4000, 3), np.uint8), detector=detector)
    assert not result.quality.ok and result.quality.reasons
    assert result.gaps == []


def test_a_big_jpeg_can_be_decoded_smaller_for_speed():
    data = _jpeg(_two_tone(1600, 1200))
    image = load_oriented_image(data, max_side=700)
    assert image.shape[:2] == (600, 800)  # libjpeg's 1/2 scale: the nearest one not below 700 px
    assert load_oriented_image(data).shape[:2] == (1200, 1600)
