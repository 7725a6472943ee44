"""Marketing in a real headless Chromium (issue 15): from the visit list, by a thumbnail, to the photo page
with its boxes, the summary per shelf row, and the raw boxes behind a disclosure; the same at phone size."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.analytics.factories import catalog, photo_with_boxes, scored_visit
from tests.browser.conftest import wait
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser


def shot(browser, name: str) -> None:
    """SHELFAI_SCREENSHOTS=dir keeps what the user saw (``-view``) and the whole page, for a human to look at."""
    folder = os.environ.get("SHELFAI_SCREENSHOTS")
    if folder:
        browser.save_screenshot(os.path.join(folder, f"{name}-view.png"))
        page = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(os.path.join(folder, f"{name}.png"), "wb") as out:
            out.write(base64.b64decode(page["data"]))


@pytest.fixture
def busy_photo(world):
    products = catalog()
    gold, baby = products["gold900"], products["baby"]
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=timezone.localdate() - timedelta(days=1),
                         score=74, observations={gold: (6, 8, False), baby: (4, 4, False)}, photos=0)
    boxes = []
    for row in range(3):  # three shelf rows of 20 packs, every fifth one unrecognised
        for i in range(20):
            product = None if i % 5 == 4 else (gold if i < 10 else baby)
            boxes.append((10 + i * 39, 20 + row * 190, 46 + i * 39, 190 + row * 190, product, row + 1))
    photo = photo_with_boxes(visit, image=jpeg_bytes(800, 600, seed=9), boxes=[b[:5] for b in boxes])
    from shelfai.detection.models import Detection

    for detection, (*_, level) in zip(Detection.objects.filter(run__photo=photo).order_by("pk"), boxes, strict=True):
        detection.shelf_level = level
        detection.save(update_fields=["shelf_level"])
    return visit, photo


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_from_the_visit_list_by_a_thumbnail_to_the_photo_with_its_boxes(make_driver, sign_in, world, busy_photo,
                                                                         phone):
    visit, photo = busy_photo
    driver = make_driver(phone=phone)
    size = "phone" if phone else "desktop"
    sign_in(driver, "marketing", "pw-marketing", "/analytics/visits/")
    start = (timezone.localdate() - timedelta(days=89)).isoformat()
    assert driver.find_element(By.ID, "id_date_from").get_attribute("value") == start  # the period shown
    assert driver.find_element(By.CSS_SELECTOR, "#id_campaign option:checked").text == "All campaigns"

    thumb = driver.find_element(By.CSS_SELECTOR, "table[data-table='visits'] a.thumb img")
    wait(driver).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                                  thumb))
    assert driver.execute_script("return arguments[0].naturalWidth", thumb) == 320  # a thumbnail, not the original
    shot(driver, f"marketing-visits-{size}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumb)
    thumb.click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Photo at FreshCo Riverside")
    assert str(photo.public_id) in driver.current_url

    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.boxes rect.box")) == 60
    rows = driver.find_element(By.CSS_SELECTOR, "table[data-table='shelf_rows']").text
    assert "Shelf 1" in rows and "Shelf 3" in rows and "Gold Formula 900 g × 8" in rows
    raw = driver.find_element(By.ID, "detections")
    assert raw.get_attribute("open") is None  # the 60 coordinates stay folded away
    assert not driver.find_element(By.CSS_SELECTOR, "table[data-table='detections']").is_displayed()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    assert height < 4000, height  # was 10,600 px with every box listed
    shot(driver, f"marketing-photo-{size}")

    raw.find_element(By.TAG_NAME, "summary").click()
    table = driver.find_element(By.CSS_SELECTOR, "table[data-table='detections']")
    assert table.is_displayed() and len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == 50
    assert "Page 1 of 2" in raw.text

    driver.get(f"{driver.current_url.split('/analytics/')[0]}/analytics/visits/{visit.public_id}/")
    photo_thumb = driver.find_element(By.CSS_SELECTOR, "table[data-table='photos'] a.thumb")
    assert photo_thumb.get_attribute("href").endswith(f"/analytics/photos/{photo.public_id}/")
    shot(driver, f"marketing-visit-{size}")
