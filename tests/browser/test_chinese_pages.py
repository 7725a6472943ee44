"""A Chinese-speaking rep and finance officer in a real Chromium (issue 17): the capture flow on a phone,
a claim decided on the desk, every page in Chinese with no English left but names of formats and brands.

The test makes its own data in Chinese (store, product, campaign), so any Latin word left on a page is the
product's own text. Words the test itself chose in Latin (the user names) are ignored, and so is what a
page marks ``translate="no"`` (a model's hash, a flag's code). Screenshots at phone (390×844) and desktop
(1366×900) size go to SHELFAI_SCREENSHOTS (default /tmp/shots).
"""

from __future__ import annotations

import base64
import os
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone, translation
from selenium.webdriver.common.by import By

from shelfai.accounts.models import User
from shelfai.visits.models import Photo
from tests.browser.conftest import WAIT_S
from tests.conftest import jpeg_bytes
from tests.test_i18n_catalog import ALLOWED_WORDS

pytestmark = pytest.mark.browser
NEAR_STORE = {"latitude": 52.5205, "longitude": 13.405, "accuracy": 12}
SHOTS = os.environ.get("SHELFAI_SCREENSHOTS", "/tmp/shots")
TEST_DATA_WORDS = {"rep", "finance"}  # the user names the test chose


@pytest.fixture(autouse=True)
def _no_pipeline(monkeypatch):
    # The pages are under test; the analysis has tests of its own. A result is written by the test instead.
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


@pytest.fixture(scope="module", autouse=True)
def _compiled_translations():
    call_command("compile_translations", verbosity=0)
    translation.trans_real._translations = {}
    translation.trans_real._default = None


@pytest.fixture
def chinese_world(world, settings):
    """The shared world, named in Chinese; the rep reads Chinese in Beijing time; yuan."""
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementRequirement
    from shelfai.stores.models import Brand, Category, Product

    settings.CURRENCY = "CNY"
    world.region.name, world.retailer.name = "华东区", "华润万家"
    world.region.save()
    world.retailer.save()
    world.store.name, world.store.address = "华润万家滨江店", "杭州市滨江区江南大道88号"
    world.store.save()
    world.other_store.name = "华润万家西湖店"
    world.other_store.save()
    rep = world.users["rep"]
    rep.language, rep.time_zone = "zh-hans", "Asia/Shanghai"
    rep.save()
    brand = Brand.objects.create(name="金典", is_own=True)
    category = Category.objects.create(name="乳制品")
    milk = Product.objects.create(sku="JD-250", name="金典纯牛奶", pack_size="250毫升", brand=brand, category=category)
    today = timezone.localdate()
    campaign = Campaign.objects.create(name="春节端架", brand=brand, starts_on=today - timedelta(days=30),
                                       ends_on=today + timedelta(days=10))
    past = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type=PaidPlacement.DisplayType.END_CAP,
        starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=3), fee=Decimal("12800.00"))
    PlacementRequirement.objects.create(placement=past, product=milk, min_facings=4)
    current = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type=PaidPlacement.DisplayType.FLOOR_STAND,
        starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=10), fee=Decimal("3000.00"))
    PlacementRequirement.objects.create(placement=current, product=milk, min_facings=2)
    world.milk, world.past_placement, world.current_placement = milk, past, current
    return world


def wait(driver, timeout: float = WAIT_S):
    """Waits across page loads: an element of the page being left goes stale, which is not a failure."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def shoot(driver, name: str) -> None:
    """A full-page picture: the page's whole height at the window's width."""
    os.makedirs(SHOTS, exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    with open(os.path.join(SHOTS, f"{name}.png"), "wb") as out:
        out.write(base64.b64decode(shot["data"]))


def visible_text(driver) -> str:
    """What the page shows, less what it marks as not for translation (hashes, codes)."""
    return driver.execute_script("""
        const hidden = [...document.querySelectorAll('[translate="no"]')];
        hidden.forEach((el) => { el.dataset.was = el.style.display; el.style.display = 'none'; });
        const text = document.body.innerText;
        hidden.forEach((el) => { el.style.display = el.dataset.was; });
        return text;""")


def english_left(driver, extra: set[str] = frozenset()) -> list[str]:
    allowed = ALLOWED_WORDS | TEST_DATA_WORDS | set(extra)
    # Codes with digits (a claim's reference "REP-20261205-37CAE0", a store code "s1") are data, not words.
    text = re.sub(r"\b[A-Za-z]*-?\d[\w-]*", " ", visible_text(driver))
    words = {w.strip("-'’") for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", text)}
    return sorted(w for w in words if w not in allowed)


class Pages:
    """Checks each page as the test walks: the Chinese it must show at once (a failure stops the walk);
    English left over is collected and said at the end, every page at once, so one report lists it all."""

    def __init__(self):
        self.english: list[str] = []

    def check(self, driver, page: str, must_show: str) -> None:
        text = visible_text(driver)
        assert must_show in text, f"{page}: {must_show!r} not shown"
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans", page
        left = english_left(driver)
        if left:
            lines = [line for line in text.splitlines() if set(re.findall(r"[A-Za-z][A-Za-z'’-]*", line)) & set(left)]
            self.english.append(f"{page}: {left}\n    " + "\n    ".join(lines[:8]))

    def assert_no_english(self) -> None:
        assert not self.english, "English left on the Chinese pages:\n" + "\n".join(self.english)


def a_phone(make_driver, live_server):
    driver = make_driver(phone=True)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", NEAR_STORE)
    return driver


def analysed(photo: Photo, milk) -> None:
    """What the pipeline would leave: a detection run, the boxes drawn, a score with coded deductions."""
    from shelfai.compliance.models import ComplianceResult
    from shelfai.detection.models import DetectionRun

    photo.evidence_image.save("boxes.jpg", ContentFile(jpeg_bytes(800, 600, seed=5)), save=False)
    photo.status = Photo.Status.DONE
    photo.save()
    run = DetectionRun.objects.create(photo=photo, detector_sha256="c" * 64, facing_count=18)
    ComplianceResult.objects.create(
        scope=ComplianceResult.Scope.PHOTO, visit=photo.visit, photo=photo, detection_run=run,
        score=Decimal("64"), confidence=0.81, report={"facings_recognised": 15, "facings_total": 18},
        deductions=[
            {"code": "missing_sku", "params": {"name": milk.name, "expected": 4, "levels": [2]},
             "message": f"{milk.name} is missing"},
            {"code": "empty_gap", "params": {"level": 3, "width": 5}, "message": "Shelf 3: empty space"},
        ])


def test_a_chinese_rep_walks_the_capture_flow_on_a_phone(make_driver, live_server, sign_in, chinese_world, tmp_path):
    pages = Pages()
    phone = a_phone(make_driver, live_server)
    phone.get(f"{live_server.url}/accounts/login/")
    shoot(phone, "phone-01-sign-in-en")
    sign_in(phone, "rep", "pw-rep", "/rep/")  # the profile says Chinese, whatever the browser asks for
    wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']"))
    wait(phone).until(lambda d: "由近及远" in d.find_element(By.ID, "geo-note").text)
    pages.check(phone, "today's stores", "今日门店")
    assert "米" in phone.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1'] .dist").text
    shoot(phone, "phone-02-todays-stores")

    phone.find_element(By.CSS_SELECTOR, "#stores button[data-store='s1']").click()
    wait(phone).until(lambda d: d.find_element(By.ID, "visit-view").is_displayed())
    task = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#tasks li.task"))
    assert "尚未拍摄" in task.text
    pages.check(phone, "the visit's checklist", "拍摄任务")
    shoot(phone, "phone-03-checklist")

    shelf = tmp_path / "shelf.jpg"
    shelf.write_bytes(jpeg_bytes(1024, 768, seed=3))
    phone.find_element(By.ID, "library").send_keys(str(shelf))
    badge = lambda d: d.find_element(By.CSS_SELECTOR, "#photos li.photo .badge").text  # noqa: E731
    wait(phone).until(lambda d: badge(d) == "排队中")
    pages.check(phone, "a photo sent", "排队中")
    shoot(phone, "phone-04-photo-queued")

    analysed(Photo.objects.get(), chinese_world.milk)
    wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#photos li.photo").get_attribute("data-status")
                      == "done")
    assert re.fullmatch(r"[\u4e00-\u9fff]+", badge(phone)), badge(phone)  # "完成", in Chinese
    card = phone.find_element(By.CSS_SELECTOR, "#photos li.photo")
    assert "64/100 · 置信度 81 %" in card.text and "识别 15 / 18" in card.text
    fixes = [li.text for li in card.find_elements(By.CSS_SELECTOR, ".fixes li")]
    assert len(fixes) == 2 and chinese_world.milk.name in fixes[0]
    pages.check(phone, "the photo's result", "置信度")
    shoot(phone, "phone-05-photo-result")

    phone.find_element(By.CSS_SELECTOR, "#photos li.photo button.thumb").click()
    wait(phone).until(lambda d: d.find_element(By.ID, "viewer").is_displayed())
    assert "框选" in phone.find_element(By.ID, "viewer-caption").text
    pages.check(phone, "the photo viewer", "关闭")
    shoot(phone, "phone-06-viewer")
    phone.find_element(By.ID, "viewer-close").click()

    # The claim for the paid display, one tap from its task, and the rep's list of claims.
    phone.get(f"{live_server.url}/rep/claims/new/")
    option = wait(phone).until(lambda d: d.find_element(
        By.CSS_SELECTOR, f"[data-placement='{chinese_world.past_placement.pk}']"))
    assert "¥12,800.00" in option.text
    pages.check(phone, "new claim", "新建申请")
    shoot(phone, "phone-07-new-claim")
    option.click()
    wait(phone).until(lambda d: d.find_element(By.ID, "id_amount"))
    pages.check(phone, "the claim form", "提交给财务")
    shoot(phone, "phone-08-claim-form")
    phone.find_element(By.CSS_SELECTOR, "#claim-form button[type=submit]").click()
    wait(phone).until(lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("申请 "))
    pages.check(phone, "the claim sent", "等待财务审批")
    assert "CST" in phone.find_element(By.TAG_NAME, "main").text  # sent at ... Beijing time, named
    shoot(phone, "phone-09-claim-sent")

    # The settings page: language and time zone, the time now in the rep's zone, named.
    phone.get(f"{live_server.url}/settings/")
    pages.check(phone, "settings", "时区")
    assert "CST" in phone.find_element(By.ID, "now").text
    shoot(phone, "phone-10-settings")

    # The switch on every page: back to English, saved to the profile.
    phone.get(f"{live_server.url}/rep/claims/")
    phone.find_element(By.CSS_SELECTOR, ".lang-switch button[value=en]").click()
    wait(phone).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert phone.find_element(By.TAG_NAME, "h1").text == "My claims"
    assert "Waiting for finance" in phone.find_element(By.ID, "claims").text
    assert User.objects.get(username="rep").language == "en"
    pages.assert_no_english()


def test_a_chinese_finance_officer_decides_a_claim_on_the_desk(make_driver, live_server, sign_in, chinese_world):
    from shelfai.claims import services
    from tests.claims.conftest import detections_on, photo_in, visit_on

    world = chinese_world
    placement = world.past_placement
    for week in range(4):
        visit = visit_on(world, placement.starts_on + timedelta(days=7 * week + 2))
        photo = photo_in(visit, jpeg_bytes(640, 480, seed=20 + week))
        detections_on(photo, [(world.milk, 2, 4 if week != 2 else 1)])
    line = services.LineInput(placement=placement, period_start=placement.starts_on, period_end=placement.ends_on,
                              amount=Decimal("12800.00"))
    claim = services.claim_submit(submitted_by=world.users["rep"], lines=[line], reference="HR-2026-018")

    desk = make_driver()
    desk.get(f"{live_server.url}/accounts/login/")
    desk.find_element(By.CSS_SELECTOR, ".lang-switch button[value=zh-hans]").click()  # signed out: a cookie
    pages = Pages()
    wait(desk).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "登录")
    pages.check(desk, "sign-in", "用户名")
    shoot(desk, "desk-01-sign-in")
    sign_in(desk, "finance", "pw-finance", "/claims/")
    pages.check(desk, "the claims queue", "费用申请")
    shoot(desk, "desk-02-queue")

    desk.find_element(By.LINK_TEXT, "HR-2026-018").click()
    wait(desk).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "申请 HR-2026-018")
    assert "¥12,800.00" in desk.find_element(By.ID, "claimed-amount").text
    pages.check(desk, "the claim's evidence", "审计记录")
    shoot(desk, "desk-03-claim")

    desk.find_element(By.CSS_SELECTOR, "input[name=outcome][value=partial]").click()
    desk.find_element(By.ID, "id_amount").send_keys("9600")
    desk.find_element(By.ID, "id_reason").send_keys("第三周端架未按要求陈列。")
    desk.find_element(By.CSS_SELECTOR, ".decision button[type=submit]").click()
    wait(desk).until(lambda d: "第三周端架未按要求陈列。" in d.find_element(By.ID, "decision").text)
    claim.refresh_from_db()
    assert claim.status == "partial"
    pages.check(desk, "the decided claim", "¥9,600.00")
    shoot(desk, "desk-04-decided")

    # The same claim on a phone-sized window: the desk's pages hold at that width too.
    small = make_driver(phone=True)
    small.get(f"{live_server.url}/accounts/login/")
    small.find_element(By.CSS_SELECTOR, ".lang-switch button[value=zh-hans]").click()
    wait(small).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "登录")
    sign_in(small, "finance", "pw-finance", f"/claims/{claim.pk}/")
    pages.check(small, "the decided claim on a phone", "¥9,600.00")
    shoot(small, "desk-05-claim-phone")
    assert small.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    pages.assert_no_english()


def test_the_offline_phone_still_reads_chinese(make_driver, live_server, sign_in, chinese_world):
    phone = a_phone(make_driver, live_server)
    sign_in(phone, "rep", "pw-rep", "/rep/")
    wait(phone).until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    wait(phone).until(lambda d: d.execute_script(
        "return caches.open('shelfai-shell-v3').then((c) => c.match('/jsi18n/')).then((r) => !!r)"))
    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    wait(phone).until(lambda d: d.execute_script("return navigator.onLine") is False)
    phone.refresh()  # the service worker answers: the page and its script catalog, in Chinese
    wait(phone).until(lambda d: d.find_element(By.ID, "net").is_displayed())
    assert "离线" in phone.find_element(By.ID, "net").text
    shoot(phone, "phone-11-offline")
