"""An admin adds a SKU with two pack shots in the Django admin (real Chromium), and recognition knows it
from the next photo on: no retraining, no restart."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from shelfai.detection import engine
from shelfai.stores.models import Brand, Category, Product, ProductImage
from shelfai.vision.offline.packart import make_pack_art
from shelfai.vision.types import Box
from shelfai.visits.references import normalise_reference
from tests.browser.conftest import wait

pytestmark = pytest.mark.browser


def _png(art: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", art)
    assert ok
    return buf.tobytes()


@pytest.fixture
def staff(world):
    user = world.users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def catalog_with_others(db):
    """Three other SKUs already known, so the new one must be told apart, not just be the only one."""
    from django.core.files.base import ContentFile

    brand = Brand.objects.create(name="Meadow", is_own=True)
    dairy = Category.objects.create(name="Dairy")
    for n, family in enumerate(["meadow", "alpine", "sunny"]):
        product = Product.objects.create(sku=f"other-{n}", name=f"Other {n}", brand=brand, category=dairy)
        ref = normalise_reference(_png(make_pack_art(product.sku, family=family)), max_pixels=10**8, max_bytes=10**8)
        image = ProductImage(product=product, sha256=ref.sha256)
        image.image.save(ref.file_name, ContentFile(ref.png), save=False)
        image.save()
    return brand, dairy


def test_an_admin_adds_a_sku_with_two_pack_shots_and_the_next_photo_is_recognised(
        live_server, make_driver, sign_in, staff, catalog_with_others, tmp_path):
    brand, dairy = catalog_with_others
    engine.reset()
    front = make_pack_art("oat-drink", family="oaty", size=(120, 200))
    angled = cv2.convertScaleAbs(cv2.resize(front, (110, 190)), alpha=0.85, beta=10)  # a second, darker shot
    files = []
    for name, art in [("front.png", front), ("angled.jpg", angled)]:
        path = tmp_path / name
        cv2.imwrite(str(path), art)
        files.append(str(path))

    driver = make_driver()
    sign_in(driver, "admin", "pw-admin", "/admin/stores/product/add/")
    driver.find_element(By.ID, "id_sku").send_keys("oat-drink")
    driver.find_element(By.ID, "id_name").send_keys("Oat drink")
    driver.find_element(By.ID, "id_pack_size").send_keys("1 l")
    Select(driver.find_element(By.ID, "id_brand")).select_by_visible_text("Meadow")
    Select(driver.find_element(By.ID, "id_category")).select_by_visible_text("Dairy")
    driver.find_element(By.ID, "id_images-0-upload").send_keys(files[0])
    driver.find_element(By.CSS_SELECTOR, "#images-group .add-row a").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "id_images-1-upload"))
    driver.find_element(By.ID, "id_images-1-upload").send_keys(files[1])
    driver.find_element(By.NAME, "_continue").click()
    wait(driver).until(lambda d: "/change/" in d.current_url)
    assert "was added successfully" in driver.find_element(By.CSS_SELECTOR, ".messagelist").text
    previews = driver.find_elements(By.CSS_SELECTOR, "#images-group img[src*=\"pack-shot\"]")
    assert len(previews) == 2
    assert all(driver.execute_script("return arguments[0].naturalWidth", img) > 0 for img in previews)

    product = Product.objects.get(sku="oat-drink")
    assert product.images.count() == 2 and all(len(i.sha256) == 64 for i in product.images.all())

    # The next photo: the new pack and an old one side by side on a grey shelf, smaller than the shots.
    shelf = np.full((260, 300, 3), 90, np.uint8)
    shelf[30:30 + 170, 20:20 + 100] = cv2.resize(front, (100, 170))
    shelf[30:30 + 170, 160:160 + 100] = cv2.resize(make_pack_art("other-1", family="alpine"), (100, 170))
    _, catalog = engine.get_catalog()
    answers = catalog.identify(shelf, [Box(20, 30, 120, 200), Box(160, 30, 260, 200)])
    assert [sku for sku, _ in answers] == ["oat-drink", "other-1"]
    assert answers[0][1] > 0.5
