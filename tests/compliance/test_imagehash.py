"""Near-duplicate search on generated shelf photos: planted copies are caught, re-takes are not."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pytest
from PIL import Image

from shelfai.authenticity import imagehash as ih
from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf


@pytest.fixture(scope="module")
def shelf():
    """One layout photographed twice (different light, angle, noise): distinct photos, same shelf."""
    rng = np.random.default_rng(7)
    catalog = random_catalog(20, 5, rng)
    layout = random_layout(catalog.codes, rng)
    options = RenderOptions(size=(800, 600))
    first = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(1), options=options).image
    second = render_shelf(layout, catalog.pack_images, rng=np.random.default_rng(3), options=options).image
    return first, second


def jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def crop(image: np.ndarray, fx: float, fy: float, keep: float = 0.9) -> np.ndarray:
    h, w = image.shape[:2]
    return image[int(h * fy) : int(h * (fy + keep)), int(w * fx) : int(w * (fx + keep))]


COPIES = {
    "resized to 50%": lambda im: jpeg(cv2.resize(im, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)),
    "JPEG quality 60": lambda im: jpeg(im, 60),
    "20% brighter": lambda im: jpeg(cv2.convertScaleAbs(im, alpha=1.2)),
    "20% darker": lambda im: jpeg(cv2.convertScaleAbs(im, alpha=0.8)),
    "cropped 10% at a corner": lambda im: jpeg(crop(im, 0.1, 0.1)),
    "cropped 10% off-centre": lambda im: jpeg(crop(im, 0.03, 0.07)),
    "10% cut off one side": lambda im: jpeg(im[:, int(im.shape[1] * 0.1) :]),
    "all at once": lambda im: jpeg(
        cv2.convertScaleAbs(cv2.resize(crop(im, 0.06, 0.02), None, fx=0.5, fy=0.5), alpha=0.8), 60
    ),
}


@pytest.mark.parametrize("kind", COPIES)
def test_a_transformed_copy_is_caught(shelf, kind):
    original = ih.image_hashes(jpeg(shelf[0]))
    copy = ih.image_hashes(COPIES[kind](shelf[0]))

    stored_keys = {(band, value) for _, band, value in ih.index_entries(original)}
    assert stored_keys & set(ih.query_bands(copy)), "the index lookup must return the original"
    match = ih.compare(copy, original.windows, original.fingerprint)
    assert match.is_duplicate, match


TURNS = {  # how a re-used photo comes back turned or mirrored, by the name the flag gives it
    "rotated 90° clockwise": lambda im: cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE),
    "rotated 180°": lambda im: cv2.rotate(im, cv2.ROTATE_180),
    "rotated 90° anticlockwise": lambda im: cv2.rotate(im, cv2.ROTATE_90_COUNTERCLOCKWISE),
    "mirrored left to right": lambda im: cv2.flip(im, 1),
    "mirrored top to bottom": lambda im: cv2.flip(im, 0),
    "mirrored and rotated": lambda im: cv2.transpose(im),
}


@pytest.mark.parametrize("kind", TURNS)
def test_a_turned_or_mirrored_copy_is_caught_and_named(shelf, kind):
    original = ih.image_hashes(jpeg(shelf[0]))
    turned = TURNS[kind](cv2.resize(shelf[0], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    variants = ih.oriented_hashes(jpeg(turned, 70))

    as_sent = variants[0][1]
    assert not ih.compare(as_sent, original.windows, original.fingerprint).is_duplicate, "needs the turn"
    whole_frame_rows = set(enumerate(ih.hash_bands(original.full)))  # turned keys look up these only
    turned_keys = {key for _, hashes in variants[1:] for key in ih.query_bands(hashes)}
    assert whole_frame_rows & turned_keys, "the index lookup must return the original"
    name, hashes, _ = ih.nearest_orientation(variants, original.windows)
    assert name == kind
    assert ih.compare(hashes, original.windows, original.fingerprint).is_duplicate


def test_an_unturned_copy_keeps_its_plain_name(shelf):
    original = ih.image_hashes(jpeg(shelf[0]))
    variants = ih.oriented_hashes(jpeg(shelf[0], 60))

    assert [name for name, _ in variants][:1] == [""] and len(variants) == 8
    assert ih.nearest_orientation(variants, original.windows)[0] == ""


def test_a_mirrored_new_photo_of_the_same_shelf_is_not_a_duplicate(shelf):
    first = ih.image_hashes(jpeg(shelf[0]))
    for _, hashes in ih.oriented_hashes(jpeg(cv2.flip(shelf[1], 1))):
        assert not ih.compare(hashes, first.windows, first.fingerprint).is_duplicate


def test_an_earlier_crop_is_found_from_the_full_photo(shelf):
    earlier_crop = ih.image_hashes(jpeg(crop(shelf[0], 0.1, 0.0)))
    full = ih.image_hashes(jpeg(shelf[0]))

    whole_frame_rows = set(enumerate(ih.hash_bands(earlier_crop.full)))
    assert whole_frame_rows & set(ih.reverse_query_bands(full))
    assert ih.compare(full, earlier_crop.windows, earlier_crop.fingerprint).is_duplicate


def test_a_new_photo_of_the_same_shelf_is_not_a_duplicate(shelf):
    first, second = (ih.image_hashes(jpeg(im)) for im in shelf)
    match = ih.compare(second, first.windows, first.fingerprint)

    assert not match.is_duplicate
    # The coarse hash alone can confuse two photos of one unchanged shelf; the pixel check must not.
    assert ih.fingerprint_similarity(second.fingerprint, first.fingerprint) < ih.VERIFY_SIMILARITY


def test_bands_share_at_least_one_value_within_three_bits():
    rng = random.Random(3)
    for _ in range(300):
        h = rng.getrandbits(64)
        flipped = h
        for bit in rng.sample(range(64), 3):
            flipped ^= 1 << bit
        assert ih.hamming(h, flipped) == 3
        assert set(enumerate(ih.hash_bands(h))) & set(enumerate(ih.hash_bands(flipped)))


def test_query_keys_stay_few_for_a_fast_index():
    hashes = ih.image_hashes(np.random.default_rng(0).integers(0, 255, (120, 160), dtype=np.uint8))

    assert len(ih.query_bands(hashes)) <= ih.N_BANDS + ih.PROBE_BITS
    assert len(ih.index_entries(hashes)) == len(ih.WINDOWS) * ih.N_BANDS


def test_hashes_fit_a_signed_bigint_and_come_back():
    for h in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        signed = ih.to_signed64(h)
        assert -(2**63) <= signed < 2**63
        assert ih.from_signed64(signed) == h
        assert ih.hamming(signed, h) == 0


def test_channel_order_and_exif_orientation_do_not_change_the_hash(shelf):
    bgr = shelf[0]
    rgb = bgr[:, :, ::-1]
    assert ih.perceptual_hash(bgr) == ih.perceptual_hash(rgb)

    upright = Image.fromarray(np.ascontiguousarray(rgb))
    stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)  # pixels on their side ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... and the tag that says "turn 90 degrees clockwise to display"
    buf = io.BytesIO()
    stored_sideways.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    assert ih.hamming(ih.perceptual_hash(buf.getvalue()), ih.perceptual_hash(jpeg(bgr))) <= 4


def test_fingerprints_survive_storage(shelf):
    fp = ih.image_hashes(shelf[0]).fingerprint

    assert np.array_equal(ih.decode_fingerprint(ih.encode_fingerprint(fp)), fp)
    assert max(fp.shape) == ih.FINGERPRINT_SIDE
    with pytest.raises(ValueError, match="recompute"):
        ih.decode_fingerprint(b"not a png")


def test_tiny_or_empty_images_are_refused():
    with pytest.raises(ValueError, match="at least 8x8"):
        ih.image_hashes(np.zeros((4, 4), np.uint8))
