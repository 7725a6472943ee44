"""A real headless Chromium (Debian's, never a downloaded one) driven by Selenium against live_server.

Each test gets a fresh browser profile, so IndexedDB, service workers and cookies never leak from
one test into the next. A failing test leaves a screenshot and the page's HTML in test-artifacts/.
Without Chromium the tests skip, except where SHELFAI_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--password-store=basic",
]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
WAIT_S = 20


def _missing_browser() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} is not installed: apt-get install chromium chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this environment: pip install -r requirements.txt"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def make_driver(request, tmp_path):
    """Start Chromium: ``make_driver(phone=True)`` emulates a 390×844 phone, otherwise a desktop window."""
    reason = _missing_browser()
    if reason:
        if os.environ.get("SHELFAI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Browser tests are required here (SHELFAI_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    drivers = []

    def start(*, phone: bool = False):
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / f'profile-{len(drivers)}'}")
        if phone:
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
                k: PHONE[k] for k in ("width", "height")} | {"pixelRatio": PHONE["deviceScaleFactor"], "touch": True}})
        else:
            options.add_argument("--window-size=1366,900")
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(WAIT_S)
        drivers.append(driver)
        return driver

    yield start
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, driver in enumerate(drivers):
        if failed:
            _save_artifacts(driver, request, suffix=f"-{i}" if i else "")
        driver.quit()


def _save_artifacts(driver, request, *, suffix: str) -> None:
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    stem = request.node.name.replace("/", "_").replace("[", "-").replace("]", "") + suffix
    try:
        driver.save_screenshot(str(folder / f"{stem}.png"))
        (folder / f"{stem}.html").write_text(driver.page_source)
    except Exception as exc:  # the browser may be gone already; the test's own error says more
        print(f"Could not save a screenshot for {stem}: {exc}")


@pytest.fixture
def driver(make_driver):
    return make_driver()


@pytest.fixture
def sign_in(live_server):
    """Sign in through the real login form and land on ``next``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def login(driver, username: str, password: str, next_path: str) -> None:
        driver.get(f"{live_server.url}/accounts/login/?next={next_path}")
        driver.find_element(By.ID, "id_username").send_keys(username)
        driver.find_element(By.ID, "id_password").send_keys(password)
        form = driver.find_element(By.CSS_SELECTOR, "main form")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # The login URL itself contains ?next=<path>: wait for the login page to go away, not for
        # the path to appear, or the test races the redirect.
        WebDriverWait(driver, WAIT_S).until(EC.staleness_of(form))
        WebDriverWait(driver, WAIT_S).until(
            lambda d: "/accounts/login/" not in d.current_url
            and d.execute_script("return document.readyState") == "complete"
        )

    return login


def wait(driver, timeout: float = WAIT_S):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The pages re-render their lists as they poll (the phone's checklist every 2 s): an element read
    # between two renders is stale, and the next poll reads the new one.
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))
