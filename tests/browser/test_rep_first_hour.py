"""The rep's first hour on a phone (390×844, real Chromium): a claim from the phone to finance's decision
seen on the phone, a visit resumed on a second browser, "+N more" fixes and the photo with its boxes,
and the styled page for a page that is not theirs.

SHELFAI_SCREENSHOTS=dir keeps a full-page picture of each phone page, for a human to look at.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from selenium.webdriver.common.by import By

from shelfai.claims import services
from shelfai.claims.models import ExpenseClaim, PlacementPhoto
from shelfai.formats import money
from shelfai.visits.models import Visit
from tests.browser.conftest import wait
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser
NEAR_RIVERSIDE = {"latitude": 52.5205, "longitude": 13.405, "accuracy": 12}
FIXES = [f"Shelf {n}: Gold Formula 900 g has {n} facing(s) of 4 planned — add {4 - n}" for n in range(1, 4)] + [
    "Shelf 2: Silver Formula 400 g missing — put it back", "Shelf 4: competitor pack in our slot",
    "Shelf 5: price label missing", "Shelf 1: pack turned sideways",
    "Shelf 3: empty space for about 6 facings — restock"]


@pytest.fixture(autouse=True)
def _no_pipeline(monkeypatch):
    # The phone is under test here; analysis has tests of its own.
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


def shoot(driver, name: str) -> None:
    folder = os.environ.get("SHELFAI_SCREENSHOTS")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    with open(os.path.join(folder, f"{name}.png"), "wb") as out:
        out.write(base64.b64decode(shot["data"]))


def a_phone(make_driver, live_server):
    driver = make_driver(phone=True)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", NEAR_RIVERSIDE)
    return driver


@pytest.fixture
def end_cap(world):
    """A paid end-cap at the rep's store that ran for 19 days and ended two days ago (fee 1,000.00)."""
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementRequirement
    from shelfai.stores.models import Brand, Category, Product

    brand = Brand.objects.create(name="Gold", is_own=True)
    category = Category.objects.create(name="Infant formula")
    gold = Product.objects.create(sku="gold-900", name="Gold Formula", pack_size="900 g", brand=brand,
                                  category=category)
    start = timezone.localdate() - timedelta(days=20)
    campaign = Campaign.objects.create(name="Spring end-caps", brand=brand, starts_on=start,
                                       ends_on=start + timedelta(days=18))
    placement = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type=PaidPlacement.DisplayType.END_CAP,
        starts_on=start, ends_on=start + timedelta(days=18), fee=Decimal("1000.00"))
    PlacementRequirement.objects.create(placement=placement, product=gold, min_facings=4)
    return placement


def boxed_shelf() -> bytes:
    """An evidence image as the pipeline draws it: two shelves of packs, each boxed, one gap hatched."""
    import numpy as np

    from shelfai.vision.evidence import render_evidence
    from shelfai.vision.types import Box, Facing, Gap

    image = np.full((600, 800, 3), 235, np.uint8)
    facings = []
    for row, top in ((1, 40), (2, 320)):
        image[top + 230:top + 250] = (90, 90, 90)  # the shelf edge
        for i in range(8 if row == 1 else 5):
            x = 30 + i * 92
            image[top:top + 225, x:x + 80] = (40 + 20 * i, 120, 200 - 15 * i)
            facings.append(Facing(box=Box(x, top, x + 80, top + 225, 0.9), row=row,
                                  sku="gold-900" if i % 2 else "unknown"))
    gap = Gap(row=2, box=Box(490, 320, 770, 545), width_in_facings=3.0)
    return render_evidence(image, facings, [gap])


def tap_store(driver) -> None:
    """Tap the store once its list is drawn (the list is redrawn when the stores arrive: retry on a stale one)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    def tapped(d) -> bool:
        try:
            d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']:not([disabled])").click()
            return True
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    wait(driver).until(tapped)
    wait(driver).until(lambda d: d.find_element(By.ID, "visit-view").is_displayed())


def check_in(driver, sign_in, live_server) -> None:
    sign_in(driver, "rep", "pw-rep", "/rep/")
    tap_store(driver)


def test_a_claim_from_the_phone_to_finances_decision_seen_on_the_phone(
        make_driver, live_server, sign_in, world, end_cap):
    from tests.claims.conftest import photo_in, visit_on

    visit = visit_on(world, end_cap.starts_on + timedelta(days=4))
    photo = photo_in(visit, jpeg_bytes(640, 480, seed=9))
    PlacementPhoto.objects.create(placement=end_cap, photo=photo)
    phone = a_phone(make_driver, live_server)
    sign_in(phone, "rep", "pw-rep", "/rep/claims/")
    nav = phone.find_element(By.CSS_SELECTOR, "header nav").text
    assert "My claims" in nav and "API" not in nav
    shoot(phone, "claims-empty")
    phone.find_element(By.ID, "new-claim").click()
    option = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-placement='{end_cap.pk}']"))
    assert "End-cap" in option.text and money(Decimal("1000")) in option.text and "1 photo of yours" in option.text
    shoot(phone, "claim-pick")
    option.click()

    amount = wait(phone).until(lambda d: d.find_element(By.ID, "id_amount"))
    assert amount.get_attribute("value") == "1000.00"  # the contracted fee for the whole period
    assert phone.find_element(By.ID, "id_period_start").get_attribute("value") == end_cap.starts_on.isoformat()
    assert phone.find_element(By.ID, "id_period_end").get_attribute("value") == end_cap.ends_on.isoformat()
    thumb = phone.find_element(By.CSS_SELECTOR, ".thumbs img")
    assert f"/api/photos/{photo.public_id}/evidence/" in thumb.get_attribute("src")
    wait(phone).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumb))
    amount.clear()
    amount.send_keys("900")
    shoot(phone, "claim-form")
    button = phone.find_element(By.CSS_SELECTOR, "#claim-form button[type=submit]")
    phone.execute_script("arguments[0].click(); arguments[0].click();", button)  # a double tap
    wait(phone).until(lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("Claim REP-"))
    claim = ExpenseClaim.objects.get()
    assert claim.total_amount == Decimal("900.00") and claim.lines.get().placement == end_cap
    assert "Waiting for finance" in phone.find_element(By.ID, "decision").text
    shoot(phone, "claim-waiting")

    # Finance decides on the desk (through the service), with ShelfAI's assessment in front of them.
    ExpenseClaim.objects.filter(pk=claim.pk).update(risk_score=0.64, recommended_amount=Decimal("612.50"))
    services.claim_decide(claim=claim, decided_by=world.users["finance"], outcome="partial",
                          amount=Decimal("700.00"), reason="The end-cap was missing in week 2.")
    phone.refresh()
    decision = wait(phone).until(lambda d: d.find_element(By.ID, "decision"))
    assert f"Partly approved: {money(Decimal('700'))} of {money(Decimal('900'))}" in decision.text
    assert "The end-cap was missing in week 2." in decision.text
    main = phone.find_element(By.TAG_NAME, "main").text
    assert "612.50" not in main and "risk" not in main.lower() and "recommend" not in main.lower()
    shoot(phone, "claim-decided")
    phone.find_element(By.LINK_TEXT, "← My claims").click()
    row = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-claim='{claim.reference}']"))
    assert "Partly approved" in row.text and f"approved {money(Decimal('700'))}" in row.text
    shoot(phone, "claims-list")
    assert ExpenseClaim.objects.count() == 1


def test_a_visit_is_resumed_on_a_second_browser_with_todays_photos(
        make_driver, live_server, sign_in, world, tmp_path):
    first = a_phone(make_driver, live_server)
    check_in(first, sign_in, live_server)
    shelf = tmp_path / "shelf.jpg"
    shelf.write_bytes(jpeg_bytes(1024, 768, seed=3))
    first.find_element(By.ID, "library").send_keys(str(shelf))
    wait(first).until(lambda d: d.find_element(By.CSS_SELECTOR, "#photos li.photo").get_attribute("data-status")
                      == "queued")
    first.find_element(By.ID, "back").click()  # back to the list: the visit stays open
    wait(first).until(lambda d: d.find_element(By.ID, "stores-view").is_displayed())
    tap_store(first)  # tapped again
    assert Visit.objects.count() == 1

    second = a_phone(make_driver, live_server)  # another phone: its own profile, nothing stored
    check_in(second, sign_in, live_server)
    item = wait(second).until(lambda d: d.find_element(By.CSS_SELECTOR, "#photos li.photo"))
    assert item.get_attribute("data-status") == "queued"
    assert "1 earlier photo" in second.find_element(By.ID, "visit-resumed").text
    assert Visit.objects.count() == 1 and Visit.objects.get().photos.count() == 1
    shoot(second, "visit-resumed")

    second.find_element(By.ID, "end-visit").click()
    note = wait(second).until(lambda d: d.find_element(By.ID, "stores-note"))
    wait(second).until(lambda d: note.is_displayed() and "ended" in note.text)
    assert Visit.objects.get().status == Visit.Status.CLOSED
    # The first phone learns of it on its next look at the visit and goes back to the store list.
    first.refresh()
    wait(first).until(lambda d: d.find_element(By.ID, "stores-view").is_displayed())
    assert "ended" in first.find_element(By.ID, "stores-note").text


def test_all_the_fixes_are_a_tap_away_and_the_photo_opens_with_its_boxes(
        make_driver, live_server, sign_in, world):
    from shelfai.compliance.models import ComplianceResult
    from shelfai.detection.models import DetectionRun
    from shelfai.visits import services as visit_services
    from tests.claims.conftest import photo_in

    visit, _ = visit_services.visit_start(rep=world.users["rep"], store=world.store)
    photo = photo_in(visit, jpeg_bytes(800, 600, seed=4))
    photo.evidence_image.save("boxes.jpg", ContentFile(boxed_shelf()), save=True)
    run = DetectionRun.objects.create(photo=photo, detector_sha256="b" * 64, facing_count=42)
    ComplianceResult.objects.create(scope=ComplianceResult.Scope.PHOTO, visit=visit, photo=photo, detection_run=run,
                                    score=Decimal("71.5"), confidence=0.83,
                                    deductions=[{"message": text} for text in FIXES])
    phone = a_phone(make_driver, live_server)
    check_in(phone, sign_in, live_server)  # today's open visit, made elsewhere: resumed with its photo
    card = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#photos li.photo .fixes"))
    wait(phone).until(lambda d: len(card.find_elements(By.CSS_SELECTOR, "li")) == 4)
    assert [li.text for li in card.find_elements(By.CSS_SELECTOR, "li")][:3] == FIXES[:3]
    more = card.find_element(By.CSS_SELECTOR, "button.more")
    assert more.text == "+5 more"
    score = phone.find_element(By.CSS_SELECTOR, "#photos li.photo .score").text
    assert score.startswith("72/100 · confidence 83 %")
    shoot(phone, "card-fixes-folded")
    more.click()
    texts = [li.text for li in card.find_elements(By.CSS_SELECTOR, "li")]
    assert texts == FIXES and "Shelf 3: empty space for about 6 facings — restock" in texts
    shoot(phone, "card-fixes-all")

    phone.find_element(By.CSS_SELECTOR, "#photos li.photo button.thumb").click()
    viewer = wait(phone).until(lambda d: d.find_element(By.ID, "viewer"))
    wait(phone).until(lambda d: viewer.is_displayed())
    big = phone.find_element(By.ID, "viewer-img")
    assert f"/api/photos/{photo.public_id}/evidence/" in big.get_attribute("src")
    wait(phone).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", big))
    assert "confidence 83 %" in phone.find_element(By.ID, "viewer-caption").text
    shoot(phone, "photo-viewer")
    phone.find_element(By.ID, "viewer-close").click()
    wait(phone).until(lambda d: not viewer.is_displayed())


def test_a_page_not_for_the_rep_says_so_and_where_to_go(make_driver, live_server, sign_in, world):
    phone = a_phone(make_driver, live_server)
    sign_in(phone, "rep", "pw-rep", "/rep/")
    for path, heading in [("/claims/", "This page is not for your role"),
                          ("/analytics/", "This page is not for your role"),
                          ("/planning/", "Nothing to show here")]:
        phone.get(live_server.url + path)
        assert phone.find_element(By.TAG_NAME, "h1").text == heading, path
        assert phone.current_url == live_server.url + path  # no silent redirect
        links = {a.text: a.get_attribute("href") for a in phone.find_elements(By.CSS_SELECTOR, ".refusal-pages a")}
        assert links == {"Today": live_server.url + "/rep/", "My claims": live_server.url + "/rep/claims/",
                         "Alerts": live_server.url + "/alerts/"}, path
        # Styled like every other page: the stylesheet applied, the menu there.
        assert phone.find_element(By.CSS_SELECTOR, "header.topbar").is_displayed()
        assert phone.execute_script("return getComputedStyle(document.body).margin") == "0px"
        shoot(phone, "refused-" + path.strip("/"))
    phone.find_element(By.LINK_TEXT, "My claims").click()
    wait(phone).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "My claims")


def test_the_desk_gets_the_same_page_on_a_desktop(make_driver, live_server, sign_in, world):
    desk = make_driver()
    sign_in(desk, "marketing", "pw-marketing", "/analytics/")
    desk.get(live_server.url + "/claims/")
    assert desk.find_element(By.TAG_NAME, "h1").text == "This page is not for your role"
    links = [a.text for a in desk.find_elements(By.CSS_SELECTOR, ".refusal-pages a")]
    assert links == ["Compliance", "Review", "Planning", "Alerts"]
    shoot(desk, "desktop-refused-claims")
    desk.get(live_server.url + "/rep/claims/")
    assert desk.find_element(By.TAG_NAME, "h1").text == "Nothing to show here"
    shoot(desk, "desktop-refused-rep-claims")


def test_a_display_on_todays_visit_is_claimed_from_its_task_with_the_pro_rata_fee(
        make_driver, live_server, sign_in, world, end_cap):
    from shelfai.claims.models import PaidPlacement

    today = timezone.localdate()
    stand = PaidPlacement.objects.create(
        campaign=end_cap.campaign, store=world.store, display_type=PaidPlacement.DisplayType.FLOOR_STAND,
        starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=10), fee=Decimal("600.00"))
    phone = a_phone(make_driver, live_server)
    check_in(phone, sign_in, live_server)
    task = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#tasks li.task"))
    assert "Floor stand" in task.text
    shoot(phone, "visit-with-display-task")
    task.find_element(By.LINK_TEXT, "Claim this display").click()
    amount = wait(phone).until(lambda d: d.find_element(By.ID, "id_amount"))
    # It still runs: claimable up to today, 11 of its 21 days, 600.00 × 11 / 21 rounded down.
    assert phone.find_element(By.ID, "id_period_start").get_attribute("value") == stand.starts_on.isoformat()
    assert phone.find_element(By.ID, "id_period_end").get_attribute("value") == today.isoformat()
    assert amount.get_attribute("value") == "314.28"
    assert "11 of 21 days" in phone.find_element(By.ID, "amount-help").text
    phone.get(live_server.url + "/rep/claims/new/")
    today_list = wait(phone).until(lambda d: d.find_element(By.ID, "today-placements"))
    assert today_list.find_elements(By.CSS_SELECTOR, f"[data-placement='{stand.pk}']")
    assert not today_list.find_elements(By.CSS_SELECTOR, f"[data-placement='{end_cap.pk}']")  # it ended
    shoot(phone, "claim-pick-today")


def test_the_rep_pages_read_on_a_desktop_too(make_driver, live_server, sign_in, world, end_cap):
    line = services.LineInput(placement=end_cap, period_start=end_cap.starts_on, period_end=end_cap.ends_on,
                              amount=Decimal("1000.00"))
    claim = services.claim_submit(submitted_by=world.users["rep"], lines=[line])
    services.claim_decide(claim=claim, decided_by=world.users["finance"], outcome="reject",
                          reason="No photo of the end-cap in the period.")
    desk = make_driver()
    sign_in(desk, "rep", "pw-rep", "/rep/claims/")
    assert "Rejected" in desk.find_element(By.CSS_SELECTOR, f"[data-claim='{claim.reference}']").text
    shoot(desk, "desktop-claims-list")
    desk.get(f"{live_server.url}/rep/claims/{claim.pk}/")
    decision = desk.find_element(By.ID, "decision").text
    assert "Rejected: nothing will be paid" in decision and "No photo of the end-cap in the period." in decision
    shoot(desk, "desktop-claim-rejected")
    desk.get(f"{live_server.url}/rep/claims/new/{end_cap.pk}/")
    assert "Claimed already up to its end." in desk.find_element(By.TAG_NAME, "main").text
    assert not desk.find_elements(By.ID, "claim-form")
    shoot(desk, "desktop-claim-nothing-left")
