"""In Chromium, at phone and desktop size: a reviewer draws the box the detector missed by dragging on the
photo, then taps a wrong box and takes it out; each time the page comes back with the photo scored again."""

from __future__ import annotations

import pytest
from django.utils import timezone
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By

from shelfai.detection.models import DetectionRun
from tests.browser.conftest import wait
from tests.review.conftest import detector_found, pack_art, photo_of, shelf_with, visit_on
from tests.review.test_browser_review import no_sideways_scroll, snapshot, text_of

pytestmark = pytest.mark.browser


def drag(driver, svg, start: tuple[float, float], end: tuple[float, float], *, touch: bool) -> None:
    """Press at ``start`` and let go at ``end``, both in the photo's own pixels (mapped to the screen)."""
    to_screen = driver.execute_script(
        "const s = arguments[0], r = s.getBoundingClientRect(), w = +s.dataset.width, h = +s.dataset.height;"
        "return arguments[1].map(([x, y]) => [r.left + x * r.width / w, r.top + y * r.height / h]);",
        svg, [list(start), list(end)])
    pointer = PointerInput(interaction.POINTER_TOUCH if touch else interaction.POINTER_MOUSE, "finger")
    actions = ActionBuilder(driver, mouse=pointer)
    (x0, y0), (x1, y1) = to_screen
    actions.pointer_action.move_to_location(round(x0), round(y0)).pointer_down()
    for step in range(1, 6):
        actions.pointer_action.move_to_location(round(x0 + (x1 - x0) * step / 5), round(y0 + (y1 - y0) * step / 5))
    actions.pointer_action.pointer_up()
    actions.perform()


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_a_reviewer_draws_the_missed_pack_and_takes_a_wrong_box_out(make_driver, sign_in, live_server, world, phone):
    data, true, width, height = shelf_with([pack_art(1), pack_art(2), pack_art(3)], seed=9)
    photo = photo_of(visit_on(world, timezone.localdate()), data, width=width, height=height, ext="png")
    detector_found(photo, [true[0], true[2], (395, 150, 425, 230)])  # missed the middle pack, boxed bare shelf
    d = make_driver(phone=phone)
    sign_in(d, "marketing", "pw-marketing", f"/review/photos/{photo.public_id}/")
    assert len(d.find_elements(By.CSS_SELECTOR, "#boxes rect.box")) == 3

    d.find_element(By.ID, "draw-mode").click()
    x1, y1, x2, y2 = true[1]
    drag(d, d.find_element(By.ID, "boxes"), (x1, y1), (x2, y2), touch=phone)
    corners = [float(d.find_element(By.ID, f"id_{k}").get_attribute("value") or "nan")
               for k in ("x1", "y1", "x2", "y2")]
    assert all(abs(a - b) <= 4 for a, b in zip(corners, true[1], strict=True)), corners  # a few px of rounding
    snapshot(d, f"draw-box-{'phone' if phone else 'desktop'}")
    assert no_sideways_scroll(d)
    d.find_element(By.CSS_SELECTOR, "#box-add button[type=submit]").click()
    wait(d).until(lambda drv: "Added the missed box, by marketing" in text_of(drv, ".messages"))
    assert len(d.find_elements(By.CSS_SELECTOR, "#boxes rect.box")) == 4

    wrong = d.find_element(By.CSS_SELECTOR, "#boxes rect.box[x='395.0'], #boxes rect.box[x='395']")
    wrong.click()  # a tap on the box picks it in the "take out" form
    assert d.find_element(By.ID, "id_remove_detection").get_attribute("value") == wrong.get_attribute("data-detection")
    d.find_element(By.CSS_SELECTOR, "#box-remove button[type=submit]").click()
    wait(d).until(lambda drv: "Took the box out, by marketing: the photo has 3 boxes now" in text_of(drv, ".messages"))
    run = DetectionRun.objects.get(photo=photo, is_current=True)
    assert sorted(round(det.x1) for det in run.detections.all()) == [round(true[0][0]), round(x1), round(true[2][0])]
    assert "Took out a wrong box" in d.find_element(By.ID, "audit").text
    snapshot(d, f"box-fixed-{'phone' if phone else 'desktop'}")
