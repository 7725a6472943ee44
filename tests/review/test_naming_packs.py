"""Naming an unrecognised pack teaches the real recogniser: the next photo of that pack is recognised."""

from __future__ import annotations

import hashlib

import cv2
import pytest
from django.core.files.base import ContentFile
from django.test import Client

from shelfai.detection import engine
from shelfai.detection.models import Detection
from shelfai.review.models import ReviewAction
from shelfai.stores.models import Brand, Category, Product, ProductImage
from tests.review.conftest import detector_found, pack_art, photo_of, shelf_with, visit_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(world):
    """Three known SKUs with admin-uploaded pack shots, and a new SKU nobody has a picture of yet."""
    engine.reset()
    brand = Brand.objects.create(name="Gold", is_own=True)
    category = Category.objects.create(name="Snacks")
    known = []
    for seed in (1, 2, 3):
        product = Product.objects.create(sku=f"known-{seed}", name=f"Known {seed}", brand=brand, category=category)
        shot = cv2.copyMakeBorder(pack_art(seed), 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        data = cv2.imencode(".png", shot)[1].tobytes()  # a pack shot on a white backdrop, as admins upload
        image = ProductImage(product=product, sha256=hashlib.sha256(data).hexdigest())
        image.image.save("up.png", ContentFile(data), save=False)
        image.save()
        known.append(product)
    world.known = known
    world.new = Product.objects.create(sku="new-crisps", name="New Crisps", brand=brand, category=category)
    world.new_art = pack_art(77)
    yield world
    engine.reset()


def shelf_photo(world, seed: int, day, *, packs=None, gain: float = 1.0):
    """A photo of the new pack between two known ones (or ``packs``); the detector found every box and
    named none."""
    packs = packs or [pack_art(1), world.new_art, pack_art(2)]
    data, boxes, width, height = shelf_with(packs, seed=seed, gain=gain)
    photo = photo_of(visit_on(world, day), data, width=width, height=height, ext="png")
    detector_found(photo, boxes)
    return photo


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names_on(photo) -> list[str | None]:
    return [d.product.sku if d.product else None
            for d in Detection.objects.filter(run__photo=photo, run__is_current=True).order_by("x1")]


def test_the_new_pack_is_unknown_until_named_then_the_next_photo_knows_it(shop):
    from django.utils import timezone

    today = timezone.localdate()
    client = signed_in(shop.users["marketing"])
    first = shelf_photo(shop, seed=5, day=today)
    client.post(f"/review/photos/{first.public_id}/recognise-again/")
    assert names_on(first) == ["known-1", None, "known-2"]  # the real recogniser: the new pack is unknown

    middle = Detection.objects.get(run__photo=first, product__isnull=True)
    page = client.post(f"/review/photos/{first.public_id}/name/",
                       {"detection": middle.pk, "product": shop.new.pk}, follow=True).content.decode()
    assert "Named New Crisps" in page and "by marketing" in page
    assert names_on(first)[1] == "new-crisps"
    reference = ProductImage.objects.get(product=shop.new)
    assert reference.sha256 == hashlib.sha256(reference.image.open("rb").read()).hexdigest()
    assert reference.image.name.startswith(f"catalog/new-crisps/{reference.sha256[:16]}")
    action = ReviewAction.objects.get(kind="name_pack")
    assert (action.actor.username, action.product_id, action.data["before"]["product"]) == (
        "marketing", shop.new.pk, None)

    # The next photo: the pack elsewhere on the shelf, other neighbours, a dimmer light.
    second = shelf_photo(shop, seed=6, day=today, packs=[pack_art(3), pack_art(1), shop.new_art], gain=0.85)
    client.post(f"/review/photos/{second.public_id}/recognise-again/")
    assert names_on(second) == ["known-3", "known-1", "new-crisps"]


def test_naming_the_same_crop_twice_keeps_one_reference_image(shop):
    from django.utils import timezone

    photo = shelf_photo(shop, seed=5, day=timezone.localdate())
    client = signed_in(shop.users["admin"])
    for _ in range(2):
        box = Detection.objects.filter(run__photo=photo).order_by("x1")[1]
        client.post(f"/review/photos/{photo.public_id}/name/", {"detection": box.pk, "product": shop.new.pk})
    assert ProductImage.objects.filter(product=shop.new).count() == 1


def test_a_sliver_of_a_box_is_refused_as_a_reference(shop):
    from django.utils import timezone

    photo = shelf_photo(shop, seed=5, day=timezone.localdate())
    detector_found(photo, [(10, 10, 18, 200)])
    box = Detection.objects.get(run__photo=photo, run__is_current=True)
    page = signed_in(shop.users["marketing"]).post(
        f"/review/photos/{photo.public_id}/name/", {"detection": box.pk, "product": shop.new.pk},
        follow=True).content.decode()
    assert "too small" in page
    assert not ProductImage.objects.filter(product=shop.new).exists()
    assert names_on(photo) == [None]
