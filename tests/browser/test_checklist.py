"""The visit's checklist on the rep's phone: what to photograph, one tap per task, what is done."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from shelfai.pipeline.models import CaptureTask, PhotoCapture
from tests.browser.conftest import wait
from tests.browser.test_rep_capture import NEAR_RIVERSIDE, wait_for_photo
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_pipeline(monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


@pytest.fixture
def in_force(world):
    """A Dairy bay planogram and a paid floor stand at the rep's store today."""
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementRequirement
    from shelfai.stores.models import Brand, Category, Planogram, PlanogramFacing, PlanogramShelf, Product

    today = timezone.localdate()
    brand = Brand.objects.create(name="Meadow", is_own=True)
    dairy = Category.objects.create(name="Dairy")
    milk = Product.objects.create(sku="milk-1l", name="Meadow Milk", pack_size="1 l", brand=brand, category=dairy)
    plan = Planogram.objects.create(name="Dairy chiller", category=dairy, store=world.store,
                                    effective_from=today - timedelta(days=5))
    shelf = PlanogramShelf.objects.create(planogram=plan, level=1)
    PlanogramFacing.objects.create(shelf=shelf, product=milk, position=1, facings=4)
    campaign = Campaign.objects.create(name="Milk month", brand=brand, starts_on=today - timedelta(days=1),
                                       ends_on=today + timedelta(days=27))
    stand = PaidPlacement.objects.create(campaign=campaign, store=world.store,
                                         display_type=PaidPlacement.DisplayType.FLOOR_STAND,
                                         starts_on=campaign.starts_on, ends_on=campaign.ends_on, fee=Decimal("500"))
    PlacementRequirement.objects.create(placement=stand, product=milk, min_facings=6)
    return world


def tasks_shown(driver) -> list[tuple[str, str]]:
    return [(li.find_element(By.TAG_NAME, "strong").text, li.get_attribute("class"))
            for li in driver.find_elements(By.CSS_SELECTOR, "#tasks li.task")]


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_the_rep_photographs_each_task_and_sees_it_done(make_driver, live_server, sign_in, in_force, tmp_path,
                                                        phone):
    driver = make_driver(phone=phone)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", NEAR_RIVERSIDE)
    sign_in(driver, "rep", "pw-rep", "/rep/")
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']")).click()
    wait(driver).until(lambda d: len(tasks_shown(d)) == 2)
    assert tasks_shown(driver) == [("Dairy shelf", "task todo"),
                                   ("Floor stand / secondary display — Milk month", "task todo")]
    assert driver.find_element(By.ID, "checklist-count").text == "· 0 of 2 photographed"
    def stand():
        return driver.find_elements(By.CSS_SELECTOR, "#tasks li.task")[1]

    assert "Meadow Milk 1 l ×6" in stand().text and "Not photographed yet" in stand().text
    # One tap on the stand's task opens the camera for that task; the photo is sent for it.
    stand().find_element(By.TAG_NAME, "button").click()
    photo = tmp_path / "stand.jpg"
    photo.write_bytes(jpeg_bytes(800, 600, seed=7))
    driver.find_element(By.ID, "camera").send_keys(str(photo))
    wait_for_photo(driver, ("queued", "Queued"))
    capture = PhotoCapture.objects.select_related("task").get()
    assert capture.task.kind == CaptureTask.Kind.DISPLAY and capture.matched_by == "task"
    wait(driver).until(lambda d: tasks_shown(d)[1][1] == "task done")
    assert tasks_shown(driver)[0][1] == "task todo"
    assert driver.find_element(By.ID, "checklist-count").text == "· 1 of 2 photographed"
    item = driver.find_element(By.CSS_SELECTOR, "#photos li.photo .task-name")
    assert item.text.startswith("Floor stand / secondary display — Milk month")
    folder = tmp_path.parent / "shots"
    folder.mkdir(exist_ok=True)
    driver.save_screenshot(str(folder / f"checklist-{'phone' if phone else 'desktop'}.png"))
