"""Near-duplicate photos: share of transformed copies caught, false matches, and index lookup time.

    nice python bench/near_duplicates.py                 # real photos when ../shared/data is there
    nice python bench/near_duplicates.py --limit 60 --index-size 200000   # quicker

Photos: SKU-110K shelf photos (``sku110k_dev/images``) when present, and always generated scenes
(``shelfai.vision.offline.synthetic``): several layouts, each rendered with different seeds, i.e. distinct
photos of the *same* shelf layout, the hardest case for a perceptual hash.

Every photo gets transformed copies (resize 50 %, JPEG quality 60, brightness +-20 %, a centred 90 %
crop, a 90 % crop at a random offset, 10 % cut off one side, and all of them at once) and turned or
mirrored copies (rotated 90°, rotated 180° at quality 60, mirrored, mirrored after all of the
above), uploaded as JPEG bytes and looked up in all 8 orientations as the real lookup does (the
turned ones' keys against stored whole frames only). A copy is *caught* when the index lookup
finds its original, the hash distance is within ``MATCH_DISTANCE`` and the fingerprint check
confirms it. A *false match* is a pair of distinct photos that passes all three. Last, an
in-memory index of ``--index-size`` photos (random hashes plus the real ones) times the lookup the
database will do (the photo as it is only; ``bench/duplicate_search.py`` times the real one).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shelfai.authenticity import imagehash as ih  # noqa: E402
from shelfai.authenticity.recapture import recapture_score as ih_recapture  # noqa: E402
from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf  # noqa: E402


def shared_data() -> Path:
    return Path(os.environ.get("SHELFAI_SHARED_DATA", ROOT.parent / "shared" / "data"))


def jpeg_bytes(image: Image.Image, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def crop(image: Image.Image, fx: float, fy: float, keep_w: float, keep_h: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * fx), round(h * fy), round(w * (fx + keep_w)), round(h * (fy + keep_h))))


def transformed_copies(image: Image.Image, rng: random.Random) -> dict[str, bytes]:
    w, h = image.size
    side = rng.choice([(0.1, 0, 0.9, 1), (0, 0, 0.9, 1), (0, 0.1, 1, 0.9), (0, 0, 1, 0.9)])
    combined = crop(image, rng.uniform(0, 0.1), rng.uniform(0, 0.1), 0.9, 0.9)
    combined = combined.resize((combined.width // 2, combined.height // 2), Image.BILINEAR)
    combined = ImageEnhance.Brightness(combined).enhance(rng.choice([0.8, 1.2]))
    return {
        "resize 50%": jpeg_bytes(image.resize((w // 2, h // 2), Image.BILINEAR)),
        "JPEG q60": jpeg_bytes(image, 60),
        "brightness +20%": jpeg_bytes(ImageEnhance.Brightness(image).enhance(1.2)),
        "brightness -20%": jpeg_bytes(ImageEnhance.Brightness(image).enhance(0.8)),
        "crop 90% centred": jpeg_bytes(crop(image, 0.05, 0.05, 0.9, 0.9)),
        "crop 90% random offset": jpeg_bytes(crop(image, rng.uniform(0, 0.1), rng.uniform(0, 0.1), 0.9, 0.9)),
        "cut 10% off one side": jpeg_bytes(crop(image, *side)),
        "all at once": jpeg_bytes(combined, 60),
        "rotated 90°": jpeg_bytes(image.transpose(rng.choice([Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270]))),
        "rotated 180°, q60": jpeg_bytes(image.transpose(Image.Transpose.ROTATE_180), 60),
        "mirrored": jpeg_bytes(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        "mirrored + all at once": jpeg_bytes(combined.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 60),
    }


TURNED = ("rotated 90°", "rotated 180°, q60", "mirrored", "mirrored + all at once")


def real_photos(limit: int) -> list[Image.Image]:
    files = sorted((shared_data() / "sku110k_dev/images").glob("*/*.jpg"))[:limit]
    return [Image.open(f).convert("RGB") for f in files]


def generated_photos(layouts: int, seeds: int) -> tuple[list[Image.Image], list[int]]:
    """``layouts`` shelf layouts, each rendered ``seeds`` times: distinct photos of one layout."""
    rng = np.random.default_rng(11)
    catalog = random_catalog(30, 8, rng)
    photos, groups = [], []
    for group in range(layouts):
        layout = random_layout(catalog.codes, rng)
        for seed in range(seeds):
            scene = render_shelf(
                layout,
                catalog.pack_images,
                rng=np.random.default_rng(100 * group + seed),
                options=RenderOptions(size=(1280, 960)),
            )
            photos.append(Image.fromarray(cv2.cvtColor(scene.image, cv2.COLOR_BGR2RGB)))
            groups.append(group)
    return photos, groups


class Keys:
    """The index rows a photo stores and the keys it looks up (those of its 8 orientations, when
    given), as the database would use them."""

    def __init__(self, h: ih.ImageHashes, variants: list[tuple[str, ih.ImageHashes]] | None = None) -> None:
        self.stored = {(b, v) for _, b, v in ih.index_entries(h)}
        self.stored_whole = set(enumerate(ih.hash_bands(h.full)))
        self.query = set(ih.query_bands(h))  # against every window
        self.reverse = set(ih.reverse_query_bands(h))  # against whole frames, as are the turned ones:
        self.reverse |= {
            key for _, turned in (variants or [])[1:] for key in ih.query_bands(turned, ih.TURNED_PROBE_BITS)
        }


def index_hit(query: Keys, stored: Keys) -> bool:
    return bool(stored.stored & query.query) or bool(stored.stored_whole & query.reverse)


def caught_table(
    name: str, photos: list[Image.Image], stored: list[ih.ImageHashes], seed: int
) -> dict[bool, list[bool]]:
    rng = random.Random(seed)
    per_kind: dict[str, list[tuple[bool, bool, bool]]] = {}
    compare_ms = []
    for i, image in enumerate(photos):
        stored_keys = Keys(stored[i])
        for kind, data in transformed_copies(image, rng).items():
            variants = ih.oriented_hashes(data)
            hit = index_hit(Keys(variants[0][1], variants), stored_keys)
            t = time.perf_counter()
            _, query, _ = ih.nearest_orientation(variants, stored[i].windows)
            match = ih.compare(query, stored[i].windows, stored[i].fingerprint)
            compare_ms.append((time.perf_counter() - t) * 1000)
            per_kind.setdefault(kind, []).append(
                (hit, match.distance <= ih.MATCH_DISTANCE, match.is_duplicate)
            )
        if (i + 1) % 50 == 0:
            print(f"  {name}: {i + 1}/{len(photos)} photos", flush=True)
    print(f"\n{name}: transformed copies caught ({len(photos)} originals)")
    print(
        f"  {'transform':24s} {'index':>7s} {'hash<=' + str(ih.MATCH_DISTANCE):>9s} "
        f"{'confirmed':>10s} {'caught':>7s}"
    )
    everything: dict[bool, list[bool]] = {False: [], True: []}  # by "turned or mirrored"
    for kind, rows in per_kind.items():
        rows_a = np.array(rows)
        caught = rows_a.all(axis=1)
        everything[kind in TURNED].extend(caught.tolist())
        print(
            f"  {kind:24s} {rows_a[:, 0].mean():7.1%} {rows_a[:, 1].mean():9.1%} {rows_a[:, 2].mean():10.1%} "
            f"{caught.mean():7.1%}"
        )
    print(f"  {'all upright copies':24s} {'':7s} {'':9s} {'':10s} {np.mean(everything[False]):7.1%}  (target >= 95%)")
    print(f"  {'all turned or mirrored':24s} {'':7s} {'':9s} {'':10s} {np.mean(everything[True]):7.1%}")
    print(f"  hash + pixel check of one candidate: median {np.median(compare_ms):.1f} ms")
    return everything


def false_matches(name: str, variants: list[list[tuple[str, ih.ImageHashes]]], groups: list[int] | None) -> float:
    """Every pair of distinct photos through the same three stages, the later one looked up in all 8
    orientations (``variants[i][0]`` is photo i as it is, the one stored)."""
    stored = [v[0][1] for v in variants]
    windows = np.array([h.windows for h in stored], dtype=np.uint64)
    turned = np.array([[h.windows for _, h in v] for v in variants], dtype=np.uint64)  # (n, 8, windows)
    keys = [Keys(v[0][1], v) for v in variants]
    n = len(stored)
    pairs = same_pairs = turned_matches = 0
    passed = {"index": 0, "hash": 0, "match": 0}
    same_passed = {"index": 0, "hash": 0, "match": 0}
    similarities = []
    for i in range(n):
        others = windows[i + 1 :]
        forward = np.bitwise_count(others[:, None, :] ^ turned[i, None, :, :1]).min(axis=2)  # (m, 8)
        backward = np.bitwise_count(turned[i, None, :, :] ^ others[:, None, :1]).min(axis=2)
        distances = np.minimum(forward, backward)
        for k, (distance, orientation) in enumerate(zip(distances.min(axis=1).tolist(),
                                                        distances.argmin(axis=1).tolist(), strict=True)):
            j = i + 1 + k
            same = groups is not None and groups[i] == groups[j]
            pairs += 1
            same_pairs += same
            stages = [index_hit(keys[i], keys[j]) or index_hit(keys[j], keys[i])]
            stages.append(stages[0] and distance <= ih.MATCH_DISTANCE)
            if stages[1]:
                query = variants[i][orientation][1]
                similarity = ih.fingerprint_similarity(query.fingerprint, stored[j].fingerprint)
                similarities.append(similarity)
                stages.append(similarity >= ih.VERIFY_SIMILARITY)
                turned_matches += stages[2] and orientation != 0
            else:
                stages.append(False)
            for key, ok in zip(passed, stages, strict=True):
                passed[key] += ok
                same_passed[key] += ok and same
    print(f"\n{name}: false matches between {n} distinct photos ({pairs} pairs)")
    print(
        "  pairs passing  index: {index}  hash: {hash}  confirmed (= false match): {match}".format(**passed)
    )
    print(f"  false-match rate: {passed['match'] / max(pairs, 1):.3%} of pairs (target <= 1%); "
          f"{turned_matches} of the false matches only in a turned or mirrored orientation")
    if groups is not None:
        print(
            f"  same-layout pairs: {same_pairs}, passing index {same_passed['index']}, "
            f"hash {same_passed['hash']}, confirmed {same_passed['match']} -> "
            f"{same_passed['match'] / max(same_pairs, 1):.2%} of same-layout pairs"
        )
    if similarities:
        print(
            f"  fingerprint similarity of pairs that reached the pixel check: max {max(similarities):.3f}, "
            f"median {np.median(similarities):.3f} (threshold {ih.VERIFY_SIMILARITY})"
        )
    return passed["index"] / max(pairs, 1)


def index_timing(real: list[ih.ImageHashes], size: int, queries: int, real_hit_rate: float | None) -> None:
    """A sorted-array index per band, as a B-tree on (band, value) would be, over ``size`` photos."""
    rng = np.random.default_rng(3)
    n_windows = len(ih.WINDOWS)
    filler = rng.integers(0, 2**63, (max(0, size - len(real)), n_windows), dtype=np.uint64) * np.uint64(2)
    filler ^= rng.integers(0, 2, filler.shape, dtype=np.uint64)
    hashes = np.concatenate([np.array([h.windows for h in real], dtype=np.uint64), filler]).reshape(-1)
    photo_of = np.repeat(np.arange(len(hashes) // n_windows, dtype=np.int32), n_windows)
    t0 = time.perf_counter()
    bands = []
    for b in range(ih.N_BANDS):
        values = ((hashes >> np.uint64(64 - ih.BAND_BITS * (b + 1))) & np.uint64(0xFFFF)).astype(np.uint16)
        order = np.argsort(values, kind="stable").astype(np.int32)
        bands.append((values[order], order))
    print(
        f"\nIndex of {len(hashes) // n_windows:,} photos ({len(hashes):,} window hashes, "
        f"{len(hashes) * ih.N_BANDS:,} band rows) built in {time.perf_counter() - t0:.1f} s"
    )
    timings, candidates = [], []
    for q in real[:queries]:
        t = time.perf_counter()
        found = []
        for band, value in ih.query_bands(q):
            values, order = bands[band]
            key = np.uint16(value)  # same dtype, or numpy converts the whole column on every search
            lo, hi = np.searchsorted(values, key, "left"), np.searchsorted(values, key, "right")
            found.append(order[lo:hi])
        rows = np.unique(np.concatenate(found))
        close = rows[np.bitwise_count(hashes[rows] ^ np.uint64(q.full)) <= ih.MATCH_DISTANCE]
        _ = np.unique(photo_of[close])
        timings.append((time.perf_counter() - t) * 1000)
        candidates.append(len(rows))
    print(
        f"  lookup per photo: median {np.median(timings):.2f} ms, max {max(timings):.2f} ms "
        f"(target < 50 ms); index rows read: median {int(np.median(candidates))}, max {max(candidates)}"
    )
    if real_hit_rate is not None:
        print(
            f"  filler hashes are random; between real shelf photos the lookup hit {real_hit_rate:.2%} "
            "of pairs, "
            f"i.e. ~{real_hit_rate * size:,.0f} candidate photos per lookup at this size"
        )


def staged_photos(real: list[Image.Image], generated: list[Image.Image]) -> None:
    """recapture_score on genuine photos and on simulated screen and print recaptures of them."""
    from tests.compliance.staging import photograph_print, photograph_screen

    rng = np.random.default_rng(4)
    genuine = [cv2.cvtColor(np.asarray(p), cv2.COLOR_RGB2BGR) for p in real + generated]
    sources = genuine[:12] + genuine[-4:]
    sets = {
        "genuine photos": genuine,
        "screen, bezel in view": [photograph_screen(p, rng, pitch=int(rng.integers(2, 5))) for p in sources],
        "screen, bezel cropped out": [photograph_screen(p, rng, bezel=False) for p in sources],
        "halftone print": [photograph_print(p, rng) for p in sources],
    }
    print("\nstaged photos: recapture_score (simulated recaptures; flag at >= 0.5, critical at >= 0.8)")
    for name, images in sets.items():
        t = time.perf_counter()
        scores = np.array([ih_recapture(im) for im in images])
        ms = (time.perf_counter() - t) / len(images) * 1000
        print(
            f"  {name:28s} n={len(images):3d}  >=0.5: {np.mean(scores >= 0.5):6.1%}  "
            f">=0.8: {np.mean(scores >= 0.8):6.1%}"
            f"  ({ms:.0f} ms each)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=264, help="real photos to use (default: all 264)")
    parser.add_argument("--layouts", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=5, help="distinct renders per generated layout")
    parser.add_argument("--index-size", type=int, default=1_000_000)
    parser.add_argument("--only-index", action="store_true", help="skip copies and false matches")
    parser.add_argument("--only-staged", action="store_true", help="only the recapture (staged photo) check")
    args = parser.parse_args()
    if args.only_staged:
        staged_photos(real_photos(min(args.limit, 40)), generated_photos(2, 4)[0])
        return
    if args.only_index:
        real = real_photos(args.limit) or generated_photos(2, 5)[0]
        index_timing([ih.image_hashes(jpeg_bytes(p)) for p in real], args.index_size, 100, None)
        return
    print(
        f"MATCH_DISTANCE={ih.MATCH_DISTANCE} bits, VERIFY_SIMILARITY={ih.VERIFY_SIMILARITY}, "
        f"{len(ih.WINDOWS)} windows x {ih.N_BANDS} bands, {ih.PROBE_BITS} probe bits"
    )

    generated, groups = generated_photos(args.layouts, args.seeds)
    t = time.perf_counter()
    gen_variants = [ih.oriented_hashes(jpeg_bytes(p)) for p in generated]
    gen_hashes = [v[0][1] for v in gen_variants]
    caught = caught_table("generated scenes", generated, gen_hashes, seed=1)
    false_matches("generated scenes", gen_variants, groups)
    hit_rate = None

    real = real_photos(args.limit)
    real_hashes: list[ih.ImageHashes] = []
    if real:
        t = time.perf_counter()
        real_variants = [ih.oriented_hashes(jpeg_bytes(p)) for p in real]
        real_hashes = [v[0][1] for v in real_variants]
        print(
            f"\nhashing in all 8 orientations: {(time.perf_counter() - t) / len(real) * 1000:.1f} ms per photo "
            f"from JPEG bytes ({real[0].width}x{real[0].height})"
        )
        for turned, rows in caught_table("real shelf photos (SKU-110K)", real, real_hashes, seed=2).items():
            caught[turned] += rows
        hit_rate = false_matches("real shelf photos (SKU-110K)", real_variants, None)
    else:
        print("\n(no shared data found: real photos skipped)")
    print(f"\nALL COPIES CAUGHT: upright {np.mean(caught[False]):.1%} of {len(caught[False])}, "
          f"turned or mirrored {np.mean(caught[True]):.1%} of {len(caught[True])}")
    staged_photos(real[:40], generated[:8])
    if args.index_size:
        index_timing(real_hashes or gen_hashes, args.index_size, 100, hit_rate)


if __name__ == "__main__":
    main()
