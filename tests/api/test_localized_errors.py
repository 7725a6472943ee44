"""API answers follow the request's Accept-Language: a Chinese client reads Chinese details and
reasons, an English one English; codes and parameters come with them either way."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from shelfai.compliance.models import ComplianceResult
from shelfai.compliance.scoring import score_photo
from tests.claims.conftest import visit_on
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram, shelf_photo

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_an_error_detail_is_chinese_for_a_chinese_client_and_english_otherwise(world, api_for):
    client = api_for(world.users["rep"])
    chinese = client.get("/api/no-such-thing/", **ZH).json()["detail"]
    english = client.get("/api/no-such-thing/").json()["detail"]
    assert "没有 API 接口" in chinese and "/api/schema/" in chinese
    assert english.startswith("No API endpoint at /api/no-such-thing/")


def test_a_refused_claim_line_is_explained_in_the_clients_language(world, api_for):
    body = {"lines": [{"placement": 999, "period_start": "2025-03-01", "period_end": "2025-03-07", "amount": "10"}]}
    client = api_for(world.users["rep"])
    chinese = client.post("/api/claims/", body, format="json", **ZH)
    english = client.post("/api/claims/", body, format="json")
    assert chinese.status_code == english.status_code == 400
    assert "分配给您的门店中没有付费陈列 999" in chinese.json()["detail"]
    assert "No placement 999 at a store assigned to you." in english.json()["detail"]


def test_deductions_are_rendered_for_the_reader_with_their_code_and_params(world, api_for):
    visit = visit_on(world, date.today())
    with translation.override("en"):  # scored by an English-speaking worker
        report = score_photo(planogram(), CATALOG, shelf_photo([[("A", 2), ("B", 2)], PLAN_ROWS[1], PLAN_ROWS[2]]))
    data = report.to_dict()
    ComplianceResult.objects.create(scope="visit", visit=visit, deductions=data["deductions"], report=data,
                                    score=report.score, confidence=report.confidence)
    url = f"/api/visits/{visit.public_id}/results/"
    client = api_for(world.users["rep"])
    [chinese] = client.get(url, **ZH).json()["results"]
    [english] = client.get(url).json()["results"]
    [missing] = [d for d in chinese["deductions"] if d["code"] == "missing_sku"]
    assert "缺失" in missing["message"] and missing["params"]["expected"] == 2 and missing["sku"] == "C"
    [same] = [d for d in english["deductions"] if d["code"] == "missing_sku"]
    assert same["message"].startswith("Gamma Oats 500 g is missing: put 2 facings on shelf 1")


def test_a_retake_reads_in_the_reps_language_with_its_codes(world, api_for, make_jpeg):
    from shelfai.detection.models import DetectionRun
    from shelfai.vision.quality import REASONS
    from tests.claims.conftest import photo_in

    visit = visit_on(world, date.today())
    photo = photo_in(visit, make_jpeg(seed=3), status="retake")
    english = REASONS["tilted"].format(degrees=12)
    type(photo).objects.filter(pk=photo.pk).update(status_reason=english)
    DetectionRun.objects.create(photo=photo, detector_sha256="e" * 64, quality_ok=False, quality_reasons=[english],
                                quality_codes=[{"code": "tilted", "params": {"degrees": 12}}])
    client = api_for(world.users["rep"])
    chinese = client.get(f"/api/photos/{photo.public_id}/", **ZH).json()
    assert chinese["status_reason"].startswith("照片倾斜约 12°")
    assert chinese["result"]["quality_reasons"] == [chinese["status_reason"]]
    assert chinese["result"]["quality_codes"] == [{"code": "tilted", "params": {"degrees": 12}}]
    assert client.get(f"/api/photos/{photo.public_id}/").json()["status_reason"] == english


def test_a_token_client_reads_its_profiles_language_and_an_unset_profile_follows_the_browser(world, api_for):
    rep = world.users["rep"]
    rep.language = "zh-hans"
    rep.save(update_fields=["language"])
    body = {"lines": [{"placement": 999, "period_start": "2025-03-01", "period_end": "2025-03-07", "amount": "10"}]}
    answer = api_for(rep).post("/api/claims/", body, format="json")  # no Accept-Language: the profile's
    assert answer.status_code == 400 and "分配给您的门店中没有付费陈列 999" in answer.json()["detail"]
    assert answer["Content-Language"] == "zh-hans"
    rep.language = ""
    rep.save(update_fields=["language"])
    english = api_for(rep).post("/api/claims/", body, format="json")
    assert "No placement 999 at a store assigned to you." in english.json()["detail"]
