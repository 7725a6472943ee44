"""The printable campaign report: coverage of each paid placement, as a page and as a PDF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from analytics.report import campaign_report, render_pdf
from analytics.summaries import refresh_pending
from tests.analytics.factories import campaign_with_checks, scored_visit

TODAY = timezone.localdate()


@pytest.fixture
def campaign(world, products):
    rep = world.users["rep"]
    visits = [scored_visit(store=world.store, rep=rep, day=TODAY - timedelta(days=d), score=s,
                           observations={products["gold900"]: (4, 4, d == 14)})
              for d, s in [(21, 88), (14, 52), (7, 91), (1, 75)]]
    verdicts = ["executed", "not_executed", "executed", "insufficient_evidence"]
    refresh_pending()
    return campaign_with_checks(brand=products["gold900"].brand, store=world.store, name="Gold & <Spring> end-caps",
                                starts=TODAY - timedelta(days=28), ends=TODAY + timedelta(days=7),
                                verdicts=list(zip(visits, verdicts, strict=True)))


def test_the_report_shows_how_many_visits_verified_each_placement(marketing_client, campaign):
    response = marketing_client.get(f"/analytics/campaigns/{campaign.pk}/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Gold &amp; &lt;Spring&gt; end-caps" in html
    assert "2 of 3 visits" in html  # the insufficient-evidence visit does not count either way
    assert response.context["report"].headline.average_score == pytest.approx((88 + 52 + 91 + 75) / 4)
    assert "data-print" in html and f"/analytics/campaigns/{campaign.pk}/report.pdf" in html


def test_the_report_only_counts_the_campaign_period_up_to_today(campaign):
    report = campaign_report(campaign)
    assert report.filters.date_from == campaign.starts_on
    assert report.filters.date_to == TODAY


def test_the_pdf_carries_the_same_figures(campaign):
    pdf = render_pdf(campaign_report(campaign), compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"2 of 3 visits" in pdf
    assert b"FreshCo Riverside" in pdf


def test_the_pdf_downloads(marketing_client, campaign):
    response = marketing_client.get(f"/analytics/campaigns/{campaign.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment;" in response["Content-Disposition"]


def test_a_report_table_exports_like_any_other(marketing_client, campaign):
    response = marketing_client.get(f"/analytics/campaigns/{campaign.pk}/report/",
                                    {"export": "placement_coverage", "format": "csv"})
    assert "2 of 3 visits" in response.content.decode("utf-8-sig")


def test_the_campaign_list_links_each_report(marketing_client, campaign):
    html = marketing_client.get("/analytics/campaigns/").content.decode()
    assert f"/analytics/campaigns/{campaign.pk}/report/" in html


def test_a_campaign_and_store_named_in_chinese_print_with_a_chinese_font(campaign, world):
    # Helvetica has no Chinese glyphs: the names would print as empty boxes.
    assert b"STSong-Light" not in render_pdf(campaign_report(campaign), compress=False)
    world.store.name = "北京王府井店"
    world.store.save()
    campaign.name = "鲜奶端架陈列"
    campaign.save()
    pdf = render_pdf(campaign_report(campaign), compress=False)
    assert pdf.startswith(b"%PDF") and b"/BaseFont /STSong-Light" in pdf
    assert b"UniGB-UCS2-H" in pdf  # the Unicode encoding of the Simplified Chinese font, so each character maps


def _pdf_text(text: str) -> bytes:
    """How the Chinese CID font writes ``text`` in an uncompressed PDF: UTF-16BE in a PDF string, printable
    ASCII bytes as themselves (delimiters escaped), every other byte as an octal escape."""
    out = []
    for byte in text.encode("utf-16-be"):
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out).encode("latin-1")


def test_a_chinese_readers_pdf_is_written_in_chinese_in_the_chinese_font(campaign):
    with translation.override("zh-hans"):
        pdf = render_pdf(campaign_report(campaign), compress=False)
    assert b"/BaseFont /STSong-Light" in pdf  # the report's own labels are Chinese now, not only its names
    for label in ("活动报告", "付费陈列", "得分趋势", "平均拜访得分", "门店"):
        assert _pdf_text(label) in pdf, label
    assert b"Campaign report" not in pdf and b"Worst stores" not in pdf
    with translation.override("en"):
        english = render_pdf(campaign_report(campaign), compress=False)
    assert b"Campaign report" in english and _pdf_text("活动报告") not in english


def test_the_pdf_download_follows_the_users_language(marketing_client, campaign, world):
    world.users["marketing"].language = "zh-hans"
    world.users["marketing"].save(update_fields=["language"])
    response = marketing_client.get(f"/analytics/campaigns/{campaign.pk}/report.pdf")
    assert response.content.startswith(b"%PDF") and b"STSong-Light" in response.content


def test_a_yuan_campaigns_report_shows_its_fees_in_yuan(marketing_client, campaign, settings):
    settings.CURRENCY = "EUR"
    campaign.currency = "CNY"
    campaign.save(update_fields=["currency"])
    html = marketing_client.get(f"/analytics/campaigns/{campaign.pk}/report/").content.decode()
    assert "CNY 400.00" in html and "EUR" not in html
