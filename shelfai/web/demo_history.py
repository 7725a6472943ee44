"""Generated store visits with known truth: what was on the shelf, on the display, and who cheated.

Used by ``seed_demo`` (four weeks of history for the demo world) and by ``bench/visit_truth.py``
(the whole-visit benchmark). Both read the world from the database (stores, planograms in force,
paid placements, pack shots), so what is photographed is exactly what the product plans and sells.

A visit plan says, before anything is drawn:

* per planogram, what the shelf looks like: ``compliant``; ``out_of_stock`` (a planned SKU's block is
  an empty void where it belongs); ``wrong_shelf`` (a block stands on another shelf); ``wrong_order``
  (two blocks of a shelf swapped); ``gaps`` (some facings of a SKU sold out, the space left empty);
* per paid placement active that day, the display: ``executed`` (every required SKU at its facings),
  ``partly`` (only the first required SKU), ``absent`` (the end-cap holds other products);
* how the rep behaved: ``honest`` (camera EXIF with the store's GPS and the visit's time),
  ``no_exif`` (an honest offline upload, hours later, from an app that strips EXIF; the check-in is
  valid), ``reused`` (the display is absent and the rep sends another store's earlier display photo,
  as the same bytes or resized and re-saved), ``screen`` (absent display, the rep photographs a
  display photo on a screen), ``far_checkin`` (the rep checks in kilometres away and sends a photo of
  a display there). A dishonest visit's display is absent at the store, whatever its photo shows.

Photos are drawn by ``shelfai.vision.offline.synthetic`` with its realism on: perspective, roll,
uneven light, blur, noise, occlusion, price tags, unlisted flavours of listed brands and products of
brands the catalog does not know. The truth of a photo is the renderer's: every facing's box and SKU
(distractors are ``UNKNOWN_SKU``), rows and gaps.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone as django_timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shelfai.accounts.models import User
from shelfai.celery import app as celery_app
from shelfai.claims.models import PaidPlacement
from shelfai.compliance.observations import PhotoObservation
from shelfai.compliance.scoring import ComplianceReport, score_visit
from shelfai.compliance.selectors import planogram_for
from shelfai.compliance.services import planogram_spec
from shelfai.stores.models import Planogram, ProductImage, RepAssignment, Store
from shelfai.vision.offline.packart import make_pack_art
from shelfai.vision.offline.synthetic import Distractors, RenderOptions, ShelfLayout, Slot, render_shelf
from shelfai.vision.types import UNKNOWN_SKU, Facing, Gap, ShelfRow
from shelfai.visits.models import Visit

SHELF_KINDS = ("compliant", "out_of_stock", "wrong_shelf", "wrong_order", "gaps")
DISPLAY_STATES = ("executed", "partly", "absent")
HONESTY = ("honest", "no_exif", "reused", "screen", "far_checkin")
DISHONEST = frozenset({"reused", "screen", "far_checkin"})
# Mixes per photo / visit. Each list is dealt out in turn (shuffled per cycle), so a short history
# still holds every kind; a list entry is one share of the deal.
SHELF_DEAL = ["compliant", "compliant", "out_of_stock", "wrong_shelf", "compliant", "gaps", "wrong_order",
              "out_of_stock"]
DISPLAY_DEAL = ["executed", "executed", "partly", "absent", "executed"]
HONESTY_DEAL = ["honest", "honest", "no_exif", "reused", "honest", "screen", "no_exif", "far_checkin"]
PHOTO_SIZE = (1280, 960)
OFFLINE_DELAY = timedelta(hours=3)  # an offline upload is sent this long after the visit
STRANGER = "~stranger-"  # layout key of a pack the catalog does not list


# --- The world as the generator sees it -------------------------------------------------------------

@dataclass(frozen=True)
class PlannedShelf:
    planogram_id: int
    name: str
    rows: list[list[tuple[str, int]]]  # per level from the top: (sku, facings) left to right


@dataclass(frozen=True)
class DisplayNeed:
    placement_id: int
    store_id: int
    starts_on: date
    ends_on: date
    fee: Decimal
    required: list[tuple[str, int]]  # (sku, min facings)


@dataclass
class World:
    stores: list[Store]
    reps: dict[int, str]  # store pk -> username of the rep assigned to it
    packs: dict[str, np.ndarray]  # sku -> pack front as the catalog's first pack shot shows it
    brands: dict[str, str]  # sku -> brand name
    distractors: Distractors
    placements: list[DisplayNeed]

    def shelves_for(self, store: Store, on: date) -> list[PlannedShelf]:
        return [_planned_shelf(p) for p in planograms_in_force(store=store, on=on)]

    def displays_for(self, store: Store, on: date) -> list[DisplayNeed]:
        return [p for p in self.placements if p.store_id == store.pk and p.starts_on <= on <= p.ends_on]


def planograms_in_force(*, store: Store, on: date) -> list[Planogram]:
    """Every planogram a rep photographs at the store that day: one per category, the newest version.

    ``planogram_for`` answers one planogram (the one the product scores against without a capture
    task); the store's shelves carry one per category, so each category's newest counts here.
    """
    groups = set(store.groups.values_list("pk", flat=True))
    in_force = [p for p in Planogram.objects.filter(effective_from__lte=on).order_by("-effective_from", "-version")
                if (p.effective_to is None or p.effective_to >= on)
                and (p.store_id == store.pk or p.store_group_id in groups)]
    by_category: dict = {}
    for planogram in in_force:
        by_category.setdefault(planogram.category_id, planogram)
    chosen = list(by_category.values()) or [p for p in [planogram_for(store=store, on=on)] if p]
    return sorted(chosen, key=lambda p: p.pk)


def _planned_shelf(planogram: Planogram) -> PlannedShelf:
    rows = []
    for shelf in planogram.shelves.order_by("level").prefetch_related("facings__product"):
        rows.append([(f.product.sku, f.facings) for f in shelf.facings.order_by("position")])
    return PlannedShelf(planogram.pk, planogram.name, rows)


def world_load(stores: list[Store] | None = None, *, seed: int = 0) -> World:
    stores = stores if stores is not None else list(Store.objects.order_by("code"))
    reps = {a.store_id: a.rep.username for a in RepAssignment.objects.select_related("rep").order_by("starts_on")}
    packs: dict[str, np.ndarray] = {}
    brands: dict[str, str] = {}
    for image in ProductImage.objects.select_related("product__brand").order_by("pk"):
        sku = image.product.sku
        brands[sku] = image.product.brand.name
        if sku not in packs:
            with image.image.open("rb") as fh:
                packs[sku] = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
    placements = [
        DisplayNeed(p.pk, p.store_id, p.starts_on, p.ends_on, p.fee,
                    [(r.product.sku, r.min_facings) for r in p.requirements.select_related("product").order_by("pk")])
        for p in PaidPlacement.objects.filter(store__in=stores).prefetch_related("requirements").order_by("pk")
    ]
    return World(stores=stores, reps=reps, packs=packs, brands=brands,
                 distractors=_distractors(packs, brands, np.random.default_rng(seed)), placements=placements)


def _distractors(packs: dict[str, np.ndarray], brands: dict[str, str], rng: np.random.Generator) -> Distractors:
    """Unlisted flavours of each listed brand (variants 5-9: the catalog uses 0-4) and foreign brands."""
    lookalikes = {}
    for sku, art in packs.items():
        h, w = art.shape[:2]
        lookalikes[sku] = [make_pack_art(f"{brands[sku]}-{v}", family=brands[sku], variant=v, size=(w, h))
                           for v in rng.choice(range(5, 10), 2, replace=False)]
    unknowns = []
    for _ in range(10):
        family = "X" + "".join(rng.choice(list("ABCDEFGHKLMNPRSTVWZ"), 4))
        unknowns.append(make_pack_art(family, family=family, variant=int(rng.integers(10)),
                                      size=(int(rng.integers(115, 140)), int(rng.integers(190, 260)))))
    return Distractors(lookalikes=lookalikes, unknowns=unknowns)


# --- Plans: what each visit will show -----------------------------------------------------------------

@dataclass
class ShelfShot:
    planogram_id: int
    planogram_name: str
    kind: str
    layout: ShelfLayout
    changed: list[str]  # the SKUs the scenario touched (the one out of stock, moved, swapped ...)


@dataclass
class DisplayShot:
    placement_id: int
    state: str  # executed | partly | absent: what stands in the store
    layout: ShelfLayout  # what the photo shows (for a dishonest visit: a display elsewhere)


@dataclass
class VisitPlan:
    key: str  # the phone's client_visit_id
    store: Store
    rep: str
    week: int
    at: datetime  # check-in (aware, UTC)
    honesty: str
    checkin: tuple[float, float, float]  # latitude, longitude, accuracy in metres
    shelves: list[ShelfShot] = field(default_factory=list)
    displays: list[DisplayShot] = field(default_factory=list)


class Dealer:
    """Deals a mix in shuffled cycles: over n draws every kind appears about n x its share."""

    def __init__(self, deck: list[str], rng: np.random.Generator):
        self.deck, self.rng, self.hand = deck, rng, []

    def draw(self, allowed: Callable[[str], bool] = lambda kind: True) -> str:
        if not self.hand:
            self.hand = [self.deck[i] for i in self.rng.permutation(len(self.deck))]
        for i, kind in enumerate(self.hand):
            if allowed(kind):
                return self.hand.pop(i)
        return next(k for k in self.deck if allowed(k))


def plan_history(world: World, *, weeks: int, first_day: date, rng: np.random.Generator,
                 key_prefix: str = "demo") -> list[VisitPlan]:
    """One visit per store and week, oldest first; the first week's visits are all honest or no_exif
    (a reused photo needs an earlier photo of another store)."""
    shelves, displays, honesty = Dealer(SHELF_DEAL, rng), Dealer(DISPLAY_DEAL, rng), Dealer(HONESTY_DEAL, rng)
    slots = []
    for week in range(weeks):
        for store in world.stores:
            day = first_day + timedelta(days=7 * week + int(rng.integers(0, 5)))
            # Shop hours in the store's own zone: 08:00-16:00 in Shanghai is 00:00-08:00 UTC.
            local = time(8 + int(rng.integers(0, 8)), int(rng.integers(0, 60)))
            at = datetime.combine(day, local, ZoneInfo(store.timezone)).astimezone(UTC)
            slots.append((at, week, store))
    plans = []
    # In time order, so a re-used photo is always a copy of one sent before it.
    for at, week, store in sorted(slots, key=lambda slot: (slot[0], slot[2].pk)):
        day = at.astimezone(ZoneInfo(store.timezone)).date()
        needs = world.displays_for(store, day)
        may_cheat = week > 0 and bool(needs)
        if may_cheat and week == weeks - 1 and not any(p.honesty in DISHONEST for p in plans):
            way = honesty.draw(lambda k: k in DISHONEST)  # a history always holds a cheat to catch
        else:
            way = honesty.draw(lambda k, may_cheat=may_cheat: may_cheat or k not in DISHONEST)
        plan = VisitPlan(key=f"{key_prefix}-{store.code}-w{week}", store=store, rep=world.reps[store.pk],
                         week=week, at=at, honesty=way, checkin=_checkin(store, way, rng))
        if way not in ("screen", "far_checkin"):  # those reps are not at the store's shelves
            for planned in world.shelves_for(store, day):
                plan.shelves.append(_shelf_shot(planned, shelves.draw(), rng))
        for need in needs:
            state = "absent" if way in DISHONEST else displays.draw()
            shown = "executed" if way in ("screen", "far_checkin") else state
            plan.displays.append(DisplayShot(need.placement_id, state, _display_layout(need, shown, world, rng)))
        plans.append(plan)
    return plans


def _checkin(store: Store, honesty: str, rng: np.random.Generator) -> tuple[float, float, float]:
    if honesty == "far_checkin":  # 5-25 km away, a confident fix
        km = rng.uniform(5, 25)
        bearing = rng.uniform(0, 2 * np.pi)
        return (store.latitude + km / 111.0 * np.cos(bearing),
                store.longitude + km / (111.0 * np.cos(np.radians(store.latitude))) * np.sin(bearing), 15.0)
    metres = rng.uniform(0, 40)
    return store.latitude + metres / 111_000, store.longitude, float(rng.uniform(8, 30))


def _shelf_shot(planned: PlannedShelf, kind: str, rng: np.random.Generator) -> ShelfShot:
    rows = [list(row) for row in planned.rows]
    changed: list[str] = []
    # A shelf is never emptied completely: the renderer draws no board without a pack on it, so a
    # sold-out shelf would not be in the photo at all (and the product does not judge unseen shelves).
    blocks = [(level, i) for level, row in enumerate(rows) if len(row) > 1 for i in range(len(row))]
    if kind == "out_of_stock":  # one block, sometimes two, sold out: their space stays empty
        for level, i in [blocks[j] for j in rng.choice(len(blocks), 1 + int(rng.random() < 0.3), replace=False)]:
            sku, n = rows[level][i]
            rows[level][i] = (None, n)
            changed.append(sku)
    elif kind == "wrong_shelf" and len(rows) > 1:  # a block stands at the end of another shelf
        level, i = blocks[int(rng.integers(len(blocks)))]
        sku, n = rows[level].pop(i)
        target = (level + 1 + int(rng.integers(len(rows) - 1))) % len(rows)
        rows[target].append((sku, n))
        changed.append(sku)
    elif kind == "wrong_order":  # two neighbouring blocks of a shelf swapped
        level = int(rng.choice([lv for lv, row in enumerate(rows) if len(row) > 1]))
        i = int(rng.integers(len(rows[level]) - 1))
        rows[level][i], rows[level][i + 1] = rows[level][i + 1], rows[level][i]
        changed += [rows[level][i][0], rows[level][i + 1][0]]
    elif kind == "gaps":  # 1-2 SKUs partly sold out: an empty stretch beside what is left
        for level, i in [blocks[j] for j in rng.choice(len(blocks), 1 + int(rng.random() < 0.5), replace=False)]:
            sku, n = rows[level][i]
            gone = max(1, min(n - 1, int(rng.integers(1, 3))))
            rows[level][i:i + 1] = [(sku, n - gone), (None, gone)]
            changed.append(sku)
    layout = ShelfLayout([[Slot(sku, n) for sku, n in row] for row in rows if row])
    return ShelfShot(planned.planogram_id, planned.name, kind, layout, changed)


def _display_layout(need: DisplayNeed, state: str, world: World, rng: np.random.Generator) -> ShelfLayout:
    """An end-cap of three shelves: the required SKUs (all of them, or only the first), else other products."""
    required = [sku for sku, _ in need.required]
    brand = world.brands.get(required[0], "") if required else ""
    others = sorted(sku for sku, b in world.brands.items() if b != brand)
    if state == "executed":
        chosen = required
    elif state == "partly":
        chosen = required[:1]
    else:
        chosen = [str(s) for s in rng.choice(others, min(3, len(others)), replace=False)]
    facings = max([n for _, n in need.required] or [3]) + 1
    rows = [[Slot(sku, facings) for sku in chosen] for _ in range(2)]
    filler = [str(s) for s in rng.choice(others, 2, replace=False)] if others else chosen
    rows.append([Slot(sku, 3) for sku in filler])
    return ShelfLayout(rows)


# --- Rendering ----------------------------------------------------------------------------------------

@dataclass
class RenderedPhoto:
    client_upload_id: str
    target: str  # "shelf" or "display"
    planogram_id: int | None
    placement_id: int | None
    data: bytes  # the JPEG the phone sends
    facings: list[Facing]  # truth: boxes and SKUs (UNKNOWN_SKU for distractors) in the sent photo
    gaps: list[Gap]
    rows: list[ShelfRow]
    kind: str  # the shelf scenario or display state
    scene_is_truth: bool  # False for a copy, a screen or a photo from elsewhere: its pixels are not this store
    upload_delay: timedelta = timedelta(0)

    @property
    def catalog_facings(self) -> Counter:
        return Counter(f.sku for f in self.facings if f.sku != UNKNOWN_SKU)


def render_options(rng: np.random.Generator) -> RenderOptions:
    """A phone photo: never easier than the renderer's defaults the tests use, often harder."""
    return RenderOptions(
        size=PHOTO_SIZE, perspective=float(rng.uniform(0.04, 0.07)), rotation_deg=float(rng.uniform(-2, 2)),
        lighting=float(rng.uniform(0.3, 0.5)), exposure=float(rng.uniform(0.85, 1.15)),
        blur_sigma=float(rng.uniform(0.6, 1.1)), noise_sigma=float(rng.uniform(3, 5)), occlusion_rate=0.04,
        price_tags=True,
    )


def _with_strangers(layout: ShelfLayout, world: World, rng: np.random.Generator) -> tuple[ShelfLayout, dict]:
    """Half the shelves get a block of 1-2 packs the catalog does not list, squeezed in somewhere: an
    unlisted flavour of a neighbouring brand or a product of a brand the catalog does not know.

    They are added, not swapped in for a planned block (the renderer's ``unknown_rate`` swaps whole
    blocks), so a compliant shelf stays compliant; the truth names them ``UNKNOWN_SKU``.
    """
    rows = [list(row) for row in layout.rows]
    packs: dict = {}
    if rng.random() < 0.5 and rows:
        level = int(rng.integers(len(rows)))
        at = int(rng.integers(len(rows[level]) + 1))
        near = [s.sku for s in rows[level] if s.sku in world.distractors.lookalikes]
        if near and rng.random() < 0.6:
            options = world.distractors.lookalikes[near[int(rng.integers(len(near)))]]
        else:
            options = world.distractors.unknowns
        key = f"{STRANGER}{int(rng.integers(1_000_000))}"
        packs[key] = options[int(rng.integers(len(options)))]
        rows[level].insert(at, Slot(key, int(rng.integers(1, 3))))
    return ShelfLayout(rows), packs


def _render(layout: ShelfLayout, world: World, rng: np.random.Generator):
    layout, strangers = _with_strangers(layout, world, rng)
    scene = render_shelf(layout, {**world.packs, **strangers}, options=render_options(rng), rng=rng)
    scene.facings = [Facing(f.box, f.row, UNKNOWN_SKU if f.sku.startswith(STRANGER) else f.sku, f.sku_confidence)
                     for f in scene.facings]
    return scene


class PhotoPool:
    """Display photos already sent, by store: what a cheating rep can re-use."""

    def __init__(self) -> None:
        self.by_store: dict[int, list[tuple[bytes, np.ndarray]]] = {}

    def add(self, store_id: int, data: bytes, image: np.ndarray) -> None:
        self.by_store.setdefault(store_id, []).append((data, image))

    def other_than(self, store_id: int, rng: np.random.Generator) -> tuple[bytes, np.ndarray] | None:
        options = [item for sid, items in sorted(self.by_store.items()) if sid != store_id for item in items]
        return options[int(rng.integers(len(options)))] if options else None


def render_visit(plan: VisitPlan, world: World, pool: PhotoPool, rng: np.random.Generator) -> list[RenderedPhoto]:
    photos = []
    where = _photo_place(plan)
    for n, shot in enumerate(plan.shelves):
        scene = _render(shot.layout, world, rng)
        photos.append(RenderedPhoto(
            f"{plan.key}-shelf{n}", "shelf", shot.planogram_id, None, _jpeg(scene.image, plan, where, rng),
            scene.facings, scene.gaps, scene.rows, shot.kind, True,
            OFFLINE_DELAY if plan.honesty == "no_exif" else timedelta(0)))
    for n, shot in enumerate(plan.displays):
        scene = _render(shot.layout, world, rng)
        data, truth = _jpeg(scene.image, plan, where, rng), True
        if plan.honesty == "reused" and (copied := pool.other_than(plan.store.pk, rng)) is not None:
            data, truth = _reuse(*copied, rng), False
        elif plan.honesty == "screen":
            data, truth = _jpeg(photograph_screen(scene.image, rng, bezel=rng.random() < 0.6), plan, where, rng), False
        elif plan.honesty == "far_checkin":
            truth = False
        else:
            pool.add(plan.store.pk, data, scene.image)
        photos.append(RenderedPhoto(
            f"{plan.key}-display{n}", "display", None, shot.placement_id, data, scene.facings, scene.gaps,
            scene.rows, shot.state, truth, OFFLINE_DELAY if plan.honesty == "no_exif" else timedelta(0)))
    return photos


def _photo_place(plan: VisitPlan) -> tuple[float, float]:
    if plan.honesty == "far_checkin":
        return plan.checkin[0], plan.checkin[1]
    return plan.store.latitude + 0.0001, plan.store.longitude - 0.0001


def _jpeg(image: np.ndarray, plan: VisitPlan, where: tuple[float, float], rng: np.random.Generator) -> bytes:
    """What the phone sends: camera EXIF (time and GPS) unless the upload is one that strips it."""
    buf = io.BytesIO()
    pil = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if plan.honesty == "no_exif":
        pil.save(buf, "JPEG", quality=90)
        return buf.getvalue()
    when = plan.at + timedelta(minutes=int(rng.integers(1, 20)))
    pil.save(buf, "JPEG", quality=90, exif=camera_exif(lat=where[0], lon=where[1], when=when).tobytes())
    return buf.getvalue()


def camera_exif(*, lat: float, lon: float, when: datetime) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 15"
    exif[0x0132] = when.astimezone(UTC).strftime("%Y:%m:%d %H:%M:%S")  # read as UTC
    exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: (abs(lat), 0.0, 0.0),
                    3: "E" if lon >= 0 else "W", 4: (abs(lon), 0.0, 0.0)}
    return exif


def _reuse(data: bytes, image: np.ndarray, rng: np.random.Generator) -> bytes:
    """Another store's photo: the very file half the time, else resized, brightened and re-saved."""
    if rng.random() < 0.5:
        return data
    small = cv2.resize(image, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    small = np.clip(small.astype(np.float32) * rng.uniform(0.9, 1.15), 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


def photograph_screen(image: np.ndarray, rng: np.random.Generator, *, pitch: int = 3, bezel: bool = True) -> np.ndarray:
    """``image`` shown on an LCD (R, G, B sub-pixel stripes with dark gaps) and photographed slightly
    tilted: the camera folds the grid into moiré, and the dark bezel may be in view. The same model as
    ``tests/compliance/staging.py``, which calibrated ``shelfai.authenticity.recapture``."""
    h, w = image.shape[:2]
    shown = cv2.resize(image, (w * pitch, h * pitch), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    cell = np.zeros((pitch, pitch, 3), np.float32)
    for channel, bgr in enumerate((2, 1, 0)):
        x0, x1 = channel * pitch // 3, (channel + 1) * pitch // 3
        cell[: pitch - (1 if pitch > 2 else 0), x0: max(x1, x0 + 1), bgr] = 1.0
    shown = (shown * np.tile(cell, (h, w, 1))).astype(np.uint8)
    border = 0.05 if bezel else -0.02
    src = np.float32([[0, 0], [w * pitch, 0], [w * pitch, h * pitch], [0, h * pitch]])
    dst = np.float32([[border * w, border * h], [(1 - border) * w, border * h], [(1 - border) * w, (1 - border) * h],
                      [border * w, (1 - border) * h]]) + rng.uniform(-0.015, 0.015, (4, 2)).astype(np.float32) * [w, h]
    matrix = np.diag([2.0, 2.0, 1.0]) @ cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    big = cv2.warpPerspective(shown, matrix, (w * 2, h * 2), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(6, 6, 7))
    photo = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    centre = photo[h // 4: 3 * h // 4, w // 4: 3 * w // 4]
    photo *= float(image.mean()) / max(1.0, float(centre.mean()))  # auto-exposure
    photo = cv2.GaussianBlur(np.clip(photo, 0, 255).astype(np.uint8), (0, 0), 0.6).astype(np.float32)
    return np.clip(photo + rng.normal(0, 2.5, photo.shape).astype(np.float32), 0, 255).astype(np.uint8)


# --- Truth ----------------------------------------------------------------------------------------------

def truth_report(planogram: Planogram, photo: RenderedPhoto) -> ComplianceReport:
    """The product's own scoring rules and weights applied to what was drawn (a perfect detector)."""
    spec, catalog = planogram_spec(planogram)
    return score_visit(spec, catalog, [PhotoObservation(facings=photo.facings, gaps=photo.gaps, rows=photo.rows)])


def truth_out_of_stock(planned: PlannedShelf, photo: RenderedPhoto) -> set[str]:
    """Planned SKUs of which the photo shows no pack at all."""
    present = photo.catalog_facings
    return {sku for row in planned.rows for sku, _ in row if present[sku] == 0}


# --- Time: a history happens in the past --------------------------------------------------------------

@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make ``django.utils.timezone.now`` (and so ``auto_now_add``, ``localdate``) read ``moment`` and run
    on from there, in this process. Every product clock read goes through it (no ``date.today()`` or
    ``datetime.now()`` in the product), so a visit, its photos and their checks all happen that day."""
    real = django_timezone.now
    offset = moment - real()
    django_timezone.now = lambda: real() + offset
    try:
        yield
    finally:
        django_timezone.now = real


# --- Driving the API --------------------------------------------------------------------------------

@dataclass
class SentVisit:
    plan: VisitPlan
    visit_id: str
    photos: list[tuple[RenderedPhoto, str]]  # (what was drawn, photo uuid the API gave it)
    used_tasks: bool


def task_ids(visit_body: dict) -> dict[tuple[str, int], int]:
    """(kind, planogram or placement id) -> capture task id, when the API lists the visit's tasks."""
    out = {}
    for task in visit_body.get("tasks") or []:
        if task.get("kind") == "shelf" and task.get("planogram"):
            out["shelf", task["planogram"]] = task["id"]
        elif task.get("kind") == "display" and task.get("placement"):
            out["display", task["placement"]] = task["id"]
    return out


def send_visit(client, plan: VisitPlan, photos: list[RenderedPhoto], *, set_clock: Callable[[datetime], None],
               photo_file: Callable[[RenderedPhoto], object]) -> SentVisit:
    """Check in and upload the visit's photos, each to its capture task when the API has tasks.

    ``client`` answers ``post(path, data, format=...)`` and ``get(path)`` like DRF's APIClient (the bench
    passes an HTTP client with the same two calls); ``set_clock`` moves the clock of every process.
    """
    set_clock(plan.at)
    lat, lon, accuracy = plan.checkin
    response = client.post("/api/visits/", {"store": plan.store.code, "latitude": lat, "longitude": lon,
                                             "accuracy_m": accuracy, "client_visit_id": plan.key}, format="json")
    if response.status_code not in (200, 201):
        raise RuntimeError(f"check-in at {plan.store.code} refused: {response.status_code} {response.content[:300]!r}")
    visit_id = response.json()["id"]
    tasks = task_ids(client.get(f"/api/visits/{visit_id}/").json())
    sent = []
    for photo in photos:
        set_clock(plan.at + timedelta(minutes=15) + photo.upload_delay)
        fields = {"photos": [photo_file(photo)], "client_upload_ids": [photo.client_upload_id]}
        task = tasks.get((photo.target, photo.planogram_id or photo.placement_id))
        if task is not None:
            fields["task"] = task
        response = client.post(f"/api/visits/{visit_id}/photos/", fields, format="multipart")
        if response.status_code != 202:
            raise RuntimeError(f"upload {photo.client_upload_id} refused: {response.status_code} "
                               f"{response.content[:300]!r}")
        sent.append((photo, response.json()[0]["id"]))
    return SentVisit(plan, visit_id, sent, bool(tasks))


def weekly_claim_lines(need: DisplayNeed, *, first_day: date, weeks: int) -> list[dict]:
    """One line per history week inside the placement, for the fee's share of those days."""
    placement_days = (need.ends_on - need.starts_on).days + 1
    lines = []
    for week in range(weeks):
        start = max(first_day + timedelta(days=7 * week), need.starts_on)
        end = min(first_day + timedelta(days=7 * week + 6), need.ends_on)
        if end < start:
            continue
        amount = (need.fee * ((end - start).days + 1) / placement_days).quantize(Decimal("0.01"), ROUND_DOWN)
        if amount > 0:
            lines.append({"placement": need.placement_id, "period_start": start.isoformat(),
                          "period_end": end.isoformat(), "amount": str(amount)})
    return lines


# --- The demo world's history (seed_demo): the same journey, tasks run in this process ------------------

HISTORY_PREFIX = "demo"


@dataclass
class HistorySummary:
    visits: int = 0
    photos: int = 0
    claims: int = 0
    kinds: Counter = field(default_factory=Counter)  # shelf scenarios, display states and rep behaviours


def history_exists() -> bool:
    return Visit.objects.filter(client_visit_id__startswith=f"{HISTORY_PREFIX}-").exists()


def history_create(*, weeks: int, stores: list[Store], seed: int, log: Callable[[str], None] = lambda line: None
                   ) -> HistorySummary:
    """``weeks`` of visits (one per store and week, ending last week) sent through the photo API with the
    pipeline's tasks run eagerly, then one claim per paid placement with a line per week.

    Runs once: a second call finds the history and returns an empty summary.
    """
    summary = HistorySummary()
    if history_exists():
        return summary
    rng = np.random.default_rng(seed)
    world = world_load(stores, seed=seed)
    first_day = django_timezone.localdate() - timedelta(days=7 * weeks)
    plans = plan_history(world, weeks=weeks, first_day=first_day, rng=rng, key_prefix=HISTORY_PREFIX)
    pool = PhotoPool()
    with _eager_tasks(), _quiet("celery.app.trace"):
        for number, plan in enumerate(plans, start=1):
            photos = render_visit(plan, world, pool, rng)
            with _MovableClock() as clock:
                send_visit(api_client_for(plan.rep), plan, photos, set_clock=clock.set, photo_file=_upload_file)
            summary.visits += 1
            summary.photos += len(photos)
            kinds = [s.kind for s in plan.shelves] + [d.state for d in plan.displays]
            summary.kinds.update([plan.honesty, *kinds])
            log(f"  visit {number}/{len(plans)}: {plan.store.code} {plan.at:%d %b}, {plan.honesty}, "
                f"{len(photos)} photos ({', '.join(kinds)})")
        summary.claims = _claims_submit(world, first_day=first_day, weeks=weeks)
    return summary


def _claims_submit(world: World, *, first_day: date, weeks: int) -> int:
    count = 0
    rep_of = {store.pk: world.reps[store.pk] for store in world.stores}
    for need in world.placements:
        lines = weekly_claim_lines(need, first_day=first_day, weeks=weeks)
        if not lines:
            continue
        # No reference: a rep's claim gets its reference from ShelfAI.
        response = api_client_for(rep_of[need.store_id]).post("/api/claims/", {"lines": lines}, format="json")
        if response.status_code != 201:
            raise RuntimeError(f"claim for placement {need.placement_id} refused: {response.content[:300]!r}")
        count += 1
    return count


def api_client_for(username: str):
    """DRF's in-process client with the user's token: the same views, serializers and pipeline as HTTP."""
    user = User.objects.get(username=username)
    client = APIClient(SERVER_NAME=_allowed_host())
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _allowed_host() -> str:
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    return hosts[0] if hosts else "localhost"


def _upload_file(photo: RenderedPhoto) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{photo.client_upload_id}.jpg", photo.data, content_type="image/jpeg")


@contextmanager
def _eager_tasks() -> Iterator[None]:
    """Run the pipeline's tasks inside this process (seed_demo runs before any worker is started)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Eager tasks log a line each; the visit lines say enough."""
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


class _MovableClock:
    """``clock_at`` that can be moved on within one visit (an offline upload is sent hours later)."""

    def __enter__(self) -> _MovableClock:
        self._context = None
        return self

    def set(self, moment: datetime) -> None:
        self.__exit__()
        self._context = clock_at(moment)
        self._context.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None
