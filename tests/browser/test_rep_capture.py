"""The rep's capture flow on a phone, in a real browser, including an upload made while offline."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from shelfai.visits.models import Photo, Visit
from tests.browser.conftest import wait
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser
NEAR_RIVERSIDE = {"latitude": 52.5205, "longitude": 13.405, "accuracy": 12}


@pytest.fixture(autouse=True)
def _no_pipeline(monkeypatch):
    # The browser tests look at the phone and the intake; analysis has tests of its own.
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


@pytest.fixture
def phone(make_driver, live_server):
    driver = make_driver(phone=True)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", NEAR_RIVERSIDE)
    return driver


@pytest.fixture
def shelf_jpeg(tmp_path):
    path = tmp_path / "shelf.jpg"
    path.write_bytes(jpeg_bytes(1024, 768, seed=3))
    return str(path)


def check_in(driver, sign_in, world) -> None:
    sign_in(driver, "rep", "pw-rep", "/rep/")
    store = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']"))
    assert "m" in store.find_element(By.CSS_SELECTOR, ".dist").text  # distance shown: location was used
    store.click()
    wait(driver).until(lambda d: d.find_element(By.ID, "visit-view").is_displayed())
    assert driver.find_element(By.ID, "visit-h").text == world.store.name


def photo_status(driver) -> tuple[str, str] | None:
    items = driver.find_elements(By.CSS_SELECTOR, "#photos li.photo")
    if not items:
        return None
    return items[0].get_attribute("data-status"), items[0].find_element(By.CSS_SELECTOR, ".badge").text


def set_offline(driver, offline: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    # The page learns of it through navigator.onLine and its online/offline events: wait for that.
    wait(driver).until(lambda d: d.execute_script("return navigator.onLine") is not offline)


def describe(driver) -> str:
    """What the phone shows, for an assertion message that says what went wrong."""
    return f"phone shows {photo_status(driver)}, online={driver.execute_script('return navigator.onLine')}"


def wait_for_photo(driver, status: tuple[str, str], timeout: float = 20) -> None:
    from selenium.common.exceptions import TimeoutException

    try:
        wait(driver, timeout).until(lambda d: photo_status(d) == status)
    except TimeoutException:
        raise AssertionError(f"expected {status} within {timeout} s; {describe(driver)}") from None


def test_a_rep_checks_in_and_uploads_a_photo_from_the_library(phone, sign_in, world, shelf_jpeg):
    check_in(phone, sign_in, world)
    visit = Visit.objects.get()
    assert visit.rep == world.users["rep"] and visit.store == world.store
    assert visit.checkin_distance_m is not None and visit.checkin_distance_m < 150

    phone.find_element(By.ID, "library").send_keys(shelf_jpeg)
    wait_for_photo(phone, ("queued", "Queued"))
    item = phone.find_element(By.CSS_SELECTOR, "#photos li.photo")
    assert not item.find_element(By.TAG_NAME, "progress").is_displayed()  # upload finished
    photo = Photo.objects.get()
    assert photo.visit == visit and photo.width == 1024 and photo.status == Photo.Status.QUEUED


def test_a_photo_taken_offline_waits_survives_a_reload_and_uploads_once(phone, sign_in, world, shelf_jpeg):
    check_in(phone, sign_in, world)
    # The page shell must be cached by the service worker before the network goes.
    wait(phone).until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))

    set_offline(phone, True)
    phone.find_element(By.ID, "library").send_keys(shelf_jpeg)
    wait_for_photo(phone, ("waiting", "Waiting for network"))
    assert phone.find_element(By.ID, "net").is_displayed()
    # An upload already on the wire when the network dropped may have reached the server without its
    # answer reaching the phone; the phone must then retry with the same client id (never a second photo).
    assert Photo.objects.count() <= 1, describe(phone)

    phone.refresh()  # still offline: the service worker serves the page, IndexedDB still has the photo
    wait_for_photo(phone, ("waiting", "Waiting for network"))
    assert phone.find_element(By.ID, "visit-h").text == world.store.name
    assert Photo.objects.count() <= 1, describe(phone)

    set_offline(phone, False)
    wait_for_photo(phone, ("queued", "Queued"), timeout=45)
    assert Photo.objects.count() == 1
    assert len(phone.find_elements(By.CSS_SELECTOR, "#photos li.photo")) == 1


def test_a_rep_checking_in_far_from_the_store_is_warned_at_once(make_driver, live_server, sign_in, world):
    """5.6 km away: the phone says so before the first photo, and finance will see the flag."""
    for phone in (True, False):
        driver = make_driver(phone=phone)
        driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
        driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                               {"latitude": 52.57, "longitude": 13.405, "accuracy": 12})
        sign_in(driver, "rep", "pw-rep", "/rep/")
        wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']")).click()
        wait(driver).until(lambda d: d.find_element(By.ID, "visit-warning").is_displayed())
        warning = driver.find_element(By.ID, "visit-warning")
        assert warning.text.startswith(f"You are 5.6 km from {world.store.name}")
        assert warning.get_attribute("role") == "alert"
    # The second browser resumed the first one's open visit: visits live on the server, not one device.
    assert Visit.objects.count() == 1 and Visit.objects.get().checkin_distance_m > 5000


def test_a_store_off_todays_schedule_is_one_tap_away(phone, sign_in, world):
    from shelfai.stores import zones
    from shelfai.stores.models import RepAssignment

    # The rep's store is scheduled on every weekday but today's (in the store's zone).
    today = zones.local_today(world.store)
    RepAssignment.objects.filter(rep=world.users["rep"]).update(
        weekdays="".join("0" if day == today.weekday() else "1" for day in range(7)))
    sign_in(phone, "rep", "pw-rep", "/rep/")
    wait(phone).until(lambda d: "No stores are assigned to you today." in d.find_element(By.ID, "stores").text)
    assert not phone.find_elements(By.CSS_SELECTOR, "#stores button[data-store='s1']")
    phone.find_element(By.ID, "all-stores").click()
    store = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']"))
    assert phone.find_element(By.ID, "stores-h").text == "All my stores"
    store.click()
    wait(phone).until(lambda d: d.find_element(By.ID, "visit-view").is_displayed())
    assert Visit.objects.get().store == world.store
