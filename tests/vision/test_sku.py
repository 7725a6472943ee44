"""SKU recognition: known packs are named, look-alikes and strangers are "unknown"."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from shelfai.vision.offline.packart import reference_shot
from shelfai.vision.offline.synthetic import Distractors, RenderOptions, random_catalog, random_layout, render_shelf
from shelfai.vision.sku import SkuCatalog, trim_background
from shelfai.vision.types import UNKNOWN_SKU, Box

PHOTO = RenderOptions(
    size=(1280, 960), perspective=0.04, lighting=0.3, blur_sigma=0.8, noise_sigma=3.0, occlusion_rate=0.0
)


@pytest.fixture(scope="module")
def shop():
    """A 16-SKU catalog in 4 brands (flavour and size siblings), and its recogniser."""
    synthetic = random_catalog(16, 4, np.random.default_rng(21))
    return synthetic, SkuCatalog.build(synthetic.references)


def _detector_boxes(scene, rng, noise=0.05):
    """Truth boxes with every edge moved by up to 5% of the box, as a detector would."""
    boxes = []
    for f in scene.facings:
        dx, dy = rng.uniform(-noise, noise, 2) * f.box.width, rng.uniform(-noise, noise, 2) * f.box.height
        boxes.append(Box(f.box.x1 + dx[0], f.box.y1 + dy[0], f.box.x2 + dx[1], f.box.y2 + dy[1]))
    return boxes


def _scene(synthetic, seed, **options):
    rng = np.random.default_rng(seed)
    distractors = Distractors.from_catalog(synthetic, rng)
    layout = random_layout(synthetic.codes, rng, n_rows=5)
    opts = dataclasses.replace(PHOTO, **options)
    scene = render_shelf(layout, synthetic.pack_images, options=opts, rng=rng, distractors=distractors)
    return scene, _detector_boxes(scene, rng)


def test_known_packs_on_a_shelf_photo_are_named(shop):
    synthetic, recogniser = shop
    scene, boxes = _scene(synthetic, seed=1)
    answers = recogniser.identify(scene.image, boxes)
    named = sum(sku == f.sku for (sku, _), f in zip(answers, scene.facings, strict=True))
    confused = sum(sku not in (f.sku, UNKNOWN_SKU) for (sku, _), f in zip(answers, scene.facings, strict=True))
    assert len(answers) == len(scene.facings) >= 60
    assert named >= 0.85 * len(answers)
    assert confused <= 0.02 * len(answers)  # when unsure it says unknown, it does not guess


def test_an_unlisted_flavour_of_a_listed_brand_is_unknown_not_its_sibling(shop):
    synthetic, recogniser = shop
    scene, boxes = _scene(synthetic, seed=2, lookalike_rate=1.0)
    answers = recogniser.identify(scene.image, boxes)
    unknown = sum(sku == UNKNOWN_SKU for sku, _ in answers)
    assert set(scene.facing_kinds) == {"lookalike"}
    assert unknown >= 0.8 * len(answers)


def test_a_product_of_another_brand_is_unknown(shop):
    synthetic, recogniser = shop
    scene, boxes = _scene(synthetic, seed=3, unknown_rate=1.0)
    answers = recogniser.identify(scene.image, boxes)
    assert sum(sku == UNKNOWN_SKU for sku, _ in answers) >= 0.95 * len(answers)


def test_confidence_is_higher_for_right_answers_than_for_wrong_ones(shop):
    synthetic, recogniser = shop
    scene, boxes = _scene(synthetic, seed=4, lookalike_rate=0.3)
    answers = recogniser.identify(scene.image, boxes)
    assert all(0.0 <= confidence <= 1.0 for _, confidence in answers)
    right = [c for (sku, c), f in zip(answers, scene.facings, strict=True) if sku == f.sku and sku != UNKNOWN_SKU]
    wrong = [c for (sku, c), f in zip(answers, scene.facings, strict=True) if sku != f.sku]
    assert right and np.mean(right) > 0.75
    assert not wrong or np.mean(wrong) < np.mean(right)


def test_adding_a_sku_is_uploading_its_pack_shots(shop):
    synthetic, built_with_it = shop
    newcomer = synthetic.codes[5]
    without = SkuCatalog.build({c: r for c, r in synthetic.references.items() if c != newcomer})
    scene, boxes = _scene(synthetic, seed=5)
    theirs = [i for i, f in enumerate(scene.facings) if f.sku == newcomer]
    assert theirs, "the scene should show the new SKU"
    before = without.identify(scene.image, [boxes[i] for i in theirs])
    assert sum(sku == newcomer for sku, _ in before) == 0
    with_newcomer = without.with_sku(newcomer, synthetic.references[newcomer])
    after = with_newcomer.identify(scene.image, [boxes[i] for i in theirs])
    rebuilt = built_with_it.identify(scene.image, [boxes[i] for i in theirs])
    named_after = sum(sku == newcomer for sku, _ in after)
    assert named_after >= 0.7 * len(theirs)
    assert named_after >= sum(sku == newcomer for sku, _ in rebuilt) - 1  # as good as a full rebuild
    assert newcomer not in without.codes  # the original catalog is left as it was


def test_a_saved_catalog_answers_like_the_original(shop):
    synthetic, recogniser = shop
    scene, boxes = _scene(synthetic, seed=6)
    expected = [sku for sku, _ in recogniser.identify(scene.image, boxes)]
    restored = SkuCatalog.from_bytes(recogniser.to_bytes())
    pickled = pickle.loads(pickle.dumps(recogniser))
    same = sum(a == b for a, (b, _) in zip(expected, restored.identify(scene.image, boxes), strict=True))
    assert same >= len(expected) - 1  # float16 storage may flip a facing sitting on the threshold
    assert [sku for sku, _ in pickled.identify(scene.image, boxes)] == expected


def test_a_damaged_catalog_file_says_to_rebuild(shop):
    with pytest.raises(ValueError, match="rebuild"):
        SkuCatalog.from_bytes(b"not a catalog at all")


def test_a_catalog_needs_reference_images():
    with pytest.raises(ValueError, match="reference image"):
        SkuCatalog.build({"SKU-1": []})


def test_odd_boxes_and_images_do_not_crash(shop):
    _, recogniser = shop
    image = np.full((200, 300, 3), 128, np.uint8)
    boxes = [Box(-50, -50, 40, 60), Box(290, 190, 400, 400), Box(10, 10, 10, 10)]
    answers = recogniser.identify(image, boxes)
    assert len(answers) == 3 and all(sku == UNKNOWN_SKU for sku, _ in answers)
    assert recogniser.identify(image, []) == []
    assert len(recogniser.identify(image[:, :, 0], boxes[:1])) == 1  # a greyscale photo


def test_pack_shots_are_trimmed_to_the_pack(shop):
    synthetic, _ = shop
    art = synthetic.pack_images[synthetic.codes[0]]
    shot = reference_shot(art, np.random.default_rng(0))
    trimmed = trim_background(shot)
    assert trimmed.shape[0] < shot.shape[0] and trimmed.shape[1] < shot.shape[1]
    assert trimmed.shape[1] / trimmed.shape[0] == pytest.approx(art.shape[1] / art.shape[0], rel=0.12)
