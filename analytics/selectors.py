"""Report queries for the compliance dashboard. Aggregation happens in SQL; Python only shapes rows.

Which rows feed which figure:
- scores: the current *visit*-scope ComplianceResult (a photo covers part of a bay, so only the
  visit score says whether the store complied), dated by the visit's check-in, read from the
  per-store-and-day summary (analytics.models.StoreDay). Scores are whole-visit figures, so brand
  and SKU filters do not narrow them; they narrow the shelf figures, placements and visit lists;
- out of stock: SkuObservation (one row per visit and planned SKU), from the per-day-region-SKU
  summary, or the observations themselves for a store-level filter;
- share of shelf: the visit scores' per-brand facings and widths, from BrandDay;
- paid placements: current PlacementCheck rows, dated by ``checked_on`` (a small table).
The summaries are refreshed by analytics.summaries before a page reads them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncWeek
from django.utils.translation import gettext as _

from analytics.filters import Filters
from analytics.models import BrandDay, SkuDay, StoreDay
from shelfai.claims.models import PlacementCheck
from shelfai.compliance.models import ComplianceResult, SkuObservation
from shelfai.detection.models import DetectionRun
from shelfai.stores.models import Brand, Product
from shelfai.visits.models import Photo, Visit

VERDICTS = PlacementCheck.Verdict


def visit_q(f: Filters, prefix: str = "") -> Q:
    """Visits within the dates (each dated by its store's own day) at the filtered stores."""
    return Q(**{f"{prefix}local_date__gte": f.date_from, f"{prefix}local_date__lte": f.date_to}) & f.store_q(
        f"{prefix}store__"
    )


def _covers_products(f: Filters, visit_ref: str) -> tuple:
    """A brand/SKU/campaign filter limits visits to those that observed or expected those SKUs.

    Returns filter() arguments: none when every SKU counts.
    """
    product_ids = f.product_ids()
    if product_ids is None:
        return ()
    return (Exists(SkuObservation.objects.filter(visit_id=OuterRef(visit_ref), product_id__in=product_ids)),)


def visits_in_scope(f: Filters) -> QuerySet[Visit]:
    # A visit without a photo (a tap on a store, then nothing) is no visit to report on.
    return (Visit.objects.filter(visit_q(f)).filter(*_covers_products(f, "pk"))
            .filter(Exists(Photo.objects.filter(visit_id=OuterRef("pk")))))


def observations(f: Filters, *, limit_products: bool = True) -> QuerySet[SkuObservation]:
    """Observations of the visits in scope (dated, like every figure, by the visit's store-local day).

    ``observed_on`` is the visit's local day (older rows: its UTC day, hence the one-day margin, which
    still lets the (store, product, observed_on) index skip the other days before the visits are joined).
    """
    margin = timedelta(days=1)
    q = Q(observed_on__gte=f.date_from - margin, observed_on__lte=f.date_to + margin)
    q &= Q(visit__local_date__gte=f.date_from, visit__local_date__lte=f.date_to) & f.store_q("store__")
    rows = SkuObservation.objects.filter(q)
    product_ids = f.product_ids() if limit_products else None
    return rows if product_ids is None else rows.filter(product_id__in=product_ids)


def placement_checks(f: Filters) -> QuerySet[PlacementCheck]:
    q = Q(checked_on__gte=f.date_from, checked_on__lte=f.date_to, is_current=True) & f.store_q(
        "placement__store__"
    )
    if f.campaign is not None:
        q &= Q(placement__campaign=f.campaign)
    if f.brand is not None:
        q &= Q(placement__campaign__brand=f.brand)
    if f.product is not None:
        q &= Q(placement__requirements__product=f.product)
    return PlacementCheck.objects.filter(q)


# --- Headline figures -------------------------------------------------------------------------


def store_days(f: Filters) -> QuerySet[StoreDay]:
    """Pre-aggregated visits and scores per store and day (see analytics.models)."""
    return StoreDay.objects.filter(day__gte=f.date_from, day__lte=f.date_to).filter(f.store_q("store__"))


@dataclass(frozen=True)
class Headline:
    average_score: float | None
    visits: int
    photos: int
    oos_rate: float | None
    executed_rate: float | None
    unverified: int = 0  # shelf results not verified: left out of the average score and the out-of-stock rate
    insufficient: int = 0  # placement checks without enough evidence: left out of the executed rate


def headline(f: Filters, *, totals: dict[int, SkuTotal] | None = None) -> Headline:
    """Scores and visit counts cover whole visits: brand and SKU filters narrow the shelf figures."""
    days = store_days(f).aggregate(visits=Sum("visits"), scored=Sum("scored_visits"), total=Sum("score_sum"),
                                   photos=Sum("photos"), unverified=Sum("unverified"))
    limited = _limited(f, sku_totals(f) if totals is None else totals)
    oos = {"n": sum(t.seen for t in limited), "oos": sum(t.oos for t in limited)}
    checks = placement_checks(f).aggregate(
        n=Count("pk", filter=~Q(verdict=VERDICTS.INSUFFICIENT)), ok=Count("pk", filter=Q(verdict=VERDICTS.EXECUTED)),
        insufficient=Count("pk", filter=Q(verdict=VERDICTS.INSUFFICIENT)),
    )
    return Headline(
        average_score=days["total"] / days["scored"] if days["scored"] else None,
        visits=days["visits"] or 0,
        photos=days["photos"] or 0,
        oos_rate=oos["oos"] / oos["n"] if oos["n"] else None,
        executed_rate=checks["ok"] / checks["n"] if checks["n"] else None,
        unverified=days["unverified"] or 0,
        insufficient=checks["insufficient"] or 0,
    )


# --- Score trend and worst stores -------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    starts_on: date
    ends_on: date
    average: float
    visits: int


def score_trend(f: Filters) -> list[TrendPoint]:
    """Average visit score per day (ranges up to 5 weeks) or per week (longer ranges)."""
    daily = f.days <= 35
    bucket = F("day") if daily else TruncWeek("day")
    rows = (
        store_days(f).filter(scored_visits__gt=0)
        .annotate(bucket=bucket).values("bucket")
        .annotate(total=Sum("score_sum"), n=Sum("scored_visits"))
        .order_by("bucket")
    )
    span = timedelta(days=0 if daily else 6)
    points = []
    for row in rows:
        start = row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"]
        points.append(TrendPoint(max(start, f.date_from), min(start + span, f.date_to), row["total"] / row["n"],
                                 row["n"]))
    return points


def worst_stores(f: Filters, *, limit: int | None = 10) -> list[dict]:
    rows = (
        store_days(f)
        .values("store_id", "store__code", "store__name", "store__region__name", "store__retailer__name")
        .annotate(total=Sum("score_sum"), n=Sum("scored_visits"), last=Max("last_visit_at"))
        .filter(n__gt=0)
        .annotate(avg=F("total") / NullIf(F("n"), 0))
        .order_by("avg", "store__name")
    )
    rows = rows[:limit] if limit else rows
    return [
        {"code": r["store__code"], "name": r["store__name"], "region": r["store__region__name"],
         "retailer": r["store__retailer__name"], "average": float(r["avg"]), "visits": r["n"],
         "last_visit": r["last"]}
        for r in rows
    ]


# --- Shelf figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuTotal:
    product: Product
    seen: int
    oos: int
    facings: int


def sku_totals(f: Filters) -> dict[int, SkuTotal]:
    """Per SKU: visits that checked it, visits that found it out of stock, facings seen.

    One read serves the out-of-stock figure and the headline rate; it depends only on the dates
    and stores, so brand/SKU filters are applied afterwards.
    """
    if f.retailer is None and f.store is None and not f.campaign_store_ids:
        # Region and dates only: the per-day, per-region summary has every figure needed.
        summary = SkuDay.objects.filter(day__gte=f.date_from, day__lte=f.date_to)
        summary = summary.filter(region=f.region) if f.region is not None else summary.filter(region__isnull=True)
        rows = summary.values("product_id").annotate(seen=Sum("seen"), oos=Sum("oos"), facings=Sum("facings"))
    else:
        # A few stores: the observations' (store, product, day) index finds them quickly.
        rows = (
            observations(f, limit_products=False)
            .values("product_id")
            .annotate(seen=Count("pk"), oos=Count("pk", filter=Q(out_of_stock=True)),
                      facings=Coalesce(Sum("facings"), Value(0), output_field=IntegerField()))
        )
    rows = list(rows.order_by())
    products = Product.objects.select_related("brand").in_bulk([r["product_id"] for r in rows])
    return {r["product_id"]: SkuTotal(products[r["product_id"]], r["seen"], r["oos"], r["facings"] or 0)
            for r in rows}


def _limited(f: Filters, totals: dict[int, SkuTotal]) -> list[SkuTotal]:
    product_ids = f.product_ids()
    if product_ids is None:
        return list(totals.values())
    return [totals[pk] for pk in product_ids if pk in totals]


def out_of_stock_by_sku(f: Filters, *, limit: int | None = 15, totals: dict[int, SkuTotal] | None = None
                        ) -> list[dict]:
    """SKUs by how often a visit found them out of stock (most often first)."""
    totals = sku_totals(f) if totals is None else totals
    missing = sorted((t for t in _limited(f, totals) if t.oos), key=lambda t: (-t.oos, t.product.sku))
    return [
        {"sku": t.product.sku, "name": str(t.product), "brand": t.product.brand.name, "oos": t.oos,
         "observations": t.seen, "rate": t.oos / t.seen}
        for t in (missing[:limit] if limit else missing)
    ]


def share_of_shelf(f: Filters) -> list[dict]:
    """Each brand's share of the shelf in the categories it is sold in, by facings and by width.

    From the visit scores' share of shelf (every recognised facing, competitors included; see
    BrandDay). Shelves are per category, so a formula brand is compared with the formula shelf, not
    with every facing in the store. A SKU filter narrows the shelf to that SKU's category; a brand
    filter shows that brand only. The target (Brand.share_of_shelf_target) is a share of facings.
    """
    rows = BrandDay.objects.filter(day__gte=f.date_from, day__lte=f.date_to).filter(f.store_q("store__"))
    if f.product is not None:
        rows = rows.filter(category_id=f.product.category_id)
    sums = rows.values("category_id", "brand_id").annotate(n=Sum("facings"), w=Sum("width_mm")).order_by()
    shelf: dict[int, tuple[int, float]] = {}
    by_brand: dict[int, dict[int, tuple[int, float]]] = defaultdict(dict)
    for r in sums:
        if r["brand_id"] is None:
            shelf[r["category_id"]] = (r["n"] or 0, r["w"] or 0.0)
        else:
            by_brand[r["brand_id"]][r["category_id"]] = (r["n"] or 0, r["w"] or 0.0)
    sold_in: dict[int, set[int]] = defaultdict(set)
    for brand_id, category_id in Product.objects.values_list("brand_id", "category_id").distinct().order_by():
        sold_in[brand_id].add(category_id)
    brands = Brand.objects.all() if f.brand is None else Brand.objects.filter(pk=f.brand.pk)
    result = []
    for brand in brands:
        categories = {c for c in sold_in[brand.pk] | set(by_brand[brand.pk]) if shelf.get(c, (0, 0))[0]}
        if not categories:
            continue
        total_n, total_w = (sum(shelf[c][i] for c in categories) for i in (0, 1))
        own_n, own_w = (sum(by_brand[brand.pk].get(c, (0, 0.0))[i] for c in categories) for i in (0, 1))
        target = float(brand.share_of_shelf_target) if brand.share_of_shelf_target is not None else None
        share = own_n / total_n
        result.append({
            "brand_id": brand.pk, "brand": brand.name, "is_own": brand.is_own, "facings": own_n,
            "shelf_facings": total_n, "share": share, "width_share": own_w / total_w if total_w else None,
            "target": target, "gap": share - target if target is not None else None,
        })
    result.sort(key=lambda r: (not r["is_own"], -r["share"]))
    return result


# --- Paid placements --------------------------------------------------------------------------


def verdict_counts(f: Filters) -> list[dict]:
    counts = dict(placement_checks(f).values_list("verdict").annotate(n=Count("pk")).order_by())
    return [{"verdict": v.value, "label": v.label, "checks": counts.get(v.value, 0)} for v in VERDICTS]


def placements_by_campaign(f: Filters) -> list[dict]:
    verdict_count = {v: Count("pk", filter=Q(verdict=v)) for v in VERDICTS.values}
    rows = (
        placement_checks(f)
        .values("placement__campaign_id", "placement__campaign__name", "placement__campaign__brand__name")
        .annotate(placements=Count("placement", distinct=True), checks=Count("pk"), **verdict_count)
        .order_by("placement__campaign__name")
    )
    result = []
    for r in rows:
        judged = r["checks"] - r[VERDICTS.INSUFFICIENT]
        result.append({
            "campaign_id": r["placement__campaign_id"], "campaign": r["placement__campaign__name"],
            "brand": r["placement__campaign__brand__name"], "placements": r["placements"], "checks": r["checks"],
            "executed": r[VERDICTS.EXECUTED], "partly": r[VERDICTS.PARTLY_EXECUTED],
            "not_executed": r[VERDICTS.NOT_EXECUTED], "insufficient": r[VERDICTS.INSUFFICIENT],
            "executed_rate": r[VERDICTS.EXECUTED] / judged if judged else None,
        })
    return result


def placement_check_list(f: Filters, *, verdict: str | None = None) -> QuerySet[PlacementCheck]:
    checks = placement_checks(f)
    if verdict:
        checks = checks.filter(verdict=verdict)
    return checks.select_related(
        "placement__store", "placement__campaign", "visit"
    ).order_by("-checked_on", "-pk").distinct()


# --- The visits behind a figure ---------------------------------------------------------------


def visit_list(f: Filters, *, oos_sku: str | None = None, verdict: str | None = None,
               worst_first: bool = False) -> QuerySet[Visit]:
    """Visits in scope with their current score and photo count, newest (or worst) first."""
    visits = visits_in_scope(f)
    if oos_sku:
        visits = visits.filter(Exists(SkuObservation.objects.filter(
            visit_id=OuterRef("pk"), product__sku=oos_sku, out_of_stock=True)))
    if verdict:
        visits = visits.filter(Exists(PlacementCheck.objects.filter(
            visit_id=OuterRef("pk"), verdict=verdict, is_current=True)))
    current = ComplianceResult.objects.filter(
        visit_id=OuterRef("pk"), scope=ComplianceResult.Scope.VISIT, is_current=True
    ).order_by("-created_at")
    photos = Photo.objects.filter(visit_id=OuterRef("pk")).order_by().values("visit_id").annotate(
        n=Count("pk")).values("n")[:1]
    visits = visits.select_related("store__region", "store__retailer", "rep").annotate(
        score=Subquery(current.values("score")[:1]), confidence=Subquery(current.values("confidence")[:1]),
        unverified=Exists(current.filter(score__isnull=True, report__verified=False)),
        photo_count=Coalesce(Subquery(photos), Value(0)),
    )
    if worst_first:
        return visits.order_by(F("score").asc(nulls_last=True), "-started_at")
    return visits.order_by("-started_at", "-pk")


# --- One visit, one photo ---------------------------------------------------------------------


def shelf_results(visit: Visit) -> list[ComplianceResult]:
    """The visit's current result per planogram (one per category photographed), in category order."""
    return list(ComplianceResult.objects.filter(visit=visit, scope=ComplianceResult.Scope.VISIT, is_current=True,
                                                planogram__isnull=False)
                .select_related("planogram__category").order_by("planogram__category__name", "pk"))


def current_result(*, visit: Visit | None = None, photo: Photo | None = None) -> ComplianceResult | None:
    if photo is not None:
        results = ComplianceResult.objects.filter(photo=photo, scope=ComplianceResult.Scope.PHOTO)
    else:
        results = ComplianceResult.objects.filter(visit=visit, scope=ComplianceResult.Scope.VISIT)
    return results.filter(is_current=True).select_related("planogram").order_by("-created_at").first()


def visit_photos(visit: Visit) -> QuerySet[Photo]:
    score = ComplianceResult.objects.filter(
        photo_id=OuterRef("pk"), scope=ComplianceResult.Scope.PHOTO, is_current=True
    ).order_by("-created_at").values("score")[:1]
    return visit.photos.annotate(score=Subquery(score), flag_count=Count("flags")).order_by("uploaded_at")


def visit_observations(visit: Visit) -> QuerySet[SkuObservation]:
    return visit.sku_observations.select_related("product__brand").order_by("-out_of_stock", "product__sku")


def photo_detections(photo: Photo) -> tuple[object | None, list[dict]]:
    """The current detection run of ``photo`` and its boxes, labelled for the overlay."""
    run = DetectionRun.objects.filter(photo=photo, is_current=True).order_by("-created_at").first()
    if run is None:
        return None, []
    boxes = []
    for d in run.detections.select_related("product__brand").order_by("shelf_level", "x1"):
        product = d.product
        kind = "unknown" if product is None else ("own" if product.brand.is_own else "competitor")
        boxes.append({
            "x": d.x1, "y": d.y1, "w": max(d.x2 - d.x1, 1), "h": max(d.y2 - d.y1, 1), "kind": kind,
            "sku": product.sku if product else "", "label": str(product) if product else _("Unrecognised product"),
            "brand": product.brand.name if product else "", "confidence": d.confidence,
            # An unrecognised product has no SKU, so no confidence in one (the stored 1.00 meant nothing).
            "sku_confidence": d.sku_confidence if product else None, "shelf": d.shelf_level,
        })
    return run, boxes


def shelf_rows(boxes: list[dict]) -> list[dict]:
    """Per shelf row of the photo (top first): facings, own / competitor / unrecognised, and its SKUs
    by facings, so a 228-box photo reads as five lines, not 228 coordinates."""
    rows: dict[int | None, dict] = {}
    for box in boxes:
        row = rows.setdefault(box["shelf"], {"shelf": box["shelf"], "facings": 0, "own": 0, "competitor": 0,
                                            "unknown": 0, "skus": {}})
        row["facings"] += 1
        row[box["kind"]] += 1
        if box["sku"]:
            row["skus"][box["label"]] = row["skus"].get(box["label"], 0) + 1
    out = []
    for level in sorted(rows, key=lambda lvl: (lvl is None, lvl or 0)):
        row = rows[level]
        top = sorted(row["skus"].items(), key=lambda kv: (-kv[1], kv[0]))
        row["products"] = _(", ").join(_("%(name)s × %(n)s") % {"name": name, "n": n} for name, n in top)
        row["label"] = _("Shelf %(level)s") % {"level": level} if level is not None else _("Shelf not known")
        out.append(row)
    return out


def facings_table(boxes: list[dict], result: ComplianceResult | None) -> list[dict]:
    """Facings seen per SKU in the photo, with the expected count where the score recorded one."""
    seen: dict[str, dict] = {}
    for box in boxes:
        row = seen.setdefault(box["sku"] or "?", {"sku": box["sku"] or "—", "name": box["label"],
                                                  "brand": box["brand"], "facings": 0, "expected": None})
        row["facings"] += 1
    recorded = (result.facings_by_sku if result else None) or {}
    for sku, value in recorded.items():
        row = seen.setdefault(sku, {"sku": sku, "name": sku, "brand": "", "facings": 0, "expected": None})
        if isinstance(value, dict):
            row["expected"] = value.get("expected")
    return sorted(seen.values(), key=lambda r: (-r["facings"], r["sku"]))
