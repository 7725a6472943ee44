"""The printable campaign report: one set of figures, shown as a print-styled page and as a PDF.

The PDF is drawn with reportlab (pure Python), so it needs no browser, no fonts from the network
and no CDN: the same tables the page shows, laid out for A4.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from analytics import figures, selectors
from analytics.filters import Filters
from analytics.tables import Column, Table
from shelfai import formats
from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck

V = PlacementCheck.Verdict


@dataclass
class CampaignReport:
    campaign: Campaign
    filters: Filters
    headline: selectors.Headline
    generated_at: object
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    trend_chart: object = None


def placement_coverage_table(campaign: Campaign) -> Table:
    """Each paid placement with what the visits in its period showed (current checks only)."""
    current = Q(checks__is_current=True)
    placements = (
        PaidPlacement.objects.filter(campaign=campaign)
        .select_related("store")
        .annotate(
            checks_n=Count("checks", filter=current),
            executed=Count("checks", filter=current & Q(checks__verdict=V.EXECUTED)),
            partly=Count("checks", filter=current & Q(checks__verdict=V.PARTLY_EXECUTED)),
            not_executed=Count("checks", filter=current & Q(checks__verdict=V.NOT_EXECUTED)),
            insufficient=Count("checks", filter=current & Q(checks__verdict=V.INSUFFICIENT)),
        )
        .order_by("store__name", "starts_on")
    )
    rows = []
    for p in placements:
        judged = p.checks_n - p.insufficient
        rows.append({
            "store": p.store.name, "display": p.get_display_type_display(), "starts_on": p.starts_on,
            "ends_on": p.ends_on, "fee": p.fee, "checks": p.checks_n, "executed": p.executed, "partly": p.partly,
            "not_executed": p.not_executed, "insufficient": p.insufficient,
            "coverage": ngettext("%(ok)s of %(n)s visit", "%(ok)s of %(n)s visits", judged) % {
                "ok": formats.number(p.executed), "n": formats.number(judged)} if judged else _("no usable evidence"),
        })
    return Table("placement_coverage", _("Paid placements"), [
        Column("store", _("Store")), Column("display", _("Display")), Column("starts_on", _("From"), "date"),
        Column("ends_on", _("To"), "date"), Column("fee", _("Fee"), "money"), Column("checks", _("Checks"), "int"),
        Column("executed", _("Executed"), "int"), Column("partly", _("Partly"), "int"),
        Column("not_executed", _("Not executed"), "int"), Column("insufficient", _("Insufficient"), "int"),
        Column("coverage", _("Verified on")),
    ], rows, empty_text=_("This campaign pays for no placements."))


def campaign_report(campaign: Campaign, *, today: date | None = None) -> CampaignReport:
    today = today or timezone.localdate()
    f = Filters(date_from=campaign.starts_on, date_to=max(campaign.starts_on, min(campaign.ends_on, today)),
                campaign=campaign)
    store_count = campaign.stores.count()
    facts = [
        (_("Brand"), campaign.brand.name),
        (_("Kind"), str(campaign.get_kind_display())),
        (_("Period"), _("%(start)s – %(end)s") % {"start": formats.day(campaign.starts_on),
                                                  "end": formats.day(campaign.ends_on)}),
        (_("Reported up to"), formats.day(f.date_to)),
        (_("Stores"), formats.number(store_count) if store_count else _("every store")),
        (_("Budget"), formats.money(campaign.budget, getattr(campaign, "currency", None))),
    ]
    trend = figures.score_trend_table(f)
    totals = selectors.sku_totals(f)
    tables = [
        placement_coverage_table(campaign),
        trend,
        figures.worst_stores_table(f, limit=15),
        figures.out_of_stock_table(f, limit=25, totals=totals),
        figures.share_of_shelf_table(Filters(date_from=f.date_from, date_to=f.date_to, campaign=campaign,
                                             brand=campaign.brand)),
    ]
    return CampaignReport(campaign, f, selectors.headline(f, totals=totals), timezone.localtime(), facts, tables,
                          trend_chart=figures.score_trend_chart(trend, f))


def _pct(value: float | None) -> str:
    return formats.percent(value)


def render_pdf(data: CampaignReport, *, compress: bool = True) -> bytes:
    """The report as an A4 PDF (reportlab platypus: paragraphs and tables, no external assets), in the
    active language (the requesting user's: the figures in ``data`` were written in it too).

    ``compress=False`` leaves the page text readable in the file, which is what tests look at.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    if _needs_cjk(data) or (get_language() or "").startswith("zh"):
        # Helvetica has no Chinese glyphs: Chinese text prints in ReportLab's built-in CID font (``_esc``
        # puts each run of Chinese in it), which needs no font file: the reader supplies the glyphs.
        # Latin text, digits and "·" stay in Helvetica (the CID font's Latin is wide and has no "·").
        _cjk_font()
        for style in (*styles.byName.values(), small):
            # Chinese has no spaces: let a line break between any two characters (CJK wrapping), not
            # only at spaces, or a long Chinese cell runs past its column.
            style.wordWrap = "CJK"
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=_("Campaign report: %(name)s") % {"name": data.campaign.name},
                            author="ShelfAI", pageCompression=1 if compress else 0)
    h = data.headline
    story = [
        Paragraph(_esc(_("Campaign report: %(name)s") % {"name": data.campaign.name}), styles["Title"]),
        Paragraph(" · ".join(f"<b>{_esc(k)}</b> {_esc(v)}" for k, v in data.facts), styles["BodyText"]),
        Spacer(1, 4 * mm),
        Paragraph(
            _esc(_("Average visit score %(score)s") % {"score": formats.number(h.average_score, 1)})
            if h.average_score is not None else _esc(_("No scored visits yet")), styles["BodyText"]),
        Paragraph(_esc(_headline_text(h)), styles["BodyText"]),
    ]
    grid = colors.HexColor("#d7dee3")
    for table in data.tables:
        story += [Spacer(1, 5 * mm), Paragraph(_esc(table.title), styles["Heading2"])]
        if not table.rows:
            story.append(Paragraph(_esc(table.empty_text), styles["BodyText"]))
            continue
        cells = [[Paragraph(f"<b>{_esc(c.label)}</b>", small) for c in table.columns]]
        cells += [[Paragraph(_esc(text), small) for text, _numeric in table.cells(row)] for row in table.rows]
        pdf_table = PdfTable(cells, repeatRows=1, hAlign="LEFT")
        pdf_table.setStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f4")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ])
        story.append(pdf_table)
        if table.note:
            story.append(Paragraph(_esc(table.note), small))
    story += [Spacer(1, 6 * mm), Paragraph(_esc(_("Generated %(when)s by ShelfAI.")
                                                % {"when": formats.moment(data.generated_at)}), small)]
    doc.build(story)
    return out.getvalue()


def _headline_text(h: selectors.Headline) -> str:
    # Translators: the PDF's headline figures, e.g. "12 visits, 40 photos · out of stock 8% · placements
    # executed 75%". The visit and photo counts are the two messages above this one.
    return _("%(visits)s, %(photos)s · out of stock %(oos)s · placements executed %(executed)s") % {
        "visits": ngettext("%(n)s visit", "%(n)s visits", h.visits) % {"n": formats.number(h.visits)},
        "photos": ngettext("%(n)s photo", "%(n)s photos", h.photos) % {"n": formats.number(h.photos)},
        "oos": _pct(h.oos_rate), "executed": _pct(h.executed_rate)}


CJK_FONT = "STSong-Light"  # Adobe's Simplified Chinese CID font, built into every PDF reader


def _cjk_font() -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        for bold in (0, 1):  # the font has no bold or italic: <b> in a paragraph maps to the same face
            for italic in (0, 1):
                addMapping(CJK_FONT, bold, italic, CJK_FONT)
    return CJK_FONT


def _has_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"
               for ch in text)


def _needs_cjk(data: CampaignReport) -> bool:
    texts = [data.campaign.name, *(f"{k} {v}" for k, v in data.facts)]
    for table in data.tables:
        texts += [table.title, table.empty_text or "", table.note or "", *(c.label for c in table.columns)]
        texts += [text for row in table.rows for text, _numeric in table.cells(row)]
    return any(_has_cjk(str(t)) for t in texts)


# Runs of Chinese characters and CJK punctuation (full-width forms included).
CJK_RUN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def _esc(text: object) -> str:
    """Text as a reportlab paragraph's markup: escaped (a small XML dialect that campaign and store names must
    not break), each run of Chinese in the CID font."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not _has_cjk(escaped):
        return escaped
    font = _cjk_font()
    return CJK_RUN.sub(lambda m: f'<font name="{font}">{m.group(0)}</font>', escaped)
