"""In Chromium, at phone and desktop size: a reviewer confirms a point-of-sale strip and it turns
"executed" with the claim's recommendation; names an unknown pack and the next photo is recognised."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from shelfai.detection import engine
from shelfai.detection.models import Detection
from shelfai.stores.models import Brand, Category, Product, ProductImage
from tests.browser.conftest import wait
from tests.review.conftest import detector_found, pack_art, photo_of, shelf_with, visit_on

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"


def snapshot(driver, name: str) -> None:
    """The whole page, kept for a person to look at (test-artifacts/ is not committed)."""
    import base64

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "fromSurface": True})
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def text_of(driver, css: str) -> str:
    """The element's text, or "" while the page after a POST is still loading."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException

    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except (NoSuchElementException, StaleElementReferenceException, WebDriverException):
        return ""


def no_sideways_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_a_reviewer_confirms_the_strip_and_it_turns_executed(make_driver, sign_in, live_server, pos, phone):
    from shelfai.claims.models import PlacementCheck

    d = make_driver(phone=phone)
    sign_in(d, "marketing", "pw-marketing", "/review/")
    first = d.find_element(By.CSS_SELECTOR, "#queue li")
    assert "700.00 claimed" in first.text and "Shelf strip — Spring strips" in first.text
    snapshot(d, f"queue-{'phone' if phone else 'desktop'}")
    assert no_sideways_scroll(d)
    first.find_element(By.CSS_SELECTOR, "a.review-link").click()
    wait(d).until(lambda drv: drv.find_elements(By.ID, "displays"))
    display = d.find_element(By.CSS_SELECTOR, "#displays .display")
    assert "Insufficient evidence" in display.text
    assert len(d.find_elements(By.CSS_SELECTOR, "#boxes rect.box")) == 1  # the photo is drawn with its box
    snapshot(d, f"item-{'phone' if phone else 'desktop'}")
    assert no_sideways_scroll(d)
    display.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
    wait(d).until(lambda drv: "confirmed by marketing" in text_of(drv, "#displays"))
    text = d.find_element(By.ID, "displays").text
    assert "Executed" in text and "confirmed by marketing" in text
    assert "Confirmed the display" in d.find_element(By.ID, "audit").text
    snapshot(d, f"confirmed-{'phone' if phone else 'desktop'}")
    photo_visit = pos.photos[0].visit
    assert PlacementCheck.objects.get(placement=pos.strip, visit=photo_visit, is_current=True).verdict == "executed"
    pos.claim.refresh_from_db()
    assert str(pos.claim.recommended_amount) == "175.00"  # one week of four confirmed: a quarter of 700.00


@pytest.fixture
def catalog_shop(world):
    engine.reset()
    brand = Brand.objects.create(name="Gold", is_own=True)
    category = Category.objects.create(name="Snacks")
    for seed in (1, 2, 3):
        product = Product.objects.create(sku=f"known-{seed}", name=f"Known {seed}", brand=brand, category=category)
        shot = cv2.copyMakeBorder(pack_art(seed), 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        data = cv2.imencode(".png", shot)[1].tobytes()
        image = ProductImage(product=product, sha256=hashlib.sha256(data).hexdigest())
        image.image.save("up.png", ContentFile(data), save=False)
        image.save()
    world.new = Product.objects.create(sku="new-crisps", name="New Crisps", pack_size="150 g", brand=brand,
                                       category=category)
    yield world
    engine.reset()


def shelf_photo(world, packs, *, seed: int, gain: float = 1.0):
    data, boxes, width, height = shelf_with(packs, seed=seed, gain=gain)
    photo = photo_of(visit_on(world, timezone.localdate()), data, width=width, height=height, ext="png")
    detector_found(photo, boxes)
    return photo


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_a_reviewer_names_a_pack_and_the_next_photo_is_recognised(make_driver, sign_in, live_server, catalog_shop,
                                                                 phone):
    new_art = pack_art(77)
    first = shelf_photo(catalog_shop, [pack_art(1), new_art, pack_art(2)], seed=5)
    d = make_driver(phone=phone)
    sign_in(d, "marketing", "pw-marketing", f"/review/photos/{first.public_id}/")
    d.find_element(By.ID, "recognise-again").click()  # today's catalog: the known packs, not the new one
    wait(d).until(lambda drv: "newly recognised" in text_of(drv, ".messages"))
    assert len(d.find_elements(By.CSS_SELECTOR, "#boxes rect.box.unknown")) == 1
    d.find_element(By.CSS_SELECTOR, "#boxes rect.box.unknown").click()  # picks the box in the form
    Select(d.find_element(By.ID, "id_product")).select_by_visible_text("Gold · New Crisps 150 g (new-crisps)")
    snapshot(d, f"naming-{'phone' if phone else 'desktop'}")
    assert no_sideways_scroll(d)
    d.find_element(By.CSS_SELECTOR, "#name-pack button[type=submit]").click()
    wait(d).until(lambda drv: "Named New Crisps" in text_of(drv, ".messages"))
    assert not d.find_elements(By.CSS_SELECTOR, "#boxes rect.box.unknown")
    assert ProductImage.objects.filter(product=catalog_shop.new).count() == 1

    second = shelf_photo(catalog_shop, [pack_art(3), new_art, pack_art(1)], seed=6, gain=0.85)
    d.get(f"{live_server.url}/review/photos/{second.public_id}/")
    assert len(d.find_elements(By.CSS_SELECTOR, "#boxes rect.box.unknown")) == 3  # the detector named nothing
    d.find_element(By.ID, "recognise-again").click()
    wait(d).until(lambda drv: "newly recognised" in text_of(drv, ".messages"))
    assert not d.find_elements(By.CSS_SELECTOR, "#boxes rect.box.unknown")
    named = [x.product.sku for x in Detection.objects.filter(run__photo=second, run__is_current=True)
             .select_related("product").order_by("x1")]
    assert named == ["known-3", "new-crisps", "known-1"]
    snapshot(d, f"recognised-{'phone' if phone else 'desktop'}")
