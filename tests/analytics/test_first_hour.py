"""Marketing's first hour (issue 15): thumbnails to a photo, a readable photo page, filters that show the
period and mean "all", plural-aware sentences, and an empty visit that is no evidence."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from django.utils import timezone
from PIL import Image

from analytics import figures
from shelfai.claims.models import PlacementCheck
from shelfai.claims.verification import visit_facts
from tests.analytics.factories import campaign_with_checks, photo_with_boxes, scored_visit
from tests.conftest import jpeg_bytes

TODAY = timezone.localdate()


def test_the_visit_list_and_the_visit_page_lead_to_the_photo_by_its_thumbnail(marketing_client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80, photos=0)
    photo = photo_with_boxes(visit, image=jpeg_bytes(1200, 900, seed=3), boxes=[(1, 2, 30, 40, products["gold900"])])
    page_url, thumb_url = f"/analytics/photos/{photo.public_id}/", f"/analytics/photos/{photo.public_id}/thumb.jpg"
    for url in ("/analytics/visits/", f"/analytics/visits/{visit.public_id}/"):
        html = marketing_client.get(url).content.decode()
        assert re.search(rf'<a class="thumb" href="{page_url}"><img src="{thumb_url}"', html), url
    thumb = marketing_client.get(thumb_url)
    assert thumb["Content-Type"] == "image/jpeg" and "private" in thumb["Cache-Control"]
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)  # small, upright, same shape
    assert marketing_client.get(thumb_url).content == thumb.content  # kept once made


def test_the_thumbnail_and_photo_page_are_for_marketing_and_finance_only(client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80, photos=0)
    photo = photo_with_boxes(visit, image=jpeg_bytes(640, 480, seed=4), boxes=[(1, 2, 30, 40, None)])
    url = f"/analytics/photos/{photo.public_id}/"
    client.force_login(world.users["finance"])
    page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count('<rect class="box') == 1
    assert client.get(url + "thumb.jpg").status_code == 200
    assert 'aria-label="Compliance analytics"' not in page.content.decode()  # no menu finance cannot use
    client.force_login(world.users["rep"])
    assert client.get(url + "thumb.jpg").status_code in (302, 403, 404)


def test_a_busy_photo_reads_per_shelf_row_with_the_raw_boxes_paged_behind_a_disclosure(
        marketing_client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80, photos=0)
    boxes = [(i * 10, 0, i * 10 + 9, 50, products["gold900"] if i % 3 else None) for i in range(60)]
    photo = photo_with_boxes(visit, boxes=boxes)
    response = marketing_client.get(f"/analytics/photos/{photo.public_id}/")
    html = response.content.decode()
    shelf_rows = response.context["tables"]["shelf_rows"].rows
    assert [(r["label"], r["facings"], r["own"], r["unknown"]) for r in shelf_rows] == [("Shelf 1", 60, 40, 20)]
    assert "Gold Formula 900 g × 40" in html
    assert re.search(r'<details class="card raw-detections" id="detections">\s*<summary>All 60 detected facings', html)
    assert len(response.context["tables"]["detections"].rows) == 50  # one page of the raw list
    second = marketing_client.get(f"/analytics/photos/{photo.public_id}/", {"page": "2"})
    assert len(second.context["tables"]["detections"].rows) == 10
    assert '<details class="card raw-detections" id="detections" open>' in second.content.decode()
    assert html.count('<rect class="box') == 60  # every box is still drawn on the photo


def test_date_inputs_show_the_period_shown_and_the_campaign_filter_means_all(marketing_client, world):
    html = marketing_client.get("/analytics/").content.decode()
    start = TODAY - timedelta(days=89)
    assert f'name="date_from" id="id_date_from" value="{start:%Y-%m-%d}"' in html
    assert f'name="date_to" id="id_date_to" value="{TODAY:%Y-%m-%d}"' in html
    assert '<option value="" selected>All campaigns</option>' in html and "No campaign" not in html
    typed = marketing_client.get("/analytics/", {"date_from": "2026-13-40"}).content.decode()
    assert 'value="2026-13-40"' in typed  # what the user typed stays, with its error


def test_sentences_agree_with_their_numbers(world, products):
    assert figures._average_over("Riverside", 80.0, 1) == "Riverside: average 80.0 over 1 visit"
    assert figures._average_over("Riverside", 80.0, 1200) == "Riverside: average 80.0 over 1,200 visits"
    assert figures.join_sentences(["Gold 900 g: 1 of 4 required facings.", "Silver missing", " "]) == \
        "Gold 900 g: 1 of 4 required facings. Silver missing."
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80)
    campaign_with_checks(brand=products["gold900"].brand, store=world.store, starts=TODAY - timedelta(days=3),
                         ends=TODAY, verdicts=[(visit, "executed")])
    PlacementCheck.objects.update(reasons=["Gold 900 g: 1 of 4 required facings.", "Shelf strip missing."])
    table = figures.placement_checks_table(PlacementCheck.objects.select_related("placement__store",
                                                                                "placement__campaign", "visit"))
    assert table.rows[0]["reasons"] == "Gold 900 g: 1 of 4 required facings. Shelf strip missing."


def test_the_dashboard_says_1_visit_and_1_check(marketing_client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=80)
    campaign_with_checks(brand=products["gold900"].brand, store=world.store, starts=TODAY - timedelta(days=5),
                         ends=TODAY, verdicts=[(visit, "executed")])
    html = marketing_client.get("/analytics/").content.decode()
    assert "over 1 visit<" in html and "over 1 visits" not in html
    assert "Executed: 1 check<" in html and "1 checks" not in html
    assert re.search(r'<span class="kpi-label">visit · 1 photo</span>', html)


def test_an_empty_visit_is_no_evidence_not_full_weight(marketing_client, world, products):
    from shelfai.claims.evidence import placement_verify
    from shelfai.visits.models import Visit

    empty = Visit.objects.create(rep=world.users["rep"], store=world.store)
    facts = visit_facts(empty, on=TODAY)
    assert facts.evidence.photos == 0 and facts.evidence.evidence_weight is None
    campaign = campaign_with_checks(brand=products["gold900"].brand, store=world.store,
                                    starts=TODAY - timedelta(days=3), ends=TODAY + timedelta(days=3), verdicts=[])
    check = placement_verify(placement=campaign.placements.get(), visit=empty)
    assert check.evidence_weight is None and check.verdict == "insufficient_evidence"
    row = figures.placement_checks_table([check]).html_rows()[0]
    assert "1.00" not in row and "No photo of the display" in row
