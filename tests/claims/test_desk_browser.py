"""Finance in a real headless Chromium (issue 15): "Approve part" without an amount shows its error where the
eye is, then a correct partial approval; a thumbnail of the evidence opens the photo page with boxes and flags."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from shelfai.claims.models import ClaimDecision
from shelfai.visits.models import AuthenticityFlag
from tests.browser.conftest import driver, make_driver, sign_in  # noqa: F401  (fixtures)
from tests.claims.test_browser_decision import wait

pytestmark = pytest.mark.browser


def shot(browser, name: str) -> None:
    """SHELFAI_SCREENSHOTS=dir keeps what the user saw (``-view``) and the whole page, for a human to look at."""
    folder = os.environ.get("SHELFAI_SCREENSHOTS")
    if folder:
        browser.save_screenshot(os.path.join(folder, f"{name}-view.png"))
        page = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(os.path.join(folder, f"{name}.png"), "wb") as out:
            out.write(base64.b64decode(page["data"]))


def in_viewport(browser, element) -> bool:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;", element)


@pytest.fixture
def evidence(shop, executed_visit, claim_for):
    for week in (0, 1, 3):
        executed_visit(shop.start + timedelta(days=7 * week + 3))
    _, flagged = executed_visit(shop.start + timedelta(days=17), [(shop.gold, 2, 1)])
    AuthenticityFlag.objects.create(photo=flagged, code="exif_missing", severity="warning", weight=0.6,
                                    reason="The photo carries no EXIF data (camera, time).")
    return claim_for("1000.00", reference="FC-2026-015"), flagged


def test_approve_part_without_an_amount_then_with_one(driver, sign_in, shop, evidence):  # noqa: F811
    claim, _ = evidence
    sign_in(driver, "finance", "pw-finance", f"/claims/{claim.pk}/")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Claim FC-2026-015")
    assert not driver.find_elements(By.CSS_SELECTOR, "input[name=outcome]:checked")  # nothing chosen for finance

    reason = driver.find_element(By.ID, "id_reason")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", reason)
    driver.find_element(By.CSS_SELECTOR, "input[name=outcome][value=partial]").click()
    reason.send_keys("Week 3 not set up.")
    driver.find_element(By.CSS_SELECTOR, ".decision button[type=submit]").click()

    summary = wait(driver).until(lambda d: d.find_element(By.ID, "error-summary"))
    assert "Give the amount to approve" in summary.text
    wait(driver).until(lambda d: in_viewport(d, d.find_element(By.ID, "error-summary")))  # where the eye is
    focused = "return document.activeElement && document.activeElement.id"
    wait(driver).until(lambda d: d.execute_script(focused) == "id_amount")  # the field to fix has the focus
    assert in_viewport(driver, driver.find_element(By.ID, "id_amount"))
    assert "Give the amount" in driver.find_element(By.ID, "error-summary-top").text  # and at the top of the page
    assert driver.find_element(By.CSS_SELECTOR, "input[name=outcome][value=partial]").is_selected()
    assert driver.find_element(By.ID, "id_reason").get_attribute("value") == "Week 3 not set up."
    shot(driver, "finance-claim-missing-amount-desktop")

    driver.find_element(By.ID, "id_amount").send_keys("750.00")
    driver.find_element(By.CSS_SELECTOR, ".decision button[type=submit]").click()
    wait(driver).until(lambda d: "Partially approved" in d.find_element(By.TAG_NAME, "main").text)
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "Claim FC-2026-015 partially approved: EUR 750.00 of the EUR 1,000.00 claimed." in main
    assert "Partly approved" in main  # the audit trail, in words
    shot(driver, "finance-claim-decided-desktop")
    decision = ClaimDecision.objects.get(claim=claim)
    assert (decision.outcome, str(decision.amount)) == ("partial", "750.00")


def test_finance_opens_the_photo_page_from_the_evidence(driver, sign_in, shop, evidence):  # noqa: F811
    claim, flagged = evidence
    sign_in(driver, "finance", "pw-finance", f"/claims/{claim.pk}/")
    link = driver.find_element(By.CSS_SELECTOR, f"a.photo-link[href^='/analytics/photos/{flagged.public_id}/']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Photo at FreshCo Riverside")
    boxes = driver.find_elements(By.CSS_SELECTOR, "svg.boxes rect.box")
    assert len(boxes) == 1
    image = driver.find_element(By.ID, "shelf-photo")
    wait(driver).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
    flags = driver.find_element(By.CSS_SELECTOR, "table[data-table='flags']").text
    assert "No camera data" in flags and "no EXIF data" in flags  # the check by its name, not its code
    shot(driver, "finance-photo-page-desktop")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Back to the claim").click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Claim FC-2026-015")
