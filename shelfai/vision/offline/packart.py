"""Generated pack art and look-alike catalogs for synthetic shelves.

A *family* is one brand design (base colour, pattern, logo shape, brand text); its *variants* are the
look-alikes a real range has: the same design with another flavour colour band, or the same flavour
in another pack size. The art is a pure function of (family, variant, size label, pixel size), so a
SKU looks the same in every scene and in its reference images, without storing any image.

The art is drawn to look like a product to the shipped detector, which only ever saw real shelf photos
(issue 14): the first art's full-width bands made it return 2-3 boxes per pack, cutting each pack into
panels at the bands. Now a pack is one colour field from side to side; brand block, label and flashes
sit inside it; siblings differ in the lid, the label and a soft wash, never in a hard band.
``bench/recognition_end_to_end.py`` measures the result end to end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import cv2
import numpy as np

# Flavour colours (BGR) chosen to be far apart in hue, so two flavours of one brand differ visibly,
# as real ranges do (lemon = yellow, berry = purple ...).
FLAVOURS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("LEMON", (40, 220, 250)),
    ("BERRY", (140, 40, 120)),
    ("MINT", (120, 200, 60)),
    ("CHERRY", (40, 30, 200)),
    ("ORANGE", (20, 130, 250)),
    ("OCEAN", (200, 120, 20)),
    ("COCOA", (30, 60, 100)),
    ("VANILLA", (215, 240, 250)),
    ("LIME", (40, 240, 160)),
    ("GRAPE", (160, 60, 200)),
)
PATTERNS = ("diagonal", "bars", "dots", "checker", "waves", "plain")
LOGO_SHAPES = ("ellipse", "rectangle", "diamond", "circle")
SIZE_LABELS = ("330ML", "500ML", "1L")
_SIZE_HEIGHT = {"330ML": 1.0, "500ML": 1.22, "1L": 1.45}  # pack height relative to the smallest
_FONT = cv2.FONT_HERSHEY_DUPLEX


def stable_rng(*parts: object) -> np.random.Generator:
    """A generator seeded from text, stable across processes (unlike ``hash()``)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def _random_colour(rng: np.random.Generator, *, min_sat: int = 90) -> tuple[int, int, int]:
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(min_sat, 256), rng.integers(90, 240)]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def _contrast_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2]
    return (20, 20, 20) if luma > 140 else (245, 245, 245)


@dataclass(frozen=True, slots=True)
class FamilyDesign:
    """Everything the variants of one brand share."""

    brand: str
    base: tuple[int, int, int]
    accent: tuple[int, int, int]
    logo_colour: tuple[int, int, int]
    pattern: str
    logo_shape: str
    band_y: float  # top of the flavour band, as a fraction of the pack height
    flavour_offset: int  # which flavour colour variant 0 gets


def family_design(family: str) -> FamilyDesign:
    rng = stable_rng("family", family)
    return FamilyDesign(
        brand=family.upper()[:6],
        base=_random_colour(rng, min_sat=60),
        accent=_random_colour(rng),
        logo_colour=_random_colour(rng, min_sat=30),
        pattern=PATTERNS[int(rng.integers(len(PATTERNS)))],
        logo_shape=LOGO_SHAPES[int(rng.integers(len(LOGO_SHAPES)))],
        band_y=float(rng.uniform(0.5, 0.62)),
        flavour_offset=int(rng.integers(len(FLAVOURS))),
    )


def _flavour_index(design: FamilyDesign, variant: int) -> int:
    # Stepping by 3 (coprime with 10) gives every variant 0..9 of a family its own flavour.
    return (design.flavour_offset + variant * 3) % len(FLAVOURS)


def flavour_name(family: str, variant: int) -> str:
    return FLAVOURS[_flavour_index(family_design(family), variant)][0]


def pack_size_for(size_label: str | None, base: tuple[int, int] = (120, 200)) -> tuple[int, int]:
    """Pixel (w, h) of a pack in the given size class: bigger packs are taller, slightly wider."""
    factor = _SIZE_HEIGHT.get(size_label or "", 1.0)
    return round(base[0] * (1 + (factor - 1) * 0.3)), round(base[1] * factor)


def _draw_pattern(art: np.ndarray, design: FamilyDesign) -> None:
    h, w = art.shape[:2]
    step = max(6, w // 6)
    colour = design.accent
    if design.pattern == "diagonal":
        for x in range(-h, w, step):
            cv2.line(art, (x, h), (x + h, 0), colour, max(2, step // 3))
    elif design.pattern == "bars":
        for y in range(0, h, step * 2):
            cv2.rectangle(art, (0, y), (w, y + step // 2), colour, -1)
    elif design.pattern == "dots":
        for y in range(step // 2, h, step):
            for x in range(step // 2 + (y // step % 2) * step // 2, w, step):
                cv2.circle(art, (x, y), max(2, step // 4), colour, -1)
    elif design.pattern == "checker":
        for y in range(0, h, step):
            for x in range((y // step % 2) * step, w, step * 2):
                cv2.rectangle(art, (x, y), (x + step - 1, y + step - 1), colour, -1)
    elif design.pattern == "waves":
        xs = np.arange(w)
        for y0 in range(step, h, step * 2):
            ys = y0 + (np.sin(xs / w * 2 * np.pi * 2) * step / 2)
            pts = np.stack([xs, ys], axis=1).astype(np.int32)
            cv2.polylines(art, [pts], False, colour, max(2, step // 4))


def _draw_logo(art: np.ndarray, design: FamilyDesign) -> None:
    h, w = art.shape[:2]
    cx, cy = w // 2, int(h * 0.3)
    rx, ry = int(w * 0.36), int(h * 0.12)  # inside the colour field: a full-width block reads as a panel
    colour = design.logo_colour
    if design.logo_shape == "ellipse":
        cv2.ellipse(art, (cx, cy), (rx, ry), 0, 0, 360, colour, -1)
    elif design.logo_shape == "rectangle":
        _rounded_rect(art, cx - rx, cy - ry, cx + rx, cy + ry, max(2, w // 14), colour)
    elif design.logo_shape == "diamond":
        pts = np.array([[cx, cy - ry - 4], [cx + rx, cy], [cx, cy + ry + 4], [cx - rx, cy]], np.int32)
        cv2.fillConvexPoly(art, pts, colour)
    else:
        cv2.circle(art, (cx, cy), min(rx, ry + 6), colour, -1)
    _put_text_fitted(art, design.brand, (cx, cy), int(rx * 1.7), _contrast_colour(colour))


def _put_text_fitted(
    art: np.ndarray, text: str, centre: tuple[int, int], max_width: int, colour: tuple[int, int, int]
) -> None:
    scale = 1.0
    (tw, th), _ = cv2.getTextSize(text, _FONT, scale, 1)
    scale = min(2.0, max_width / max(tw, 1))
    thickness = max(1, round(scale * 1.5))
    (tw, th), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    org = (centre[0] - tw // 2, centre[1] + th // 2)
    cv2.putText(art, text, org, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _rounded_rect(art: np.ndarray, x1: int, y1: int, x2: int, y2: int, radius: int,
                  colour: tuple[int, int, int]) -> None:
    radius = max(1, min(radius, (x2 - x1) // 2, (y2 - y1) // 2))
    cv2.rectangle(art, (x1 + radius, y1), (x2 - radius, y2), colour, -1)
    cv2.rectangle(art, (x1, y1 + radius), (x2, y2 - radius), colour, -1)
    for cx, cy in ((x1 + radius, y1 + radius), (x2 - radius, y1 + radius), (x1 + radius, y2 - radius),
                   (x2 - radius, y2 - radius)):
        cv2.circle(art, (cx, cy), radius, colour, -1, cv2.LINE_AA)


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)  # type: ignore[return-value]


def _text_lines(art: np.ndarray, design: FamilyDesign, top: float, colour: tuple[int, int, int]) -> None:
    """Three or four lines of small print (ingredients, claims): the fine detail every real pack front
    has. Without it a generated shelf photo measured 35-40 % less sharp than the same photo with
    the old, harder-edged art, and mildly blurred ones failed the quality gate that real photos pass."""
    h, w = art.shape[:2]
    rng = stable_rng("small print", design.brand)
    scale = max(0.25, h * 0.022 / 10)  # FONT_HERSHEY_PLAIN is ~10 px tall at scale 1: letters ~2 % of h
    for i in range(int(rng.integers(3, 5))):
        y = int(h * (top + 0.04 * i))
        words = " ".join("".join(rng.choice(list("ABCDEFGHIKLMNOPRSTUVZ"), int(rng.integers(2, 7))))
                         for _ in range(8))
        (tw, _), _ = cv2.getTextSize(words, cv2.FONT_HERSHEY_PLAIN, scale, 1)
        span = int(w * rng.uniform(0.55, 0.75))
        line = np.zeros((int(h * 0.04) + 4, tw + 4, 3), np.uint8)
        cv2.putText(line, words, (2, line.shape[0] - 3), cv2.FONT_HERSHEY_PLAIN, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
        line = cv2.resize(line[:, : min(tw + 4, int(span * tw / max(tw, 1)) + 4)], (span, line.shape[0]),
                          interpolation=cv2.INTER_AREA)
        x0, y0 = (w - span) // 2, max(0, y - line.shape[0] // 2)
        region = art[y0 : y0 + line.shape[0], x0 : x0 + span]
        alpha = line[: region.shape[0], : region.shape[1], :1].astype(np.float32) / 255.0
        art[y0 : y0 + region.shape[0], x0 : x0 + region.shape[1]] = (
            region * (1 - alpha) + np.float32(colour) * alpha
        ).astype(np.uint8)


def make_pack_art(
    sku: str,
    *,
    family: str | None = None,
    variant: int = 0,
    size: tuple[int, int] = (120, 200),
    size_label: str | None = None,
) -> np.ndarray:
    """Front of a pack as a BGR image of ``size`` (w, h).

    ``family`` picks the brand design (the SKU code itself when None); ``variant`` picks the flavour
    label colour and name; ``size_label`` prints a size flash whose colour depends on the label, so a
    500 ml pack differs from its 330 ml sibling in height and flash, as on a real shelf.

    Drawn so a detector trained on real shelf photos sees *one* product: one dominant colour field
    from edge to edge (the family pattern is only a soft tint of it), a brand block, small print, a
    flavour label and flashes that sit inside the field with a margin (a band across the full width
    reads as the boundary between two products: the shipped detector cut such packs in two), and the
    light of a rounded pack: brighter towards a highlight, darker towards the sides and the outline.
    """
    design = family_design(family or sku)
    w, h = size
    art = np.empty((h, w, 3), np.uint8)
    art[:] = design.base
    patterned = art.copy()
    _draw_pattern(patterned, design)
    art = cv2.addWeighted(art, 0.72, patterned, 0.28, 0)  # a tint, not panels
    margin = max(2, round(w * 0.15))
    lid = max(2, int(h * 0.05))
    flavour_text, flavour_colour = FLAVOURS[_flavour_index(design, variant)]
    # The lid / top fold is colour-coded by flavour, as real ranges do: part of the silhouette, not a
    # panel, and a second place where siblings differ.
    art[:lid] = _shade(flavour_colour, 0.85)
    _draw_logo(art, design)
    ink = _contrast_colour(design.base)
    _text_lines(art, design, 0.8, tuple(int(0.6 * c + 0.4 * b) for c, b in zip(ink, design.base, strict=True)))

    band_top, band_bottom = int(h * (design.band_y - 0.1)), int(h * (design.band_y + 0.1))
    # Below the label the field shades smoothly into the flavour colour (no edge for a detector to cut
    # at), so siblings differ over a third of the pack, not only in the label.
    wash = np.clip((np.arange(h, dtype=np.float32) - band_top) / max(1, h - band_top), 0, 1) * 0.4
    art = (art * (1 - wash[:, None, None]) + np.float32(flavour_colour) * wash[:, None, None]).astype(np.uint8)
    _rounded_rect(art, margin, band_top, w - margin, band_bottom, max(3, w // 12), flavour_colour)
    _put_text_fitted(
        art, flavour_text, (w // 2, (band_top + band_bottom) // 2), int(w * 0.7), _contrast_colour(flavour_colour)
    )
    # A flavour illustration (fruit, bean ...) and the size flash just under the label, close to it:
    # low on the pack, alone, they made a second little "product" that the detector boxed on its own.
    fruit_centre = (int(w * 0.3), min(h - w // 7, band_bottom + max(4, w // 9) + 2))
    cv2.circle(art, fruit_centre, max(4, w // 9), flavour_colour, -1, cv2.LINE_AA)
    cv2.circle(art, fruit_centre, max(4, w // 9), _shade(flavour_colour, 0.6), 1, cv2.LINE_AA)
    if size_label:
        flash = _random_colour(stable_rng("size", size_label), min_sat=150)
        centre = (int(w * 0.72), min(h - w // 6, band_bottom + max(6, w // 7) + 2))
        cv2.circle(art, centre, max(6, w // 7), flash, -1, cv2.LINE_AA)
        _put_text_fitted(art, size_label, centre, int(w * 0.24), _contrast_colour(flash))
    # Light: a rounded front catches a highlight left of centre and falls off to the sides; a little
    # darker towards the bottom. Shared by every pack, so it is part of what a reference shot shows.
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)
    across = 0.8 + 0.2 * np.clip(np.sin(np.pi * xs), 0, 1) ** 0.6 + 0.1 * np.exp(-((xs - 0.3) ** 2) / 0.006)
    down = np.linspace(1.04, 0.9, h, dtype=np.float32)
    art = np.clip(art * (down[:, None] * across[None, :])[..., None], 0, 255).astype(np.uint8)
    cv2.rectangle(art, (0, 0), (w - 1, h - 1), _shade(design.base, 0.45), max(1, w // 60))
    return art


@dataclass(frozen=True, slots=True)
class CatalogSku:
    code: str
    family: str
    variant: int
    size_label: str


@dataclass(slots=True)
class SyntheticCatalog:
    """SKU codes grouped into look-alike families, with their pack art.

    ``pack_images`` holds the art as it stands on the shelf; ``references`` holds 1-3 reference
    images per SKU (the clean art plus "pack shots" taken at a slight angle and other light), which is
    what a catalog manager would upload. ``lookalikes`` holds, per SKU, art of same-family packs that
    are *not* in the catalog (another flavour), to test that they are reported unknown.
    """

    skus: list[CatalogSku]
    pack_images: dict[str, np.ndarray] = field(default_factory=dict)
    references: dict[str, list[np.ndarray]] = field(default_factory=dict)
    lookalikes: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.skus]

    @property
    def families(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for s in self.skus:
            grouped.setdefault(s.family, []).append(s.code)
        return grouped

    def unknown_packs(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        """Art of ``n`` products from brands that are not in the catalog."""
        packs = []
        for _ in range(n):
            family = "X" + "".join(rng.choice(list("ABCDEFGHKLMNPRSTVWZ"), 4))
            label = SIZE_LABELS[int(rng.integers(2))]
            packs.append(
                make_pack_art(
                    family, family=family, variant=int(rng.integers(10)), size=pack_size_for(label), size_label=label
                )
            )
        return packs


_SYLLABLES = ("ka", "lo", "mi", "ru", "ze", "ta", "no", "vi", "sa", "po", "be", "du", "fi", "go")


def _brand_name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYLLABLES, int(rng.integers(2, 4)))).upper()


def reference_shot(art: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A "pack shot" of the art: slightly turned, other light, on a plain background."""
    h, w = art.shape[:2]
    pad = max(4, w // 12)
    canvas = np.full((h + 2 * pad, w + 2 * pad, 3), int(rng.integers(200, 250)), np.uint8)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + pad + rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * [w, h]
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    cv2.warpPerspective(art, matrix, canvas.shape[1::-1], dst=canvas, borderMode=cv2.BORDER_TRANSPARENT)
    gain = rng.uniform(0.85, 1.15) * rng.uniform(0.95, 1.05, 3)
    shot = np.clip(canvas.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return shot[pad // 2 : pad // 2 + h + pad, pad // 2 : pad // 2 + w + pad]


def random_catalog(
    n_skus: int,
    n_families: int,
    rng: np.random.Generator,
    *,
    refs_per_sku: tuple[int, int] = (1, 3),
    lookalikes_per_sku: int = 2,
) -> SyntheticCatalog:
    """``n_skus`` SKUs spread over ``n_families`` brands; siblings are flavour or size look-alikes."""
    if n_families < 1 or not n_families <= n_skus <= n_families * len(FLAVOURS):
        raise ValueError(
            f"random_catalog needs 1 to {len(FLAVOURS)} SKUs per family; got {n_skus} SKUs in {n_families}"
        )
    brands: list[str] = []
    while len(brands) < n_families:
        name = _brand_name(rng)
        if name not in brands:
            brands.append(name)
    counts = np.full(n_families, n_skus // n_families)
    counts[: n_skus % n_families] += 1
    skus: list[CatalogSku] = []
    for brand, count in zip(brands, counts, strict=True):
        # A range: a few flavours in the small size; some flavours also come in a bigger size.
        flavour = 0
        while count > 0:
            for label in ("330ML", "500ML"):
                must_double = count > len(FLAVOURS) - flavour - 1  # else the flavours run out
                if count > 0 and (label == "330ML" or must_double or rng.random() < 0.35):
                    code = f"{brand}-{flavour_name(brand, flavour)}-{label}"
                    skus.append(CatalogSku(code, brand, flavour, label))
                    count -= 1
            flavour += 1
    catalog = SyntheticCatalog(skus=skus)
    for sku in skus:
        size = pack_size_for(sku.size_label)
        art = make_pack_art(sku.code, family=sku.family, variant=sku.variant, size=size, size_label=sku.size_label)
        catalog.pack_images[sku.code] = art
        n_refs = int(rng.integers(refs_per_sku[0], refs_per_sku[1] + 1))
        catalog.references[sku.code] = [art] + [reference_shot(art, rng) for _ in range(n_refs - 1)]
    family_variants = {(s.family, s.variant) for s in skus}
    for sku in skus:
        # Flavours of the same brand that the catalog does not list: the hard "unknown" case.
        spare = [v for v in range(len(FLAVOURS)) if (sku.family, v) not in family_variants]
        picks = rng.choice(spare, min(lookalikes_per_sku, len(spare)), replace=False)
        size = pack_size_for(sku.size_label)
        catalog.lookalikes[sku.code] = [
            make_pack_art(
                f"{sku.family}-{v:02d}", family=sku.family, variant=int(v), size=size, size_label=sku.size_label
            )
            for v in picks
        ]
    return catalog
