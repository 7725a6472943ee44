"""A visit's checklist: every photo is taken for a task, and a task decides what its photos prove.

Photos go through the real upload API and the real scoring stage; only the detector is replaced, by
writing the detection run it would have stored (which products where), so each test says exactly
what the shelf showed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck, PlacementRequirement
from shelfai.compliance.models import ComplianceResult
from shelfai.detection.models import Detection, DetectionRun
from shelfai.pipeline import stages, status
from shelfai.pipeline.status import ANALYSIS
from shelfai.stores.models import Brand, Category, Planogram, PlanogramFacing, PlanogramShelf, Product, ShareTarget
from shelfai.visits.models import Photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Uploads are handed to analysis; here the test plays the detector, so nothing is sent."""
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, ids: status.mark_sent(stage, ids, sent=True))


@pytest.fixture
def store_plan(world):
    """At s1 today: a Formula bay and a Snacks bay (two shelves each) and a paid end-cap of formula."""
    today = timezone.localdate()
    gold_brand = Brand.objects.create(name="Gold", is_own=True)
    crisp_brand = Brand.objects.create(name="Crispo", share_of_shelf_target=Decimal("0.6"))
    formula, snacks = Category.objects.create(name="Infant formula"), Category.objects.create(name="Snacks")
    products = {}
    for sku, brand, category in [("g900", gold_brand, formula), ("g400", gold_brand, formula),
                                 ("crisp-salt", crisp_brand, snacks), ("crisp-paprika", crisp_brand, snacks)]:
        products[sku] = Product.objects.create(sku=sku, name=sku.title(), brand=brand, category=category)
    plans = {}
    for name, category, skus in [("Formula bay", formula, ["g900", "g400"]),
                                 ("Snacks bay", snacks, ["crisp-salt", "crisp-paprika"])]:
        plan = Planogram.objects.create(name=name, category=category, store=world.store,
                                        effective_from=today - timedelta(days=10))
        for level in (1, 2):
            shelf = PlanogramShelf.objects.create(planogram=plan, level=level)
            for position, sku in enumerate(skus, 1):
                PlanogramFacing.objects.create(shelf=shelf, product=products[sku], position=position, facings=3)
        plans[name] = plan
    campaign = Campaign.objects.create(name="Winter formula", brand=gold_brand, starts_on=today - timedelta(days=3),
                                       ends_on=today + timedelta(days=20))
    end_cap = PaidPlacement.objects.create(campaign=campaign, store=world.store,
                                           display_type=PaidPlacement.DisplayType.END_CAP,
                                           starts_on=campaign.starts_on, ends_on=campaign.ends_on, fee=Decimal("900"))
    PlacementRequirement.objects.create(placement=end_cap, product=products["g900"], min_facings=4)
    world.products, world.plans, world.end_cap = products, plans, end_cap
    world.formula, world.snacks, world.crisp_brand = formula, snacks, crisp_brand
    return world


@pytest.fixture
def rep(store_plan, api_for):
    return api_for(store_plan.users["rep"])


def open_visit(client, store="s1") -> dict:
    response = client.post("/api/visits/", {"store": store}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def task_id(visit: dict, title_start: str) -> int:
    return next(t["id"] for t in visit["tasks"] if t["title"].startswith(title_start))


def send_photo(client, visit: dict, make_jpeg, *, task=None, seed=1, expect=202):
    data = {"photos": [SimpleUploadedFile("p.jpg", make_jpeg(seed=seed))], "client_upload_ids": [f"u{seed}"]}
    if task is not None:
        data["task"] = task
    response = client.post(f"/api/visits/{visit['id']}/photos/", data, format="multipart")
    assert response.status_code == expect, response.content
    return response


def shows(photo_id: str, rows: dict[int, list[tuple[str, int]]]) -> Photo:
    """The detector found these products (sku, count) on these shelf levels; then scoring runs."""
    photo = Photo.objects.get(public_id=photo_id)
    token = status.claim(ANALYSIS, photo.pk)
    run = DetectionRun.objects.create(photo=photo, detector_sha256="d" * 64,
                                      facing_count=sum(n for row in rows.values() for _, n in row),
                                      rows=[{"level": lvl, "y1": 100 * lvl, "y2": 100 * lvl + 90, "x1": 0,
                                             "x2": 600} for lvl in rows])
    for level, row in rows.items():
        x = 0.0
        for sku, count in row:
            product = Product.objects.get(sku=sku)
            for _ in range(count):
                Detection.objects.create(run=run, x1=x, y1=100 * level, x2=x + 40, y2=100 * level + 90,
                                         confidence=0.9, product=product, sku_confidence=0.95, shelf_level=level)
                x += 42
    assert status.finish_analysis(photo.pk, token, retake_reason=None)
    assert stages.score(photo.pk) == Photo.Status.DONE
    photo.refresh_from_db()
    return photo


def visit_now(client, visit: dict) -> dict:
    return client.get(f"/api/visits/{visit['id']}/").json()


FORMULA_SHELF = {1: [("g900", 3), ("g400", 3)], 2: [("g900", 3), ("g400", 3)]}
SNACK_SHELF = {1: [("crisp-salt", 3), ("crisp-paprika", 3)], 2: [("crisp-salt", 3), ("crisp-paprika", 3)]}


def test_a_visit_opens_with_a_task_per_planogram_and_per_paid_display(rep):
    visit = open_visit(rep)
    kinds = [(t["kind"], t["title"]) for t in visit["tasks"]]
    assert kinds == [("shelf", "Infant formula shelf"), ("shelf", "Snacks shelf"),
                     ("display", "End-cap — Winter formula")]
    display = visit["tasks"][2]
    assert "G900 ×4" in display["instructions"] and display["placement"] is not None
    assert not any(t["done"] for t in visit["tasks"])
    assert visit["checklist"]["text"] == "0 of 3 photographed" and visit["checklist"]["note"] == ""


def test_a_store_without_a_planogram_says_so_and_still_keeps_the_photos(store_plan, api_for, make_jpeg):
    other = api_for(store_plan.users["other_rep"])
    visit = open_visit(other, store="s2")
    assert visit["tasks"] == []
    assert "No planogram is in force at FreshCo Hilltop" in visit["checklist"]["note"]
    assert "checked for authenticity" in visit["checklist"]["note"]
    send_photo(other, visit, make_jpeg)
    assert Photo.objects.filter(visit__public_id=visit["id"]).count() == 1


def test_a_photo_is_scored_only_against_its_tasks_planogram(rep, make_jpeg):
    visit = open_visit(rep)
    body = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Snacks")).json()[0]
    assert body["task"]["matched_by"] == "task" and body["task"]["title"] == "Snacks shelf"
    shows(body["id"], SNACK_SHELF)
    result = ComplianceResult.objects.get(photo__public_id=body["id"], is_current=True)
    assert result.planogram.name == "Snacks bay" and float(result.score) == 100.0
    visit_results = ComplianceResult.objects.filter(visit__public_id=visit["id"], scope="visit", is_current=True)
    assert [r.planogram.name for r in visit_results] == ["Snacks bay"]  # the formula bay is not "all missing"
    now = visit_now(rep, visit)
    assert now["checklist"]["text"] == "1 of 3 photographed"
    assert [t["done"] for t in now["tasks"]] == [False, True, False]


def test_a_photo_sent_without_a_task_is_matched_to_the_planogram_it_shows_and_says_so(rep, make_jpeg):
    visit = open_visit(rep)
    body = send_photo(rep, visit, make_jpeg).json()[0]
    assert body["task"] == {"id": None, "title": "", "matched_by": "best_match", "retake": False}
    shows(body["id"], FORMULA_SHELF)
    detail = rep.get(f"/api/photos/{body['id']}/").json()
    assert detail["task"]["matched_by"] == "best_match" and detail["task"]["title"] == "Infant formula shelf"
    assert detail["result"]["planogram"] == "Formula bay" and detail["result"]["score"] == 100.0
    assert visit_now(rep, visit)["tasks"][0]["done"] is True


def test_an_unrecognised_photo_without_a_task_is_not_verified_against_any_shelf(rep, make_jpeg):
    visit = open_visit(rep)
    body = send_photo(rep, visit, make_jpeg).json()[0]
    photo = Photo.objects.get(public_id=body["id"])
    token = status.claim(ANALYSIS, photo.pk)
    run = DetectionRun.objects.create(photo=photo, detector_sha256="d" * 64, facing_count=8,
                                      rows=[{"level": 1, "y1": 100, "y2": 190, "x1": 0, "x2": 600}])
    for i in range(8):
        Detection.objects.create(run=run, x1=i * 42, y1=100, x2=i * 42 + 40, y2=190, confidence=0.9, shelf_level=1)
    status.finish_analysis(photo.pk, token, retake_reason=None)
    stages.score(photo.pk)
    detail = rep.get(f"/api/photos/{body['id']}/").json()
    assert detail["task"]["matched_by"] == "none"
    assert detail["result"]["verified"] is False and detail["result"]["score"] is None
    assert not any(f.startswith("Add") or "missing" in f for f in detail["result"]["fixes"])


def test_shelf_photos_never_execute_a_display_only_its_own_photos_do(rep, make_jpeg, store_plan):
    visit = open_visit(rep)
    # The formula shelf holds six G900: enough for the end-cap, but it is the normal shelf.
    shelf = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Infant formula"), seed=1).json()[0]
    shows(shelf["id"], FORMULA_SHELF)
    check = PlacementCheck.objects.get(placement=store_plan.end_cap, is_current=True)
    assert check.verdict == "insufficient_evidence"
    assert check.reasons == ["No photo of the display was taken on this visit."]
    display = send_photo(rep, visit, make_jpeg, task=task_id(visit, "End-cap"), seed=2).json()[0]
    shows(display["id"], {1: [("g400", 2)], 2: [("g400", 2)]})  # the end-cap holds the wrong product
    check = PlacementCheck.objects.get(placement=store_plan.end_cap, is_current=True)
    assert check.verdict == "not_executed"
    assert not ComplianceResult.objects.filter(photo__public_id=display["id"], planogram__isnull=False).exists()
    retake = send_photo(rep, visit, make_jpeg, task=task_id(visit, "End-cap"), seed=3).json()[0]
    assert retake["task"]["retake"] is True
    shows(retake["id"], {1: [("g900", 4)], 2: [("g900", 2)]})
    assert PlacementCheck.objects.get(placement=store_plan.end_cap, is_current=True).verdict == "executed"
    assert visit_now(rep, visit)["checklist"]["done"] == 2


def test_a_task_of_another_visit_is_not_found_and_nothing_is_stored(rep, make_jpeg, store_plan, api_for):
    mine = open_visit(rep)
    other_rep = api_for(store_plan.users["other_rep"])
    theirs = other_rep.post("/api/visits/", {"store": "s2"}, format="json").json()
    rep.post(f"/api/visits/{mine['id']}/end/")  # else the check-in below resumes today's open visit
    second = rep.post("/api/visits/", {"store": "s1", "client_visit_id": "second"}, format="json").json()
    assert second["id"] != mine["id"]
    foreign = task_id(second, "Snacks")
    for bad in (foreign, 999999, "shelf"):
        response = send_photo(rep, mine, make_jpeg, task=bad, expect=404)
        assert "not on this visit's checklist" in response.json()["detail"]
    assert Photo.objects.count() == 0
    assert theirs["tasks"] == []


def test_a_retake_of_a_done_task_is_kept_and_marked(rep, make_jpeg):
    visit = open_visit(rep)
    snacks = task_id(visit, "Snacks")
    first = send_photo(rep, visit, make_jpeg, task=snacks, seed=1).json()[0]
    second = send_photo(rep, visit, make_jpeg, task=snacks, seed=2).json()[0]
    assert first["task"]["retake"] is False and second["task"]["retake"] is True
    task = next(t for t in visit_now(rep, visit)["tasks"] if t["id"] == snacks)
    assert task["photos"] == [first["id"], second["id"]]


def test_a_photo_needing_a_retake_leaves_its_task_undone(rep, make_jpeg):
    visit = open_visit(rep)
    body = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Snacks")).json()[0]
    photo = Photo.objects.get(public_id=body["id"])
    token = status.claim(ANALYSIS, photo.pk)
    status.finish_analysis(photo.pk, token, retake_reason="The photo is blurred.")
    task = next(t for t in visit_now(rep, visit)["tasks"] if t["title"] == "Snacks shelf")
    assert task["done"] is False and task["retake_needed"] is True


def test_share_of_shelf_targets_apply_only_to_their_own_category(rep, make_jpeg, store_plan):
    # Crispo's general 60 % target is a snack brand's: the formula bay is never held to it.
    visit = open_visit(rep)
    body = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Infant formula")).json()[0]
    shows(body["id"], FORMULA_SHELF)
    result = ComplianceResult.objects.get(photo__public_id=body["id"], is_current=True)
    assert [b["brand"] for b in result.share_of_shelf["brands"] if b.get("target")] == []
    assert not [d for d in result.deductions if "Crispo" in d["message"]]
    # On the snacks bay a category target replaces the general one.
    ShareTarget.objects.create(brand=store_plan.crisp_brand, category=store_plan.snacks, target=Decimal("0.9"))
    snack = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Snacks"), seed=2).json()[0]
    shows(snack["id"], {1: [("crisp-salt", 3), ("crisp-paprika", 3)], 2: [("g900", 6)]})
    result = ComplianceResult.objects.get(photo__public_id=snack["id"], is_current=True)
    targets = {b["brand"]: b["target"] for b in result.share_of_shelf["brands"] if b.get("target")}
    assert targets == {"Crispo": 0.9}


def test_finance_sees_only_the_displays_photos_and_how_complete_the_visit_was(rep, make_jpeg, store_plan):
    from shelfai.claims import services

    visit = open_visit(rep)
    shelf = send_photo(rep, visit, make_jpeg, task=task_id(visit, "Infant formula"), seed=1).json()[0]
    shows(shelf["id"], FORMULA_SHELF)
    display = send_photo(rep, visit, make_jpeg, task=task_id(visit, "End-cap"), seed=2).json()[0]
    shows(display["id"], {1: [("g900", 4)], 2: [("g900", 1)]})
    line = services.LineInput(placement=store_plan.end_cap, period_start=store_plan.end_cap.starts_on,
                              period_end=timezone.localdate(), amount=Decimal("100"))
    claim = services.claim_submit(submitted_by=store_plan.users["rep"], lines=[line])
    packet = claim.lines.get().evidence
    [seen] = packet["visits"]
    assert [p["id"] for p in seen["photos"]] == [display["id"]]  # the shelf photo is not the display's evidence
    assert seen["verdict"] == "executed" and seen["facings_by_sku"] == {"g900": 5}
    assert seen["recognised"] == {"named": 5, "total": 5}
    assert seen["checklist"]["text"] == "2 of 3 photographed"


def test_marketing_sees_each_shelf_of_the_visit_with_its_own_score(rep, make_jpeg, store_plan, client):
    visit = open_visit(rep)
    shows(send_photo(rep, visit, make_jpeg, task=task_id(visit, "Infant formula"), seed=1).json()[0]["id"],
          FORMULA_SHELF)
    shows(send_photo(rep, visit, make_jpeg, task=task_id(visit, "Snacks"), seed=2).json()[0]["id"],
          {1: [("crisp-salt", 3), ("crisp-paprika", 3)], 2: [("crisp-salt", 3)]})
    client.force_login(store_plan.users["marketing"])
    page = client.get(f"/analytics/visits/{visit['id']}/").content.decode()
    import re
    shelves = re.search(r'<ul class="shelf-results" id="shelf-results">(.*?)</ul>', page, re.S).group(1)
    assert "Infant formula</strong> (Formula bay):\n      100.0 / 100" in shelves
    assert "Snacks</strong> (Snacks bay)" in shelves and "100.0" not in shelves.split("Snacks</strong>")[1]
    assert "12 of 12 products recognised" in shelves
    assert 'id="visit-checklist">2 of 3 photographed<' in page
