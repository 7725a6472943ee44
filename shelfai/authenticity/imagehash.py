"""Near-duplicate photos: a perceptual hash with an index scheme, and a pixel check that confirms.

Why three stages (figures from ``bench/near_duplicates.py`` on SKU-110K shelf photos):

1. **Index** (``hash_bands`` / ``query_bands``): each stored photo is hashed on 14 *windows* (the whole
   frame, nine 90 % crops and four one-sided 90 % crops), because a plain perceptual hash does not
   survive a 10 % crop (distance 14-20 of 64 bits, the same as unrelated shelves). Each window hash
   is split into 4 bands of 16 bits stored as exact-match index rows. A query looks up its own
   whole-frame bands plus the bands obtained by flipping its 16 least certain bits (those whose DCT
   coefficient lies nearest the median), i.e. 20 exact keys. The pigeonhole bound alone guarantees
   a shared band only up to distance 3; with the weak-bit probes the bench measures the share of
   transformed copies found by the lookup.
2. **Hash distance**: a candidate is kept when its Hamming distance is at most ``MATCH_DISTANCE``:
   the query's whole frame against any stored window, or the other way round (the stored photo is a
   crop of the new one).
3. **Pixel check** (``fingerprint_similarity``): two *different* photos of the same unchanged shelf
   (same planogram, same store) share their coarse layout and so their hash; a re-used photo also
   shares its fine detail. A 192-pixel grey thumbnail of each photo is stored; the query's is
   aligned onto it (scale and shift search, as left by a crop and a resize) and their high-pass
   images are correlated. A copy scores near 1, a re-taken photo of the same shelf far lower.

**Turned and mirrored copies** (``oriented_hashes``): a re-used photo may come back on its side (a
messenger dropped the EXIF orientation tag) or mirrored on purpose. Only the photo as it is gets
indexed; a lookup hashes the new photo in all 8 orientations and looks up the 7 turned ones' keys
(whole-frame bands and ``TURNED_PROBE_BITS`` probes each) against stored whole frames only (a turned
copy is nearly always the whole frame turned), and each candidate is compared in the orientation
nearest to it (``nearest_orientation``). A copy both turned and cropped is therefore often missed.

All functions take a numpy image (H x W grey or H x W x 3 in any channel order: grey is the mean of
the channels, so BGR and RGB hash alike), a PIL image, or encoded file bytes (EXIF orientation
applied). Hashes are unsigned 64-bit ints; ``to_signed64`` converts for a PostgreSQL bigint.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

MATCH_DISTANCE = 12  # bits of 64; see bench/near_duplicates.py for the curve
VERIFY_SIMILARITY = 0.80  # fingerprint correlation above which a candidate is a copy
N_BANDS = 4
BAND_BITS = 64 // N_BANDS
PROBE_BITS = 16  # weakest query bits flipped one at a time for extra lookup keys
# The same for each of a photo's 7 turned orientations. A turned copy is the whole frame turned and
# re-encoded, within a few bits of the stored hash: on 80 SKU-110K photos turned 90/180/270 degrees
# or mirrored, halved, brightened and re-saved at JPEG quality 50-60, 4 probes found all of them
# (none: 399 of 400); each probe adds 7 keys to every lookup.
TURNED_PROBE_BITS = 4
WORK_SIDE = 256  # long side of the grey image the hashes are computed on
FINGERPRINT_SIDE = 192
MASK64 = (1 << 64) - 1

# (x1, y1, x2, y2) as fractions of the frame; index 0 is the whole frame.
WINDOWS: tuple[tuple[float, float, float, float], ...] = (
    ((0.0, 0.0, 1.0, 1.0),)
    + tuple((x, y, x + 0.9, y + 0.9) for x in (0.0, 0.05, 0.1) for y in (0.0, 0.05, 0.1))
    + ((0.0, 0.0, 0.9, 1.0), (0.1, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0, 0.9), (0.0, 0.1, 1.0, 1.0))
)


def _zigzag_lowest(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the ``n`` lowest-frequency AC coefficients of a DCT, in zigzag order."""
    cells = sorted(
        ((i, j) for i in range(16) for j in range(16)),
        key=lambda p: (p[0] + p[1], p[0] if (p[0] + p[1]) % 2 else p[1]),
    )
    chosen = cells[1 : n + 1]  # skip DC: it only measures overall brightness
    return np.array([c[0] for c in chosen]), np.array([c[1] for c in chosen])


_ZZ_ROWS, _ZZ_COLS = _zigzag_lowest(64)
_BIT_VALUES = [1 << (63 - i) for i in range(64)]


@dataclass(frozen=True, slots=True)
class ImageHashes:
    windows: tuple[int, ...]  # one 64-bit hash per entry of WINDOWS; [0] is the whole frame
    weak_bits: tuple[int, ...]  # bit numbers (0 = most significant) of windows[0], least certain first
    fingerprint: np.ndarray  # uint8 grey thumbnail, long side FINGERPRINT_SIDE

    @property
    def full(self) -> int:
        return self.windows[0]


def load_grey(image: np.ndarray | Image.Image | bytes) -> np.ndarray:
    """Float32 grey image with its long side at most WORK_SIDE (mean of channels, EXIF-oriented)."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        pil = Image.open(io.BytesIO(bytes(image)))
        pil.draft("RGB", (WORK_SIDE * 2, WORK_SIDE * 2))  # JPEG: decode at reduced size, much faster
        image = ImageOps.exif_transpose(pil)
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3:
        array = array[:, :, :3].mean(axis=2)
    if array.ndim != 2 or min(array.shape) < 8:
        raise ValueError(f"Expected an image of at least 8x8 pixels, got an array of shape {np.shape(image)}")
    h, w = array.shape
    scale = WORK_SIDE / max(h, w)
    if scale < 1:
        array = cv2.resize(
            array, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    return np.ascontiguousarray(array)


def _window(grey: np.ndarray, frac: tuple[float, float, float, float]) -> np.ndarray:
    h, w = grey.shape
    return grey[int(frac[1] * h) : round(frac[3] * h), int(frac[0] * w) : round(frac[2] * w)]


def _coefficients(grey: np.ndarray) -> np.ndarray:
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
    return cv2.dct(small)[_ZZ_ROWS, _ZZ_COLS]


def _pack(bits: np.ndarray) -> int:
    return sum(v for v, b in zip(_BIT_VALUES, bits.tolist(), strict=True) if b)


def perceptual_hash(image: np.ndarray | Image.Image | bytes) -> int:
    """64-bit DCT hash of the whole frame: 64 lowest AC frequencies above/below their median."""
    coefficients = _coefficients(load_grey(image))
    return _pack(coefficients > np.median(coefficients))


def fingerprint(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    scale = min(1.0, FINGERPRINT_SIDE / max(h, w))
    small = cv2.resize(
        grey, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return np.clip(small + 0.5, 0, 255).astype(np.uint8)


def image_hashes(image: np.ndarray | Image.Image | bytes) -> ImageHashes:
    """Everything the duplicate search stores for a photo: window hashes, weak bits, fingerprint."""
    grey = load_grey(image)
    hashes = []
    weak: tuple[int, ...] = ()
    for i, frac in enumerate(WINDOWS):
        coefficients = _coefficients(_window(grey, frac))
        median = np.median(coefficients)
        hashes.append(_pack(coefficients > median))
        if i == 0:
            weak = tuple(int(b) for b in np.argsort(np.abs(coefficients - median), kind="stable"))
    return ImageHashes(tuple(hashes), weak, fingerprint(grey))


# The eight ways a photo can lie (turned by quarter turns, mirrored or not): how to turn the new photo
# back, and what the new photo then is relative to the one it copies. Every entry is its own
# inverse except the two quarter turns, which are each other's.
ORIENTATIONS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("", lambda a: a),
    ("rotated 90° anticlockwise", lambda a: np.rot90(a, -1)),
    ("rotated 180°", lambda a: np.rot90(a, 2)),
    ("rotated 90° clockwise", lambda a: np.rot90(a, 1)),
    ("mirrored left to right", np.fliplr),
    ("mirrored top to bottom", np.flipud),
    ("mirrored and rotated", np.transpose),
    ("mirrored and rotated", lambda a: np.rot90(a, 2).T),
)


def oriented_hashes(image: np.ndarray | Image.Image | bytes) -> list[tuple[str, ImageHashes]]:
    """``image_hashes`` of the photo as it is (first, named "") and turned back each of the 7 other
    ways, named by what the photo is if one of them matches: a re-used photo is often sent turned
    (EXIF orientation dropped by a messenger) or mirrored to dodge a duplicate check. The hashes are
    computed on the small grey image: ~2 ms CPU per extra orientation, against ~55 ms for decoding a
    12 MP JPEG and hashing it once."""
    grey = load_grey(image)
    return [(name, image_hashes(np.ascontiguousarray(turn(grey)))) for name, turn in ORIENTATIONS]


def hamming(a: int, b: int) -> int:
    """Differing bits of two 64-bit hashes (signed or unsigned form)."""
    return ((a ^ b) & MASK64).bit_count()


def to_signed64(h: int) -> int:
    h &= MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def from_signed64(h: int) -> int:
    return h & MASK64


def hash_bands(h: int) -> list[int]:
    """The 4 bands of 16 bits (most significant first); list index = band number.

    Two hashes within distance 3 always share a band exactly (pigeonhole); farther ones often do,
    because the bits that flip under recompression or a crop cluster in a few weak coefficients.
    """
    h &= MASK64
    return [(h >> (64 - BAND_BITS * (b + 1))) & ((1 << BAND_BITS) - 1) for b in range(N_BANDS)]


def index_entries(hashes: ImageHashes) -> list[tuple[int, int, int]]:
    """``(window, band, value)`` rows to store for a photo: every window, every band."""
    return [(w, b, v) for w, h in enumerate(hashes.windows) for b, v in enumerate(hash_bands(h))]


def query_bands(hashes: ImageHashes, probe_bits: int = PROBE_BITS) -> list[tuple[int, int]]:
    """``(band, value)`` keys to look up for a new photo, against stored rows of *any* window.

    The whole-frame bands, plus for each of the ``probe_bits`` least certain bits the band it falls
    in with that bit flipped.
    """
    keys = dict.fromkeys(enumerate(hash_bands(hashes.full)))
    for bit in hashes.weak_bits[:probe_bits]:
        keys[(bit // BAND_BITS, hash_bands(hashes.full ^ _BIT_VALUES[bit])[bit // BAND_BITS])] = None
    return list(keys)


def reverse_query_bands(hashes: ImageHashes) -> list[tuple[int, int]]:
    """Keys to look up against stored *whole-frame* rows (window 0) only: finds an earlier upload
    that is a crop of this photo."""
    keys = dict.fromkeys((b, v) for h in hashes.windows[1:] for b, v in enumerate(hash_bands(h)))
    return list(keys)


def hash_distance(query_windows: Sequence[int], stored_windows: Sequence[int]) -> int:
    """Smallest distance between either photo's whole frame and any window of the other."""
    forward = min(hamming(query_windows[0], h) for h in stored_windows)
    backward = min(hamming(h, stored_windows[0]) for h in query_windows)
    return min(forward, backward)


def nearest_orientation(
    variants: Sequence[tuple[str, ImageHashes]], stored_windows: Sequence[int]
) -> tuple[str, ImageHashes, int]:
    """The ``oriented_hashes`` entry whose hash lies nearest a stored photo's, with that distance
    (``hash_distance``); the first (the photo as it is) wins ties, so a turned copy is only claimed
    when turning brings it closer. Vectorised: it runs for each of up to 50 candidates of every lookup."""
    query = np.array([hashes.windows for _, hashes in variants], dtype=np.uint64)  # (orientations, windows)
    stored = np.array([h & MASK64 for h in stored_windows], dtype=np.uint64)
    forward = np.bitwise_count(query[:, :1] ^ stored[None, :]).min(axis=1)
    backward = np.bitwise_count(query ^ stored[0]).min(axis=1)
    distances = np.minimum(forward, backward)
    best = int(np.argmin(distances))
    return *variants[best], int(distances[best])


def _high_pass(grey: np.ndarray, sigma: float) -> np.ndarray:
    grey = grey.astype(np.float32)
    return grey - cv2.GaussianBlur(grey, (0, 0), sigma)


def _best_alignment(
    big_hp: np.ndarray,
    small_hp: np.ndarray,
    scales: np.ndarray,
    around: tuple[int, int] | None = None,
    radius: int = 4,
) -> tuple[float, float, tuple[int, int]]:
    """Best normalised correlation of ``small_hp`` resized by each scale and slid over ``big_hp``.

    Both are already high-passed: resizing by a factor near 1 commutes with the filter closely
    enough, and filtering once instead of once per scale halves the cost.
    """
    hb, wb = big_hp.shape
    hs, ws = small_hp.shape
    best = (-1.0, 1.0, (0, 0))
    for scale in scales:
        size = (round(ws * scale), round(hs * scale))
        if size[0] > wb or size[1] > hb or min(size) < 8:
            continue
        template = cv2.resize(small_hp, size, interpolation=cv2.INTER_LINEAR)
        x0 = y0 = 0
        region = big_hp
        if around is not None:
            x0, y0 = max(0, around[0] - radius), max(0, around[1] - radius)
            region = big_hp[
                y0 : min(hb, around[1] + radius + size[1]), x0 : min(wb, around[0] + radius + size[0])
            ]
            if region.shape[0] < size[1] or region.shape[1] < size[0]:
                continue
        _, value, _, loc = cv2.minMaxLoc(cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED))
        if value > best[0]:
            best = (float(value), float(scale), (loc[0] + x0, loc[1] + y0))
    return best


def _contained_similarity(big: np.ndarray, small: np.ndarray) -> float:
    """How well ``small`` matches some crop of ``big`` covering 86-100 % of it, at any shift.

    Coarse search at half resolution over scale in 1 % steps, then a fine one around the best match.
    """
    hb, wb = big.shape
    hs, ws = small.shape
    fit = min(wb / ws, hb / hs)  # scale at which small fills big along one side
    big_half = cv2.resize(big, (wb // 2, hb // 2), interpolation=cv2.INTER_AREA)
    small_half = cv2.resize(small, (max(8, ws // 2), max(8, hs // 2)), interpolation=cv2.INTER_AREA)
    half_fit = min(big_half.shape[1] / small_half.shape[1], big_half.shape[0] / small_half.shape[0])
    _, coarse, loc = _best_alignment(
        _high_pass(big_half, 2.0), _high_pass(small_half, 2.0), half_fit * np.linspace(1.0, 0.86, 15)
    )
    scale = coarse / half_fit * fit
    fine = np.linspace(scale * 0.98, min(fit, scale * 1.02), 9)
    big_hp, small_hp = _high_pass(big, 1.5), _high_pass(small, 1.5)
    value, scale, loc = _best_alignment(big_hp, small_hp, fine, around=(loc[0] * 2, loc[1] * 2))
    if value < 0.5:  # nowhere near a copy: sub-pixel shifts cannot change the verdict
        return value
    return max(value, _subpixel(big_hp, small_hp, scale, loc))


def _subpixel(big_hp: np.ndarray, small_hp: np.ndarray, scale: float, loc: tuple[int, int]) -> float:
    """Correlation at the best of a few half- and quarter-pixel shifts around an integer match.

    A crop rarely falls on whole thumbnail pixels; without this a copy loses ~0.05 of similarity.
    (The 5x5 integer shifts of matchTemplate plus thirds of a pixel leave at most 1/6 pixel error.)
    """
    hs, ws = small_hp.shape
    size = (round(ws * scale), round(hs * scale))
    x, y = loc
    region = big_hp[y : y + size[1], x : x + size[0]]
    if region.shape != (size[1], size[0]):
        return -1.0
    best = -1.0
    for dx in (-1 / 3, 0.0, 1 / 3):
        for dy in (-1 / 3, 0.0, 1 / 3):
            # small pixel (u, v) lands at big pixel (u * sx + dx, v * sy + dy), relative to loc
            matrix = np.float32([[size[0] / ws, 0, dx], [0, size[1] / hs, dy]])
            warped = cv2.warpAffine(
                small_hp, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
            value = float(cv2.matchTemplate(region, warped[2:-2, 2:-2], cv2.TM_CCOEFF_NORMED).max())
            best = max(best, value)
    return best


def fingerprint_similarity(query: np.ndarray, stored: np.ndarray) -> float:
    """-1..1: fine-detail correlation of two fingerprints after aligning either into the other.

    Tries the usual case first (the new photo is a crop or resize of the stored one) and stops
    there when that already shows a copy.
    """
    first = _contained_similarity(stored, query)
    if first >= VERIFY_SIMILARITY:
        return first
    return max(first, _contained_similarity(query, stored))


def encode_fingerprint(fp: np.ndarray) -> bytes:
    """Lossless PNG bytes (about 15-25 KB for a shelf photo) for storage next to the photo."""
    ok, data = cv2.imencode(".png", fp)
    if not ok:
        raise ValueError("Could not encode the fingerprint")
    return data.tobytes()


def decode_fingerprint(data: bytes) -> np.ndarray:
    fp = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if fp is None:
        raise ValueError("Stored fingerprint is not a readable PNG; recompute it from the original photo")
    return fp


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    distance: int  # hash distance, bits
    similarity: float  # fingerprint correlation
    is_duplicate: bool


def compare(
    query: ImageHashes, stored_windows: Sequence[int], stored_fingerprint: np.ndarray
) -> DuplicateMatch:
    """Stages 2 and 3 for one candidate the index returned."""
    distance = hash_distance(query.windows, stored_windows)
    if distance > MATCH_DISTANCE:
        return DuplicateMatch(distance, 0.0, False)
    similarity = fingerprint_similarity(query.fingerprint, stored_fingerprint)
    return DuplicateMatch(distance, round(similarity, 4), similarity >= VERIFY_SIMILARITY)
