"""Marketing's compliance analytics: dashboard, drill-downs to visits and photos, exports, reports.

Every page takes the same filters in its query string and every table on it can be downloaded
with ``?export=<table>&format=csv|xlsx`` (same filters, all rows), so what you export is what you saw.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from analytics import figures, report, selectors, summaries, thumbs
from analytics.exports import FORMATS, table_response
from analytics.filters import FilterForm, Filters, filters_from
from analytics.tables import Table
from shelfai import formats
from shelfai.accounts.roles import Action, may
from shelfai.claims.models import Campaign, PlacementCheck
from shelfai.compliance.messages import report_not_verified_reason
from shelfai.visits.selectors import photos_visible_to, visits_visible_to

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000
TableBuilders = dict[str, Callable[[bool], Table]]


def analytics_page(view, action: Action = Action.ANALYTICS_READ):
    """Signed-in marketing and admin users only (``analytics.read`` in the roles table: the drill-downs
    show every rep's visits and photos); reps go back to their own page, anyone else gets a 404.

    Pages are never cached: they are per user and the data changes with every scored visit.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may(user, action):
            if user.is_rep:  # the styled 403 page, with the rep's own pages (it was a silent redirect)
                raise PermissionDenied(_("Compliance analytics are for marketing."))
            raise Http404(_("Compliance analytics are for marketing."))
        response = view(request, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

    return wrapper


def photo_page(view):
    """One photo's page and thumbnail: marketing, and finance judging a claim on it (``photos.analysis``)."""
    return analytics_page(view, Action.PHOTO_ANALYSIS_READ)


def _respond(request: HttpRequest, template: str, context: dict, tables: TableBuilders,
             f: Filters | None = None, *, subject: str = "") -> HttpResponse:
    """Render the page, or export one of its tables when ``?export=`` names it.

    ``subject`` names what a one-record page is about in the file name ("photo 1a2b3c4d"); a list
    page's file names its filters instead.
    """
    export = request.GET.get("export")
    if export:
        fmt = request.GET.get("format", "csv")
        if export not in tables or fmt not in FORMATS:
            raise Http404(_("Nothing to export as %(table)r in %(format)r: use one of the page's export links.")
                          % {"table": export, "format": fmt})
        return table_response(tables[export](True), fmt, filters_text=describe(f) if f else "", subject=subject,
                              filters=file_label(f) if f else "")
    query = request.GET.copy()
    for key in ("export", "format", "page"):
        query.pop(key, None)
    context.update(tables={name: build(False) for name, build in tables.items()}, export_query=query.urlencode())
    return render(request, template, context)


def describe(f: Filters) -> str:
    # Translators: a period, e.g. "Sep. 6, 2026 – Dec. 4, 2026".
    parts = [_("%(start)s – %(end)s") % {"start": formats.day(f.date_from), "end": formats.day(f.date_to)}]
    for label, value in [(_("region"), f.region), (_("retailer"), f.retailer), (_("store"), f.store),
                         (_("brand"), f.brand), (_("SKU"), f.product), (_("campaign"), f.campaign)]:
        if value is not None:
            # Translators: one filter in "Showing …", e.g. "region North".
            parts.append(_("%(filter)s %(value)s") % {"filter": label, "value": value})
    # Translators: joins the filters in "Showing …" (the period; region North; brand Acme).
    return _("; ").join(parts)


def file_label(f: Filters) -> str:
    """The filters as an export's file name says them: codes, then the period (ISO, so files sort)."""
    names = [f.region.code if f.region else "", f.retailer.code if f.retailer else "", f.store.code if f.store else "",
             f.brand.name if f.brand else "", f.product.sku if f.product else "",
             f"campaign {f.campaign.pk}" if f.campaign else ""]
    return " ".join([n for n in names if n] + [f"{f.date_from:%Y-%m-%d} to {f.date_to:%Y-%m-%d}"])[:120]


def _filters(request: HttpRequest) -> tuple[FilterForm, Filters]:
    form = FilterForm(request.GET)
    f = filters_from(form)
    form.show_period(f)
    return form, f


@analytics_page
def dashboard(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    summaries.refresh_pending()  # cheap when the summaries are current (the periodic task keeps them so)
    totals = selectors.sku_totals(f)  # one read of the shelf observations for two figures
    trend = figures.score_trend_table(f)
    worst = figures.worst_stores_table(f)
    oos = figures.out_of_stock_table(f, totals=totals)
    share = figures.share_of_shelf_table(f)
    verdicts, verdict_rows = figures.verdict_chart(f)
    tables: TableBuilders = {
        "score_trend": lambda export: trend,
        "worst_stores": lambda export: figures.worst_stores_table(f, limit=None) if export else worst,
        "out_of_stock": lambda export: figures.out_of_stock_table(f, limit=None, totals=totals) if export else oos,
        "share_of_shelf": lambda export: share,
        "placements": lambda export: figures.placements_table(f),
    }
    context = {
        "section": "dashboard", "form": form, "f": f, "filters_text": describe(f),
        "headline": selectors.headline(f, totals=totals),
        "trend_chart": figures.score_trend_chart(trend, f), "worst_chart": figures.worst_stores_chart(worst),
        "oos_chart": figures.out_of_stock_chart(oos), "share_chart": figures.share_of_shelf_chart(share),
        "verdict_chart": verdicts, "verdicts": verdict_rows,
        "visits_query": f.query(brand=None, sku=None), "placements_query": f.query(),
    }
    return _respond(request, "analytics/dashboard.html", context, tables, f)


@analytics_page
def visit_list(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    # A SKU code never holds a NUL; PostgreSQL refuses one in a query (that was a 500).
    oos_sku = request.GET.get("oos", "").replace("\x00", "").strip()[:64] or None
    verdict = request.GET.get("verdict") or None
    if verdict not in PlacementCheck.Verdict.values:
        verdict = None
    worst_first = request.GET.get("order") == "worst"
    visits = selectors.visit_list(f, oos_sku=oos_sku, verdict=verdict, worst_first=worst_first)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    tables: TableBuilders = {
        "visits": lambda export: figures.visits_table(visits[:EXPORT_MAX_ROWS] if export else page, f,
                                                      with_thumbs=not export),
    }
    drill = {k: v for k, v in {"oos": oos_sku, "verdict": verdict}.items() if v}
    context = {
        "section": "visits", "form": form, "f": f, "filters_text": describe(f), "page": page, "oos_sku": oos_sku,
        "verdict": PlacementCheck.Verdict(verdict).label if verdict else None, "worst_first": worst_first,
        "hidden": {**drill, "order": "worst"} if worst_first else drill,
        "newest_query": f.query(**drill), "worst_query": f.query(**drill, order="worst"),
    }
    return _respond(request, "analytics/visits.html", context, tables, f)


@analytics_page
def visit_detail(request: HttpRequest, public_id) -> HttpResponse:
    visit = get_object_or_404(visits_visible_to(request.user).select_related("store__region"), public_id=public_id)
    result = selectors.current_result(visit=visit)
    checks = visit.placement_checks.filter(is_current=True).select_related("placement__store", "placement__campaign",
                                                                          "visit")
    tables: TableBuilders = {
        "photos": lambda export: figures.visit_photos_table(selectors.visit_photos(visit)),
        "deductions": lambda export: figures.deductions_table("deductions", result),
        "skus": lambda export: figures.visit_skus_table(selectors.visit_observations(visit)),
        "placement_checks": lambda export: figures.placement_checks_table(checks),
    }
    shelves = selectors.shelf_results(visit)
    for shelf in shelves:  # why a shelf is not verified, in the reader's language (stored as a code)
        shelf.not_verified_text = report_not_verified_reason(shelf.report)
    context = {"section": "visits", "visit": visit, "result": result, "shelves": shelves,
               "not_verified_reason": report_not_verified_reason(result.report if result else None)}
    day = visit.local_date
    return _respond(request, "analytics/visit.html", context, tables,
                    subject=f"visit {visit.store.code} {day:%Y-%m-%d}")


@photo_page
def photo_thumbnail(request: HttpRequest, public_id) -> HttpResponse:
    photo = get_object_or_404(photos_visible_to(request.user), public_id=public_id)
    response = HttpResponse(thumbs.thumbnail_of(photo), content_type="image/jpeg")
    # The original's bytes never change (sha256-addressed), so its thumbnail may be kept; per user only.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@photo_page
def photo_detail(request: HttpRequest, public_id) -> HttpResponse:
    """One photo with its boxes: a summary per shelf row and per SKU, every box behind a disclosure,
    50 to a page (a 228-box photo was a 10,600 px page of coordinates)."""
    photo = get_object_or_404(photos_visible_to(request.user).select_related("visit__rep"), public_id=public_id)
    run, boxes = selectors.photo_detections(photo)
    result = selectors.current_result(photo=photo)
    detections = Paginator(boxes, PAGE_SIZE).get_page(request.GET.get("page"))
    tables: TableBuilders = {
        "deductions": lambda export: figures.deductions_table("deductions", result),
        "shelf_rows": lambda export: figures.shelf_rows_table(selectors.shelf_rows(boxes)),
        "facings": lambda export: figures.facings_table(selectors.facings_table(boxes, result)),
        "detections": lambda export: figures.detections_table(boxes if export else detections.object_list),
        "flags": lambda export: figures.flags_table(photo),
    }
    highlighted = {d.get("sku") for d in ((result.deductions if result else None) or []) if d.get("sku")}
    context = {
        "section": "visits", "photo": photo, "visit": photo.visit, "run": run, "boxes": boxes, "result": result,
        "gaps": _gap_boxes(run), "counts": _box_counts(boxes), "highlighted": highlighted,
        "not_verified_reason": report_not_verified_reason(result.report if result else None),
        "page": detections, "page_anchor": "detections", "may_drill": may(request.user, Action.ANALYTICS_READ),
        # Open the raw list when the user is paging through it.
        "detections_open": "page" in request.GET, "back_to_claim": _claim_url(request.GET.get("claim")),
    }
    return _respond(request, "analytics/photo.html", context, tables, subject=f"photo {str(photo.public_id)[:8]}")


def _claim_url(value: str | None) -> str:
    """Finance arrives from a claim's evidence (``?claim=<id>``): the way back. The claim page does its own
    access check, so only the number is taken from the query string."""
    return reverse("claim-detail", args=[int(value)]) if value and value.isdigit() and len(value) < 12 else ""


def _gap_boxes(run) -> list[dict]:
    """Empty gaps of the run as x/y/width/height boxes (stored as x1/y1/x2/y2)."""
    boxes = []
    for gap in (run.gaps if run else None) or []:
        try:
            x1, y1, x2, y2 = (float(gap[k]) for k in ("x1", "y1", "x2", "y2"))
        except (KeyError, TypeError, ValueError):
            continue  # an older run's gap without a box: nothing to draw
        boxes.append({"x": x1, "y": y1, "w": max(x2 - x1, 1), "h": max(y2 - y1, 1),
                      "facings": gap.get("width_in_facings")})
    return boxes


def _box_counts(boxes: list[dict]) -> dict[str, int]:
    counts = {"own": 0, "competitor": 0, "unknown": 0}
    for box in boxes:
        counts[box["kind"]] += 1
    return counts


@analytics_page
def placement_list(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    verdict = request.GET.get("verdict") or None
    if verdict not in PlacementCheck.Verdict.values:
        verdict = None
    checks = selectors.placement_check_list(f, verdict=verdict)
    page = Paginator(checks, PAGE_SIZE).get_page(request.GET.get("page"))
    tables: TableBuilders = {
        "placement_checks": lambda export: figures.placement_checks_table(checks[:EXPORT_MAX_ROWS] if export
                                                                          else page),
    }
    context = {"section": "placements", "form": form, "f": f, "filters_text": describe(f), "page": page,
               "verdict": PlacementCheck.Verdict(verdict).label if verdict else None,
               "hidden": {"verdict": verdict} if verdict else {}}
    return _respond(request, "analytics/placements.html", context, tables, f)


@analytics_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("brand").order_by("-starts_on")[:200]
    return render(request, "analytics/campaigns.html", {"section": "campaigns", "campaigns": campaigns})


@analytics_page
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("brand"), pk=pk)
    summaries.refresh_pending()
    data = report.campaign_report(campaign)
    tables: TableBuilders = {t.name: (lambda export, t=t: t) for t in data.tables}
    context = {"section": "campaigns", "report": data, "campaign": campaign}
    with formats.amounts_in(campaign.currency):  # fees and budget in the campaign's currency, exports too
        return _respond(request, "analytics/campaign_report.html", context, tables)


@analytics_page
def campaign_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("brand"), pk=pk)
    summaries.refresh_pending()
    with formats.amounts_in(campaign.currency):
        body = report.render_pdf(report.campaign_report(campaign))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-report.pdf"'
    return response
