"""The catalog as an admin keeps it: reference pack shots checked, hashed and named from their hash,
shown in the admin; a planogram's shelves and facings edited on the planogram's own page."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from shelfai.stores import layout
from shelfai.stores.models import Brand, Category, Planogram, Product, ProductImage

ADD = "/admin/stores/product/add/"


@pytest.fixture
def admin_client(world):
    user = world.users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalog(db):
    return Brand.objects.create(name="Milky", is_own=True), Category.objects.create(name="Dairy")


def png(colour=(200, 30, 30), size=(120, 200), fmt="PNG", **save) -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste((255, 255, 255), (20, 40, size[0] - 20, 80))  # a label, so two colours differ in layout too
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def product_form(catalog, files: list[tuple[str, bytes]], sku="milk-1l") -> dict:
    brand, category = catalog
    data = {"sku": sku, "name": "Whole milk", "brand": brand.pk, "category": category.pk, "pack_size": "1 l",
            "width_mm": 80, "height_mm": 200, "unit_price": "1.99", "is_active": "on",
            "images-TOTAL_FORMS": str(len(files)), "images-INITIAL_FORMS": "0",
            "images-MIN_NUM_FORMS": "0", "images-MAX_NUM_FORMS": "1000"}
    for n, (name, content) in enumerate(files):
        data[f"images-{n}-upload"] = SimpleUploadedFile(name, content)
    return data


def test_two_pack_shots_in_one_save_are_stored_under_their_hashes(admin_client, catalog):
    response = admin_client.post(ADD, product_form(catalog, [("front.png", png()), ("side.jpg", png((30, 30, 200),
                                                                                                   fmt="JPEG"))]))
    assert response.status_code == 302, response.content.decode()[:2000]
    images = list(ProductImage.objects.filter(product__sku="milk-1l").order_by("pk"))
    assert len(images) == 2
    for image in images:
        with image.image.open("rb") as fh:
            data = fh.read()
        assert image.sha256 == hashlib.sha256(data).hexdigest()  # the hash of what is stored
        assert image.image.name == f"catalog/milk-1l/{image.sha256[:16]}.png"
        assert Image.open(io.BytesIO(data)).format == "PNG"
    assert str(images[0]).startswith("Whole milk 1 l — pack shot ")


def test_a_text_file_named_jpg_is_refused_and_nothing_is_saved(admin_client, catalog):
    response = admin_client.post(ADD, product_form(catalog, [("pack.jpg", b"this is not an image at all\n")]))
    assert response.status_code == 200
    assert "not a photo we can read" in response.content.decode()
    assert not Product.objects.filter(sku="milk-1l").exists() and not ProductImage.objects.exists()


def test_the_same_image_twice_is_a_clear_error_not_a_server_error(admin_client, catalog):
    response = admin_client.post(ADD, product_form(catalog, [("a.png", png()), ("b.png", png())]))
    assert response.status_code == 200
    assert "The same image as pack shot 1 in this save" in response.content.decode()
    assert not ProductImage.objects.exists()


def test_an_image_already_on_the_product_is_refused(admin_client, catalog):
    assert admin_client.post(ADD, product_form(catalog, [("a.png", png())])).status_code == 302
    product = Product.objects.get(sku="milk-1l")
    existing = product.images.get()
    data = product_form(catalog, [("again.png", png())])
    data.update({"images-TOTAL_FORMS": "2", "images-INITIAL_FORMS": "1", "images-0-id": existing.pk,
                 "images-0-product": product.pk, "images-1-upload": data.pop("images-0-upload")})
    response = admin_client.post(f"/admin/stores/product/{product.pk}/change/", data)
    assert response.status_code == 200
    assert "already a pack shot of this product" in response.content.decode()
    assert product.images.count() == 1


def test_a_rotated_phone_jpeg_is_stored_upright(admin_client, catalog):
    # A portrait pack photographed with the phone on its side: pixels landscape, EXIF says rotate.
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = png(size=(200, 120), fmt="JPEG", exif=exif.tobytes())
    assert admin_client.post(ADD, product_form(catalog, [("phone.jpg", sideways)])).status_code == 302
    image = ProductImage.objects.get()
    with image.image.open("rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
    assert stored.size == (120, 200)


def test_pack_shots_show_in_the_admin_to_staff_only(admin_client, catalog, world):
    admin_client.post(ADD, product_form(catalog, [("a.png", png())]))
    image = ProductImage.objects.get()
    page = admin_client.get(f"/admin/stores/product/{image.product.pk}/change/").content.decode()
    url = f"/admin/stores/product/pack-shot/{image.pk}/"
    assert f'<img src="{url}"' in page and ".img" not in page
    shot = admin_client.get(url)
    assert shot.status_code == 200 and shot["Content-Type"] == "image/png"
    assert np.asarray(Image.open(io.BytesIO(b"".join(shot.streaming_content)))).shape == (200, 120, 3)
    rep = Client()
    rep.force_login(world.users["rep"])
    assert rep.get(url).status_code in (302, 403, 404)  # the admin's sign-in, never the file


# ---- planogram layout -----------------------------------------------------------------------------

def test_layout_text_round_trips_and_says_which_line_is_wrong():
    shelves = layout.parse("2: b x3\n\n1: a x2, c\n")
    assert [s.level for s in shelves] == [1, 2]
    assert shelves[0].facings == (("a", 2), ("c", 1))
    assert layout.parse(layout.render(shelves)) == shelves
    for bad, words in [("a x2", "start with the shelf level"), ("1: a x0", "1 to 99"), ("1: a\n1: b", "twice"),
                       ("1: a b", "is not 'sku'"), ("1:", "no SKUs")]:
        with pytest.raises(layout.LayoutError, match=words):
            layout.parse(bad)


def planogram_form(catalog, store, text: str, name="Dairy bay") -> dict:
    return {"name": name, "category": catalog[1].pk, "store": store.pk, "store_group": "",
            "effective_from": "2026-01-01", "effective_to": "", "layout": text}


def test_an_admin_writes_the_shelves_on_the_planograms_page_and_the_version_rises(admin_client, catalog, world):
    brand, category = catalog
    for sku in ("milk-1l", "milk-2l", "yoghurt"):
        Product.objects.create(sku=sku, name=sku, brand=brand, category=category)
    assert admin_client.post("/admin/stores/planogram/add/",
                             planogram_form(catalog, world.store, "1: milk-1l x2, milk-2l\n2: yoghurt x4")
                             ).status_code == 302
    planogram = Planogram.objects.get()
    assert [(s.level, [(f.product.sku, f.position, f.facings) for f in s.facings.all()])
            for s in planogram.shelves.all()] == [(1, [("milk-1l", 1, 2), ("milk-2l", 2, 1)]),
                                                  (2, [("yoghurt", 1, 4)])]
    page = admin_client.get(f"/admin/stores/planogram/{planogram.pk}/change/").content.decode()
    assert "1: milk-1l x2, milk-2l x1" in page
    version = planogram.version
    response = admin_client.post(f"/admin/stores/planogram/{planogram.pk}/change/",
                                 planogram_form(catalog, world.store, "1: yoghurt x5"))
    assert response.status_code == 302
    planogram.refresh_from_db()
    assert planogram.version == version + 1
    assert [(f.product.sku, f.facings) for s in planogram.shelves.all() for f in s.facings.all()] == [("yoghurt", 5)]


def test_an_unknown_sku_in_the_layout_changes_nothing(admin_client, catalog, world):
    brand, category = catalog
    Product.objects.create(sku="milk-1l", name="m", brand=brand, category=category)
    assert admin_client.post("/admin/stores/planogram/add/",
                             planogram_form(catalog, world.store, "1: milk-1l x2")).status_code == 302
    planogram = Planogram.objects.get()
    response = admin_client.post(f"/admin/stores/planogram/{planogram.pk}/change/",
                                 planogram_form(catalog, world.store, "1: milk-1l, no-such-sku x2"))
    assert response.status_code == 200 and "Unknown SKU: no-such-sku" in response.content.decode()
    planogram.refresh_from_db()
    assert planogram.version == 1
    assert planogram.shelves.get().facings.get().facings == 2
