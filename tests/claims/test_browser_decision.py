"""Finance, in a real headless Chromium: from the queue to a claim's evidence, a partial approval, its audit entry."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from shelfai.claims.models import AuditEvent, ClaimDecision
from shelfai.visits.models import AuthenticityFlag
from tests.browser.conftest import WAIT_S, driver, make_driver, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def wait(browser):
    """Waits across a page load: elements of the page being left go stale, which is not a failure.
    Chromium sometimes says so as "Node with given id does not belong to the document" rather than as a
    stale element; that is the same race and is waited through too."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    class AcrossPageLoads(WebDriverWait):
        def until(self, method, message: str = ""):
            def leaving_page_is_not_a_failure(browser_now):
                try:
                    return method(browser_now)
                except WebDriverException as exc:
                    if "does not belong to the document" in str(exc):
                        return False
                    raise
            return super().until(leaving_page_is_not_a_failure, message)

    return AcrossPageLoads(browser, WAIT_S, poll_frequency=0.1,
                           ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def snapshot(browser, name: str) -> None:
    """SHELFAI_SCREENSHOTS=dir keeps a picture of each step, for a human to look at."""
    folder = os.environ.get("SHELFAI_SCREENSHOTS")
    if folder:
        browser.set_window_size(1366, browser.execute_script("return document.body.scrollHeight") + 100)
        browser.save_screenshot(os.path.join(folder, f"{name}.png"))


def test_finance_partly_approves_a_claim_and_sees_the_audit_entry(
        driver, sign_in, shop, executed_visit, claim_for, make_jpeg):  # noqa: F811
    for week in (0, 1, 3):
        executed_visit(shop.start + timedelta(days=7 * week + 3))
    executed_visit(shop.start + timedelta(days=17), [(shop.gold, 2, 1)])
    _, original = executed_visit(shop.start - timedelta(days=20), store=shop.other_store, data=make_jpeg(seed=77))
    _, reused = executed_visit(shop.start + timedelta(days=15), data=make_jpeg(seed=77))
    AuthenticityFlag.objects.create(photo=reused, code="exact_duplicate", severity="critical",
                                    reason="The same file was already uploaded at FreshCo Hilltop.",
                                    duplicate_of=original, distance=0)
    claim = claim_for("1000.00", reference="FC-2026-001")

    sign_in(driver, "finance", "pw-finance", "/claims/")
    snapshot(driver, "claims-queue")
    driver.find_element(By.LINK_TEXT, "FC-2026-001").click()
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Claim FC-2026-001")
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "Executed in 3 of 4 weeks" in page and "exact_duplicate" in page
    pair = driver.find_elements(By.CSS_SELECTOR, ".pair img")
    assert len(pair) == 2 and str(original.public_id) in pair[1].get_attribute("src")
    evidence = driver.find_element(By.CSS_SELECTOR, ".photos img")
    driver.execute_script("arguments[0].scrollIntoView()", evidence)  # it loads lazily
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    wait(driver).until(lambda d: d.execute_script(loaded, evidence))
    assert driver.execute_script("return arguments[0].naturalWidth", evidence) == 640  # served, signed in
    snapshot(driver, "claim-detail")

    driver.find_element(By.CSS_SELECTOR, "input[name=outcome][value=partial]").click()
    amount = driver.find_element(By.ID, "id_amount")
    amount.clear()
    amount.send_keys("1200")
    driver.find_element(By.ID, "id_reason").send_keys("Week 3 not set up.")
    driver.find_element(By.CSS_SELECTOR, ".decision button[type=submit]").click()
    error = wait(driver).until(lambda d: d.find_element(By.ID, "amount-error"))
    assert "At most EUR 1,000.00" in error.text
    assert driver.find_element(By.ID, "id_reason").get_attribute("value") == "Week 3 not set up."

    amount = driver.find_element(By.ID, "id_amount")
    amount.clear()
    amount.send_keys("750.00")
    driver.find_element(By.CSS_SELECTOR, ".decision button[type=submit]").click()
    wait(driver).until(lambda d: "Partially approved" in d.find_element(By.TAG_NAME, "main").text)
    trail = driver.find_element(By.CSS_SELECTOR, "[aria-labelledby=trail-h] table").text
    assert "Partly approved" in trail and "amount EUR 750.00" in trail and "Week 3 not set up." in trail
    snapshot(driver, "claim-decided")
    decision = ClaimDecision.objects.get(claim=claim)
    assert (decision.outcome, str(decision.amount), decision.decided_by.username) == ("partial", "750.00", "finance")
    assert AuditEvent.objects.filter(action="claim.partial", actor__username="finance").count() == 1
