"""A reviewer corrects the detector's boxes: takes a wrong one out, draws a missed one in, adds a SKU
nobody had. Each is audited, the photo is scored again at once, and the corrected boxes go out with
export_labels as checked labels for retraining (and the retrained model says how many it learned from)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from shelfai.detection.labels import import_labels
from shelfai.detection.models import Detection, DetectionRun
from shelfai.review.models import ReviewAction
from shelfai.stores.models import Product
from tests.review.conftest import detector_found, pack_art, photo_of, shelf_with, visit_on
from tests.review.test_naming_packs import names_on, shop, signed_in  # noqa: F401  (the shop fixture)

pytestmark = pytest.mark.django_db


def photo_with_boxes(world, boxes_of):
    """A shelf of three known packs; the detector's boxes are ``boxes_of(true boxes)``, named as given."""
    data, true, width, height = shelf_with([pack_art(1), pack_art(2), pack_art(3)], seed=9)
    photo = photo_of(visit_on(world, timezone.localdate()), data, width=width, height=height, ext="png")
    boxes, products = boxes_of(true)
    detector_found(photo, boxes, products)
    return photo, true


def current(photo) -> DetectionRun:
    return DetectionRun.objects.get(photo=photo, is_current=True)


def test_a_wrong_box_is_taken_out_scored_again_and_audited(shop):  # noqa: F811
    k1, k2, k3 = shop.known
    # The detector also boxed a stretch of bare shelf on the right.
    photo, true = photo_with_boxes(shop, lambda t: ([*t, (395, 150, 425, 230)], [k1, k2, k3, None]))
    before = current(photo)
    wrong = before.detections.get(x1=395)
    client = signed_in(shop.users["marketing"])
    page = client.post(f"/review/photos/{photo.public_id}/boxes/remove/", {"detection": wrong.pk}, follow=True)
    assert "Took the box out, by marketing: the photo has 3 boxes now" in page.content.decode()
    after = current(photo)
    assert after.pk != before.pk and after.reviewed_by == shop.users["marketing"]
    assert names_on(photo) == ["known-1", "known-2", "known-3"]  # the named ones keep their names
    assert DetectionRun.objects.filter(pk=before.pk, is_current=False).exists()  # the detector's run is kept
    assert photo.compliance_results.filter(scope="photo", is_current=True).exists()  # scored again
    action = ReviewAction.objects.get(kind="remove_box")
    assert action.data["box"] == {"x1": 395.0, "y1": 150.0, "x2": 425.0, "y2": 230.0}
    assert (action.data["run_before"], action.data["run_after"]) == (before.pk, after.pk)

    # A double submit: the box is gone already; nothing changes, and the reviewer is told.
    again = client.post(f"/review/photos/{photo.public_id}/boxes/remove/", {"detection": wrong.pk}, follow=True)
    assert "no longer on the photo" in again.content.decode()
    assert current(photo).pk == after.pk and ReviewAction.objects.filter(kind="remove_box").count() == 1


def test_a_missed_pack_drawn_in_is_recognised_and_fills_the_gap(shop):  # noqa: F811
    k1, _, k3 = shop.known
    photo, true = photo_with_boxes(shop, lambda t: ([t[0], t[2]], [k1, k3]))  # the middle pack was missed
    x1, y1, x2, y2 = true[1]
    client = signed_in(shop.users["admin"])
    page = client.post(f"/review/photos/{photo.public_id}/boxes/add/",
                       {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "product": ""}, follow=True).content.decode()
    assert "Added the missed box, by admin: Known 2" in page  # recognised from the catalog, not told
    assert names_on(photo) == ["known-1", "known-2", "known-3"]
    run = current(photo)
    assert run.facing_count == 3 and run.reviewed_by == shop.users["admin"]
    assert all(g["x2"] <= x1 or g["x1"] >= x2 for g in run.gaps)  # no empty stretch where the pack stands
    assert ReviewAction.objects.get(kind="add_box").data["box"]["x1"] == x1


def test_a_drawn_box_with_its_sku_is_named_as_told(shop):  # noqa: F811
    k1, k2, _ = shop.known
    photo, true = photo_with_boxes(shop, lambda t: (t[:2], [k1, k2]))
    x1, y1, x2, y2 = true[2]
    signed_in(shop.users["marketing"]).post(f"/review/photos/{photo.public_id}/boxes/add/",
                                            {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "product": shop.new.pk})
    drawn = Detection.objects.get(run=current(photo), x1=x1)
    assert (drawn.product, drawn.sku_confidence) == (shop.new, 1.0)


@pytest.mark.parametrize("corners, words", [
    ((20, 60, 24, 64), "draw it around the whole pack"),
    ((21, 61, 119, 209), "already has a box"),
    (("x", 1, 2, 3), "Draw the box on the photo"),
    ((float("nan"), 1, 200, 300), "Draw the box on the photo"),
])
def test_a_bad_drawn_box_is_a_clear_error_and_changes_nothing(shop, corners, words):  # noqa: F811
    photo, true = photo_with_boxes(shop, lambda t: (t, shop.known))
    before = current(photo)
    page = signed_in(shop.users["marketing"]).post(
        f"/review/photos/{photo.public_id}/boxes/add/", dict(zip(("x1", "y1", "x2", "y2"), corners, strict=True)),
        follow=True).content.decode()
    assert words in page
    assert current(photo).pk == before.pk and not ReviewAction.objects.exists()


def test_a_reviewer_adds_a_new_sku_while_naming_a_pack(shop):  # noqa: F811
    photo, _ = photo_with_boxes(shop, lambda t: (t, [shop.known[0], None, shop.known[2]]))
    unknown = Detection.objects.get(run=current(photo), product__isnull=True)
    brand, category = shop.known[0].brand, shop.known[0].category
    client = signed_in(shop.users["marketing"])
    form = {"detection": unknown.pk, "product": "", "new_sku": "gold-chips-150", "new_name": "Gold Chips",
            "new_pack_size": "150 g", "new_brand": brand.pk, "new_category": category.pk}
    page = client.post(f"/review/photos/{photo.public_id}/name/", form, follow=True).content.decode()
    assert "Named Gold Chips 150 g by marketing" in page
    assert names_on(photo)[1] == "gold-chips-150"
    assert ReviewAction.objects.filter(kind="create_sku", product__sku="gold-chips-150").exists()
    # The same code again, or one without a brand: said so, nothing created.
    other = Detection.objects.filter(run=current(photo)).order_by("x1").first()
    again = client.post(f"/review/photos/{photo.public_id}/name/", {**form, "detection": other.pk},
                        follow=True).content.decode()
    assert "already exists" in again
    page = client.post(f"/review/photos/{photo.public_id}/name/",
                       {**form, "detection": other.pk, "new_sku": "x-1", "new_brand": ""}, follow=True)
    assert "A new SKU needs a brand" in page.content.decode()
    assert Product.objects.filter(sku__in=["gold-chips-150", "x-1"]).count() == 1


def test_corrected_boxes_go_out_as_checked_labels_and_into_the_training_set(shop, tmp_path):  # noqa: F811
    photo, true = photo_with_boxes(shop, lambda t: ([*t, (395, 150, 425, 230)], [*shop.known, None]))
    untouched, _ = photo_with_boxes(shop, lambda t: (t, [None, None, None]))
    wrong = current(photo).detections.get(x1=395)
    signed_in(shop.users["marketing"]).post(f"/review/photos/{photo.public_id}/boxes/remove/",
                                            {"detection": wrong.pk})
    out = tmp_path / "export"
    call_command("export_labels", "--out", str(out))
    manifest = json.loads((out / "export.json").read_text())
    assert (manifest["photos"], manifest["reviewed_photos"], manifest["reviewed"]) == (2, 1, [str(photo.public_id)])
    labels = (out / "labels" / f"{photo.public_id}.txt").read_text().splitlines()
    skus = (out / "skus" / f"{photo.public_id}.txt").read_text().splitlines()
    assert len(labels) == 3 and sorted(skus) == ["known-1", "known-2", "known-3"]
    assert (out / "skus" / f"{untouched.public_id}.txt").read_text().split() == ["unknown"] * 3
    counts = import_labels(data=out, out=tmp_path / "dataset")
    assert counts["reviewed"] == 1
    sources = json.loads((tmp_path / "dataset" / "sources.json").read_text())
    assert sources["reviewed_photos"] == 1
