"""The dashboard's figures: what marketing reads off it must follow from the visits behind it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import selectors
from analytics.filters import Filters
from analytics.summaries import refresh_pending
from shelfai.stores.models import Region, Store
from tests.analytics.factories import campaign_with_checks, scored_visit

TODAY = timezone.localdate()


@pytest.fixture
def shelf(world, products):
    """Riverside scores 90 then 70, Hilltop 40; a store in another region scores 60."""
    south = Region.objects.create(code="south", name="South")
    far = Store.objects.create(code="s3", name="FreshCo Harbour", region=south, retailer=world.retailer,
                               latitude=48.1, longitude=11.5)
    rep = world.users["rep"]
    gold, baby, chips = products["gold900"], products["baby"], products["chips"]
    visits = {
        "river_old": scored_visit(store=world.store, rep=rep, day=TODAY - timedelta(days=10), score=90,
                                  observations={gold: (4, 4, False), baby: (6, 0, False), chips: (10, 0, False)}),
        "river_new": scored_visit(store=world.store, rep=rep, day=TODAY - timedelta(days=3), score=70,
                                  observations={gold: (2, 4, False), baby: (6, 0, False)}),
        "hill": scored_visit(store=world.other_store, rep=rep, day=TODAY - timedelta(days=5), score=40,
                             observations={gold: (0, 4, True), baby: (8, 0, False)}),
        "far": scored_visit(store=far, rep=rep, day=TODAY - timedelta(days=2), score=60,
                            observations={gold: (4, 4, False), baby: (4, 0, False)}),
    }
    refresh_pending()
    return visits


def last_weeks(**extra) -> Filters:
    return Filters(date_from=TODAY - timedelta(days=27), date_to=TODAY, **extra)


def test_worst_stores_are_ranked_by_their_average_visit_score(shelf):
    rows = selectors.worst_stores(last_weeks())
    assert [(r["name"], r["average"], r["visits"]) for r in rows] == [
        ("FreshCo Hilltop", 40.0, 1), ("FreshCo Harbour", 60.0, 1), ("FreshCo Riverside", 80.0, 2)]


def test_the_dashboard_lists_the_worst_store_first_and_links_to_its_visits(marketing_client, shelf):
    html = marketing_client.get("/analytics/").content.decode()
    table = html[html.index('data-table="worst_stores"'):]
    assert table.index("FreshCo Hilltop") < table.index("FreshCo Riverside")
    assert re.search(r'href="/analytics/visits/\?[^"]*store=s2[^"]*order=worst"', html)


def test_a_region_filter_leaves_other_regions_out(marketing_client, shelf, world):
    response = marketing_client.get("/analytics/", {"region": "north"})
    names = [r["name"] for r in response.context["tables"]["worst_stores"].rows]
    assert names == ["FreshCo Hilltop", "FreshCo Riverside"]
    assert response.context["headline"].visits == 3


def test_dates_limit_every_figure(shelf):
    f = Filters(date_from=TODAY - timedelta(days=4), date_to=TODAY)
    assert {r["name"] for r in selectors.worst_stores(f)} == {"FreshCo Riverside", "FreshCo Harbour"}
    assert selectors.headline(f).average_score == pytest.approx((70 + 60) / 2)


def test_score_trend_averages_each_day_in_a_short_range(shelf):
    points = selectors.score_trend(last_weeks())
    assert [(p.starts_on, p.average) for p in points] == [
        (TODAY - timedelta(days=10), 90.0), (TODAY - timedelta(days=5), 40.0),
        (TODAY - timedelta(days=3), 70.0), (TODAY - timedelta(days=2), 60.0)]


def test_score_trend_goes_weekly_over_long_ranges(shelf):
    f = Filters(date_from=TODAY - timedelta(days=120), date_to=TODAY)
    points = selectors.score_trend(f)
    assert sum(p.visits for p in points) == 4
    assert all(p.starts_on.weekday() == 0 or p.starts_on == f.date_from for p in points)


def test_out_of_stock_counts_the_visits_that_found_a_sku_missing(shelf):
    rows = selectors.out_of_stock_by_sku(last_weeks())
    assert [(r["sku"], r["oos"], r["observations"]) for r in rows] == [("gold-900", 1, 4)]
    assert rows[0]["rate"] == pytest.approx(0.25)


def test_share_of_shelf_compares_a_brand_with_its_own_category_and_target(shelf):
    rows = {r["brand"]: r for r in selectors.share_of_shelf(last_weeks())}
    gold_facings = 4 + 2 + 0 + 4
    formula_facings = gold_facings + 6 + 6 + 8 + 4
    assert rows["Gold Formula"]["facings"] == gold_facings
    assert rows["Gold Formula"]["share"] == pytest.approx(gold_facings / formula_facings)
    assert rows["Gold Formula"]["width_share"] == pytest.approx(gold_facings / formula_facings)  # same pack widths
    assert rows["Gold Formula"]["target"] == pytest.approx(0.40)
    assert rows["Gold Formula"]["gap"] == pytest.approx(gold_facings / formula_facings - 0.40)
    assert rows["BabyStar"]["share"] == pytest.approx(1 - gold_facings / formula_facings)
    assert "Chip Co" not in rows  # no snack shelf was scored: no share to report
    assert list(rows)[0] == "Gold Formula"  # own brands first


def test_share_of_shelf_by_width_weighs_wider_packs_more(world, products):
    products["baby"].width_mm = 160  # BabyStar tins are twice as wide
    products["baby"].save()
    scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80,
                 observations={products["gold900"]: (3, 4, False), products["baby"]: (3, 3, False)})
    refresh_pending()
    gold = next(r for r in selectors.share_of_shelf(last_weeks()) if r["brand"] == "Gold Formula")
    assert gold["share"] == pytest.approx(0.5)
    assert gold["width_share"] == pytest.approx(3 * 80 / (3 * 80 + 3 * 160))


def test_a_brand_filter_narrows_shelf_figures_and_visit_lists_but_not_whole_visit_scores(marketing_client, shelf,
                                                                                          products):
    chips = products["chips"].brand
    f = last_weeks(brand=chips)
    assert [r["brand"] for r in selectors.share_of_shelf(last_weeks(brand=products["gold900"].brand))] == [
        "Gold Formula"]
    assert selectors.headline(f).visits == 4  # a visit's score is about the whole shelf
    visits = marketing_client.get("/analytics/visits/", {"brand": chips.pk}).context["tables"]["visits"].rows
    assert [r["store"] for r in visits] == ["FreshCo Riverside"]  # the only visit that saw Chip Co


def test_paid_placement_verdicts_are_counted_and_linked(marketing_client, shelf, world, products):
    campaign_with_checks(brand=products["gold900"].brand, store=world.store, starts=TODAY - timedelta(days=20),
                         ends=TODAY, verdicts=[(shelf["river_old"], "executed"), (shelf["river_new"], "not_executed")])
    response = marketing_client.get("/analytics/")
    counts = {v["verdict"]: v["checks"] for v in response.context["verdicts"]}
    assert counts == {"executed": 1, "partly_executed": 0, "not_executed": 1, "insufficient_evidence": 0}
    assert response.context["headline"].executed_rate == pytest.approx(0.5)
    html = response.content.decode()
    assert "Not executed: 1 check<" in html and "verdict=not_executed" in html  # one check, not "1 checks"


def test_a_bad_date_is_reported_next_to_its_field_and_kept(marketing_client, shelf):
    response = marketing_client.get("/analytics/", {"date_from": "2024-13-45", "region": "north"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2024-13-45"' in html
    assert re.search(r'id="id_date_from-error"[^>]*>Enter a valid date', html)
    # The rest of the filters still apply.
    assert response.context["headline"].visits == 3


def test_an_end_date_before_the_start_is_refused_with_what_to_do(marketing_client, shelf):
    response = marketing_client.get("/analytics/", {"date_from": "2024-05-10", "date_to": "2024-05-01"})
    assert "The end date is before the start date" in response.content.decode()
    assert response.context["f"].date_to == TODAY


def test_an_unknown_store_code_is_refused_not_ignored_silently(marketing_client, shelf):
    response = marketing_client.get("/analytics/", {"store": "nope"})
    assert "Select a valid choice" in response.content.decode()


def test_unverified_results_are_left_out_of_the_headline_and_the_dashboard_says_how_many(marketing_client, world,
                                                                                          products):
    from shelfai.compliance.models import ComplianceResult

    rep = world.users["rep"]
    scored_visit(store=world.store, rep=rep, day=TODAY - timedelta(days=2), score=80,
                 observations={products["gold900"]: (4, 4, False)})
    for days_ago in (3, 4):  # shelves of products the catalog does not know: no score, no out-of-stock
        unread = scored_visit(store=world.store, rep=rep, day=TODAY - timedelta(days=days_ago), score=None)
        ComplianceResult.objects.create(scope=ComplianceResult.Scope.VISIT, visit=unread, score=None, confidence=0,
                                        report={"verified": False, "not_verified_reason": "Too few recognised"})
    refresh_pending()
    head = selectors.headline(Filters(date_from=TODAY - timedelta(days=30), date_to=TODAY))
    assert head.average_score == 80.0 and head.unverified == 2 and head.oos_rate == 0.0
    page = marketing_client.get("/analytics/").content.decode()
    assert re.search(r'id="kpi-unverified">2 not verified, left out<', page)
