"""From a figure to the visits behind it, to one visit, to one photo with its boxes and deductions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.analytics.factories import photo_with_boxes, scored_visit

TODAY = timezone.localdate()
FIX = {"code": "facings_short", "sku": "gold-900", "points": 8,
       "message": "Add 2 facings of Gold Formula 900 g on shelf 2"}


@pytest.fixture
def visit_with_photo(world, products):
    gold, baby = products["gold900"], products["baby"]
    visit = scored_visit(store=world.other_store, rep=world.users["other_rep"], day=TODAY - timedelta(days=2),
                         score=55, deductions=[FIX], observations={gold: (2, 4, False), baby: (0, 3, True)})
    photo = photo_with_boxes(visit, score=61, deductions=[FIX], boxes=[
        (10, 20, 90, 220, gold), (95, 20, 175, 220, gold), (180, 20, 260, 220, baby), (300, 20, 380, 220, None)])
    return visit, photo


def links(html: str, prefix: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(rf'href="({re.escape(prefix)}[^"]*)"', html)]


def test_worst_store_to_visit_to_photo(marketing_client, visit_with_photo):
    visit, photo = visit_with_photo
    dashboard = marketing_client.get("/analytics/").content.decode()
    store_link = next(u for u in links(dashboard, "/analytics/visits/?") if "store=s2" in u)

    visits_page = marketing_client.get(store_link).content.decode()
    assert "Visits to FreshCo Hilltop" in visits_page
    visit_url = f"/analytics/visits/{visit.public_id}/"
    assert visit_url in links(visits_page, "/analytics/visits/")

    visit_page = marketing_client.get(visit_url).content.decode()
    assert "Add 2 facings of Gold Formula 900 g on shelf 2" in visit_page
    assert "out of stock" in visit_page  # BabyStar was missing
    photo_url = f"/analytics/photos/{photo.public_id}/"
    assert photo_url in links(visit_page, "/analytics/photos/")

    photo_page = marketing_client.get(photo_url).content.decode()
    assert f'src="/api/photos/{photo.public_id}/original/"' in photo_page
    boxes = re.findall(r'<rect class="box (\w+)', photo_page)
    assert sorted(boxes) == ["competitor", "own", "own", "unknown"]
    assert 'viewBox="0 0 800 600"' in photo_page
    assert photo_page.count('class="gap"') == 1
    assert "Add 2 facings of Gold Formula 900 g on shelf 2" in photo_page
    assert "61.0" in photo_page  # the photo's own score


def test_the_boxes_of_a_sku_with_a_deduction_stand_out(marketing_client, visit_with_photo):
    _, photo = visit_with_photo
    html = marketing_client.get(f"/analytics/photos/{photo.public_id}/").content.decode()
    assert len(re.findall(r'class="box own flagged" data-sku="gold-900"', html)) == 2
    assert 'class="box competitor" data-sku="baby-900"' in html


def test_out_of_stock_figure_drills_to_the_visits_that_found_it_missing(marketing_client, visit_with_photo, world,
                                                                         products):
    visit, _ = visit_with_photo
    other = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=90,
                         observations={products["baby"]: (3, 3, False)})
    dashboard = marketing_client.get("/analytics/").content.decode()
    oos_link = next(u for u in links(dashboard, "/analytics/visits/?") if "oos=baby-900" in u)
    page = marketing_client.get(oos_link)
    shown = [row["_url"] for row in page.context["tables"]["visits"].rows]
    assert shown == [f"/analytics/visits/{visit.public_id}/"]
    assert f"/analytics/visits/{other.public_id}/" not in page.content.decode()


def test_visits_can_be_listed_worst_first(marketing_client, visit_with_photo, world):
    scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=95)
    scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=None)
    rows = marketing_client.get("/analytics/visits/", {"order": "worst"}).context["tables"]["visits"].rows
    assert [r["score"] for r in rows] == [55, 95, None]  # unscored visits last
