"""Marketing follows the worst store on the dashboard down to one photo with its boxes and deductions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.analytics.factories import catalog, photo_with_boxes, scored_visit
from tests.browser.conftest import wait
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser
FIX = "Add 2 facings of Gold Formula 900 g on shelf 2"


@pytest.fixture
def poor_visit(world):
    products = catalog()
    gold, baby = products["gold900"], products["baby"]
    today = timezone.localdate()
    scored_visit(store=world.store, rep=world.users["rep"], day=today - timedelta(days=4), score=92,
                 observations={gold: (4, 4, False)})
    deduction = {"code": "facings_short", "sku": "gold-900", "points": 8, "message": FIX}
    visit = scored_visit(store=world.other_store, rep=world.users["other_rep"], day=today - timedelta(days=2),
                         score=48, deductions=[deduction], observations={gold: (2, 4, False), baby: (3, 3, False)},
                         photos=0)
    photo = photo_with_boxes(visit, score=52, deductions=[deduction], image=jpeg_bytes(800, 600, seed=5), boxes=[
        (20, 40, 120, 300, gold), (125, 40, 225, 300, gold), (240, 40, 340, 300, baby), (360, 40, 460, 300, None)])
    return visit, photo


def test_from_the_worst_store_to_a_photo_with_its_boxes(driver, sign_in, world, poor_visit):
    visit, photo = poor_visit
    sign_in(driver, "marketing", "pw-marketing", "/analytics/")

    worst = driver.find_element(By.CSS_SELECTOR, "svg[data-chart='worst_stores'] a.mark")
    assert "FreshCo Hilltop" in worst.get_attribute("aria-label")  # lowest score is the first bar
    worst.click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Visits to FreshCo Hilltop")

    driver.find_element(By.CSS_SELECTOR, "table[data-table='visits'] tbody a").click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Visit to FreshCo Hilltop")
    assert FIX in driver.find_element(By.CSS_SELECTOR, "table[data-table='deductions']").text

    driver.find_element(By.CSS_SELECTOR, "table[data-table='photos'] tbody a").click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Photo at FreshCo Hilltop")
    assert str(photo.public_id) in driver.current_url

    image = driver.find_element(By.ID, "shelf-photo")
    wait(driver).until(lambda d: d.execute_script("return arguments[0].complete", image))
    assert driver.execute_script("return arguments[0].naturalWidth", image) == 800  # the original, signed in
    boxes = driver.find_elements(By.CSS_SELECTOR, "svg.boxes rect.box")
    assert len(boxes) == 4
    # Boxes sit on the picture: the first box starts 20/800 of the way across the shown image.
    shown = image.rect
    first = boxes[0].rect
    assert abs(first["x"] - shown["x"] - shown["width"] * 20 / 800) < 2
    assert FIX in driver.find_element(By.CSS_SELECTOR, "table[data-table='deductions']").text

    # Hovering the deduction lights the boxes of its SKU; the toggle hides every box.
    from selenium.webdriver import ActionChains

    row = driver.find_element(By.CSS_SELECTOR, "table[data-table='deductions'] tbody tr")
    ActionChains(driver).move_to_element(row).perform()
    lit = driver.find_elements(By.CSS_SELECTOR, "svg.boxes rect.box.lit")
    assert [b.get_attribute("data-sku") for b in lit] == ["gold-900", "gold-900"]
    driver.find_element(By.ID, "toggle-boxes").click()
    assert not driver.find_element(By.ID, "boxes").is_displayed()
