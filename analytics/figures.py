"""The dashboard's figures as tables and charts, each row linked to the visits or photos behind it."""

from __future__ import annotations

from dataclasses import replace

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics import charts, selectors
from analytics.filters import Filters
from analytics.tables import Column, Table
from analytics.thumbs import thumb, thumbs_by_visit
from shelfai import formats
from shelfai.claims import messages as claim_messages
from shelfai.compliance import messages as compliance_messages
from shelfai.pipeline import messages as pipeline_messages
from shelfai.visits import flag_messages

VERDICT_CSS = {"executed": "ok", "partly_executed": "warn", "not_executed": "bad", "insufficient_evidence": "muted"}


def _url(name: str, f: Filters, **extra) -> str:
    return f"{reverse(name)}?{f.query(**extra)}"


def _whole_visits(f: Filters) -> Filters:
    """Score figures cover whole visits, so their drill-downs list every visit, whatever the brand/SKU."""
    return replace(f, brand=None, product=None)


def score_trend_table(f: Filters) -> Table:
    rows = [
        {"starts_on": p.starts_on, "ends_on": p.ends_on, "average": p.average, "visits": p.visits,
         "_url": _url("analytics-visits", _whole_visits(f).with_dates(p.starts_on, p.ends_on))}
        for p in selectors.score_trend(f)
    ]
    return Table("score_trend", _("Score trend"), [
        Column("starts_on", _("From"), "date"), Column("ends_on", _("To"), "date"),
        Column("average", _("Average score"), "float"), Column("visits", _("Scored visits"), "int"),
    ], rows, empty_text=_("No scored visits in this period."))


def score_trend_chart(table: Table, f: Filters) -> charts.Chart:
    points = [(r["starts_on"], r["average"], r["_url"],
               _trend_title(r))
              for r in table.rows]
    return charts.line_chart(points, start=f.date_from, end=f.date_to)


def _trend_title(r: dict) -> str:
    span = f"{formats.day(r['starts_on'])} – {formats.day(r['ends_on'])}" if r["ends_on"] != r["starts_on"] else \
        formats.day(r["starts_on"])
    return _average_over(span, r["average"], r["visits"])


def _average_over(what: str, average: float, visits: int) -> str:
    return ngettext("%(what)s: average %(average)s over %(n)s visit", "%(what)s: average %(average)s over %(n)s visits",
                    visits) % {"what": what, "average": formats.number(average, 1), "n": formats.number(visits)}


def join_sentences(parts) -> str:
    """Reasons are whole sentences: join them with a space, ending each with its full stop once
    ("required facings.; …" read as one broken sentence)."""
    sentences = []
    for part in parts or []:
        text = str(part).strip()
        if text:
            sentences.append(text if text.endswith((".", "!", "?")) else text + ".")
    return " ".join(sentences)


def worst_stores_table(f: Filters, *, limit: int | None = 10) -> Table:
    rows = [
        {**r, "_url": _url("analytics-visits", _whole_visits(f), store=r["code"], order="worst")}
        for r in selectors.worst_stores(f, limit=limit)
    ]
    return Table("worst_stores", _("Worst stores"), [
        Column("name", _("Store")), Column("code", _("Code")), Column("region", _("Region")),
        Column("retailer", _("Retailer")),
        Column("average", _("Average score"), "float"), Column("visits", _("Scored visits"), "int"),
        Column("last_visit", _("Last visit"), "datetime"),
    ], rows, empty_text=_("No scored visits in this period."))


def worst_stores_chart(table: Table) -> charts.Chart:
    bars = [{"label": r["name"], "value": r["average"], "url": r["_url"], "css": _score_css(r["average"]),
             "title": _average_over(r["name"], r["average"], r["visits"])} for r in table.rows]
    return charts.bar_chart(bars, max_value=100)


def out_of_stock_table(f: Filters, *, limit: int | None = 15, totals=None) -> Table:
    rows = [{**r, "_url": _url("analytics-visits", f, oos=r["sku"])}
            for r in selectors.out_of_stock_by_sku(f, limit=limit, totals=totals)]
    return Table("out_of_stock", _("Out of stock by SKU"), [
        Column("sku", _("SKU")), Column("name", _("Product")), Column("brand", _("Brand")),
        Column("oos", _("Visits out of stock"), "int"), Column("observations", _("Visits checked"), "int"),
        Column("rate", _("Out-of-stock rate"), "pct"),
    ], rows, empty_text=_("No out-of-stock SKUs seen in this period."))


def out_of_stock_chart(table: Table) -> charts.Chart:
    bars = [{"label": r["name"], "value": r["rate"] * 100, "url": r["_url"], "css": "bad",
             "title": ngettext("%(name)s (%(sku)s): out of stock on %(oos)s of %(n)s visit",
                               "%(name)s (%(sku)s): out of stock on %(oos)s of %(n)s visits", r["observations"])
             % {"name": r["name"], "sku": r["sku"], "oos": formats.number(r["oos"]),
                "n": formats.number(r["observations"])}}
            for r in table.rows]
    return charts.bar_chart(bars, max_value=100, value_format=_percent_of_100)


def share_of_shelf_table(f: Filters) -> Table:
    rows = [{**r, "own": _("own") if r["is_own"] else _("competitor"),
             "_url": _url("analytics-visits", f, brand=r["brand_id"])}
            for r in selectors.share_of_shelf(f)]
    return Table("share_of_shelf", _("Share of shelf against target"), [
        Column("brand", _("Brand")), Column("own", _("Own or competitor")), Column("facings", _("Facings"), "int"),
        Column("shelf_facings", _("Facings on its shelves"), "int"), Column("share", _("Share of facings"), "pct"),
        Column("width_share", _("Share of width"), "pct"), Column("target", _("Target"), "pct"),
        Column("gap", _("Against target"), "pct"),
    ], rows, empty_text=_("No scored shelves in this period."),
        note=_("Among all recognised facings on the shelves of the categories the brand is sold in; "
               "the target is a share of facings."))


def share_of_shelf_chart(table: Table) -> charts.Chart:
    bars = []
    for r in table.rows:
        target = r["target"] * 100 if r["target"] is not None else None

        css = "muted" if not r["is_own"] else ("ok" if target is None or r["share"] * 100 >= target else "warn")
        bars.append({"label": r["brand"], "value": r["share"] * 100, "target": target, "url": r["_url"], "css": css,
                     "title": _share_title(r["brand"], r["share"], r["target"])})
    return charts.bar_chart(bars, max_value=100, value_format=_percent_of_100)


def _percent_of_100(value: float) -> str:
    return formats.percent(value / 100)


def _share_title(brand: str, share: float, target: float | None) -> str:
    if target is None:
        return _("%(brand)s: %(share)s of facings") % {"brand": brand, "share": formats.percent(share, 1)}
    return _("%(brand)s: %(share)s of facings, target %(target)s") % {
        "brand": brand, "share": formats.percent(share, 1), "target": formats.percent(target)}


def placements_table(f: Filters) -> Table:
    rows = [{**r, "_url": _url("analytics-placements", f, campaign=r["campaign_id"])}
            for r in selectors.placements_by_campaign(f)]
    return Table("placements", _("Paid placements executed"), [
        Column("campaign", _("Campaign")), Column("brand", _("Brand")), Column("placements", _("Placements"), "int"),
        Column("checks", _("Checks"), "int"), Column("executed", _("Executed"), "int"),
        Column("partly", _("Partly executed"), "int"), Column("not_executed", _("Not executed"), "int"),
        Column("insufficient", _("Insufficient evidence"), "int"), Column("executed_rate", _("Executed rate"), "pct"),
    ], rows, empty_text=_("No paid placements were checked in this period."),
        note=_("Executed rate leaves out checks with insufficient evidence."))


def verdict_chart(f: Filters) -> tuple[charts.Chart, list[dict]]:
    counts = selectors.verdict_counts(f)
    for c in counts:
        c.update(url=_url("analytics-placements", f, verdict=c["verdict"]), css=VERDICT_CSS[c["verdict"]],
                 value=c["checks"], title=ngettext("%(label)s: %(n)s check", "%(label)s: %(n)s checks", c["checks"])
                 % {"label": c["label"], "n": formats.number(c["checks"])})
    return charts.stacked_bar(counts), counts


def visits_table(visits, f: Filters, *, with_thumbs: bool = True) -> Table:
    """The visit list; on the page each row shows its first photos, each a link to its photo page."""
    visits = list(visits)
    pictures = thumbs_by_visit([v.pk for v in visits]) if with_thumbs else {}
    rows = [
        {"started_at": v.started_at, "store": v.store.name, "code": v.store.code, "region": v.store.region.name,
         "rep": v.rep.get_full_name() or v.rep.username, "score": v.score, "photos": v.photo_count,
         "thumbs": pictures.get(v.pk, []),
         "confidence": v.confidence if v.score is not None else None,
         "evidence": _("not verified") if v.unverified else "",
         "status": v.get_status_display(), "_url": reverse("analytics-visit", args=[v.public_id])}
        for v in visits
    ]
    return Table("visits", _("Visits"), [
        # The pictures right after the time: on a phone they are on screen without scrolling the table sideways.
        Column("started_at", _("Checked in"), "datetime"), Column("thumbs", _("Photos"), "thumbs"),
        Column("store", _("Store")), Column("code", _("Code")), Column("region", _("Region")), Column("rep", _("Rep")),
        Column("score", _("Score"), "float"), Column("confidence", _("Confidence"), "ratio"),
        Column("evidence", _("Evidence")), Column("photos", _("Photo count"), "int"), Column("status", _("Visit")),
    ], rows, empty_text=_("No visits match these filters."))


def placement_checks_table(checks) -> Table:
    rows = [
        {"checked_on": c.checked_on, "store": c.placement.store.name, "campaign": c.placement.campaign.name,
         "display": c.placement.get_display_type_display(), "verdict": c.get_verdict_display(),
         "weight": c.evidence_weight, "reasons": join_sentences(claim_messages.check_reasons(c)),
         "_url": reverse("analytics-visit", args=[c.visit.public_id])}
        for c in checks
    ]
    return Table("placement_checks", _("Placement checks"), [
        Column("checked_on", _("Checked"), "date"), Column("store", _("Store")), Column("campaign", _("Campaign")),
        Column("display", _("Display")), Column("verdict", _("Verdict")),
        Column("weight", _("Evidence weight"), "ratio"),
        Column("reasons", _("Why")),
    ], rows, empty_text=_("No placement checks match these filters."))


def _score_css(score: float) -> str:
    return "ok" if score >= 80 else "warn" if score >= 60 else "bad"


# --- One visit, one photo ---------------------------------------------------------------------


def deductions_table(name: str, result) -> Table:
    rows = [{"points": d.get("points"), "sku": d.get("sku") or "", "message": compliance_messages.deduction_message(d),
             "code": d.get("code", "")} for d in ((result.deductions if result else None) or [])]
    rows.sort(key=lambda r: -(r["points"] or 0))
    return Table(name, _("What to fix"), [
        Column("message", _("What to fix")), Column("points", _("Points off"), "float"), Column("sku", _("SKU")),
        Column("code", _("Rule")),
    ], rows, empty_text=_no_deductions_text(result))


def _no_deductions_text(result) -> str:
    if not result:
        return _("Not scored yet.")
    if (result.report or {}).get("verified") is False:  # nothing was judged, so nothing "matched"
        return _("Not verified: nothing is stated as missing until the shelf can be read (see the reason above).")
    return _("No deductions: the shelf matched the planogram.")


def visit_photos_table(photos) -> Table:
    """The visit's photos, each shown by its thumbnail, which opens the photo page with its boxes."""
    rows = [{"thumb": [thumb(p, alt=_("Photo %(n)s of the visit, uploaded %(when)s")
                                 % {"n": i, "when": formats.moment(p.uploaded_at)})],
             "uploaded_at": p.uploaded_at, "photo": str(p.public_id)[:8], "status": p.get_status_display(),
             "score": p.score, "flags": p.flag_count, "reason": pipeline_messages.photo_status_reason(p),
             "_url": reverse("analytics-photo", args=[p.public_id])} for i, p in enumerate(photos, start=1)]
    return Table("photos", _("Photos"), [
        Column("thumb", _("Photo"), "thumbs"), Column("uploaded_at", _("Uploaded"), "datetime"),
        Column("photo", _("Photo id")), Column("status", _("Status")),
        Column("score", _("Score"), "float"), Column("flags", _("Authenticity flags"), "int"),
        Column("reason", _("Note")),
    ], rows, empty_text=_("No photos in this visit."))


def visit_skus_table(observations) -> Table:
    rows = [{"sku": o.product.sku, "name": str(o.product), "brand": o.product.brand.name, "facings": o.facings,
             "expected": o.expected_facings, "oos": _("out of stock") if o.out_of_stock else ""}
            for o in observations]
    return Table("skus", _("SKUs on the shelf"), [
        Column("sku", _("SKU")), Column("name", _("Product")), Column("brand", _("Brand")),
        Column("facings", _("Facings"), "int"), Column("expected", _("Expected"), "int"), Column("oos", _("Stock")),
    ], rows, empty_text=_("No SKU observations recorded for this visit."))


def facings_table(rows: list[dict]) -> Table:
    return Table("facings", _("Facings by SKU"), [
        Column("sku", _("SKU")), Column("name", _("Product")), Column("brand", _("Brand")),
        Column("facings", _("Facings seen"), "int"), Column("expected", _("Expected"), "int"),
    ], rows, empty_text=_("No products detected."))


def shelf_rows_table(rows: list[dict]) -> Table:
    return Table("shelf_rows", _("Facings per shelf row"), [
        Column("label", _("Shelf row")), Column("facings", _("Facings"), "int"), Column("own", _("Own brands"), "int"),
        Column("competitor", _("Competitors"), "int"), Column("unknown", _("Unrecognised"), "int"),
        Column("products", _("Recognised products")),
    ], rows, empty_text=_("No detections: the photo has not been analysed yet."),
        note=_("Shelf 1 is the top shelf."))


def detections_table(boxes) -> Table:
    """Every box, as the detector drew it: pixels of the upright photo, whole pixels."""
    rows = [{**b, "x2": b["x"] + b["w"], "y2": b["y"] + b["h"]} for b in boxes]
    return Table("detections", _("Every detected facing"), [
        Column("sku", _("SKU")), Column("label", _("Product")), Column("kind", _("Kind")),
        Column("shelf", _("Shelf"), "int"), Column("confidence", _("Box confidence"), "ratio"),
        Column("sku_confidence", _("SKU confidence"), "ratio"),
        Column("x", "x1", "px"), Column("y", "y1", "px"), Column("x2", "x2", "px"), Column("y2", "y2", "px"),
    ], rows, empty_text=_("No detections: the photo has not been analysed yet."),
        note=_("Pixels of the upright photo. An unrecognised product has no SKU confidence."))


def flags_table(photo) -> Table:
    rows = []
    for flag in photo.flags.select_related("duplicate_of").order_by("-severity", "code"):
        rows.append({"severity": flag.get_severity_display(), "code": flag_messages.code_label(flag.code),
                     "reason": flag_messages.flag_reason(flag),
                     "duplicate_of": str(flag.duplicate_of.public_id)[:8] if flag.duplicate_of else "",
                     "_url": reverse("analytics-photo", args=[flag.duplicate_of.public_id])
                     if flag.duplicate_of else None})
    return Table("flags", _("Authenticity flags"), [
        Column("severity", _("Severity")), Column("code", _("Check")), Column("reason", _("Why")),
        Column("duplicate_of", _("Duplicate of")),
    ], rows, empty_text=_("No authenticity flags."))
