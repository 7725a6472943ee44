"""In Chromium, at phone and desktop size: finance picks "Daily digest" for claim alerts, saves, and it stays."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

from shelfai.alerts.models import AlertPreference
from tests.browser.conftest import wait

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "alerts"


def snapshot(driver, name: str) -> None:
    """The whole page, kept for a person to look at (test-artifacts/ is not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "fromSurface": True})
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def text_of(driver, css: str) -> str:
    """The element's text, or "" while the next page is still loading (Chromium then answers with a
    missing, stale or "node does not belong to the document" element)."""
    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except WebDriverException:
        return ""


def sign_in(driver, live_server, username: str, password: str) -> None:
    """The real login form; waits on the address, which never races the page being replaced."""
    driver.get(f"{live_server.url}/accounts/login/?next=/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(lambda d: "/accounts/login/" not in d.current_url
                       and d.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_finance_chooses_a_daily_digest_for_claim_alerts_and_it_is_saved(make_driver, live_server, people, phone):
    d = make_driver(phone=phone)
    sign_in(d, live_server, "finance", "pw-finance")
    d.find_element(By.LINK_TEXT, "Alerts").click()  # from the nav, wherever the home page sent them
    wait(d).until(lambda drv: text_of(drv, "#alert-settings"))
    assert d.find_element(By.ID, "claim_critical-immediate").is_selected()  # finance's default
    size = "phone" if phone else "desktop"
    snapshot(d, f"settings-{size}")
    assert d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")

    d.find_element(By.CSS_SELECTOR, "label:has(#claim_critical-digest)").click()  # a tap on the words
    form = d.find_element(By.ID, "alert-settings")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(d).until(lambda drv: "Saved your alert settings." in text_of(drv, "main"))  # only on the page after
    assert d.find_element(By.ID, "claim_critical-digest").is_selected()
    snapshot(d, f"saved-{size}")

    d.refresh()  # not just the form's state: the page reads it back from the database
    wait(d).until(lambda drv: text_of(drv, "#alert-settings"))
    assert d.find_element(By.ID, "claim_critical-digest").is_selected()
    assert AlertPreference.objects.get(user=people.users["finance"], rule="claim_critical").frequency == "digest"
