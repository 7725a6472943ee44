"""Stored results keep codes and parameters, so a result made in one language reads in the other;
rows stored before codes show their English as it was; every code has a Chinese sentence."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.utils import translation

from shelfai.claims import messages as claim_messages  # registers the claim-level reason codes
from shelfai.compliance import messages
from shelfai.compliance.scoring import score_photo
from shelfai.detection import messages as quality_messages
from shelfai.pipeline import messages as pipeline_messages
from shelfai.vision.types import UNKNOWN_SKU
from shelfai.visits import flag_messages
from tests.compliance.shelves import CATALOG, PLAN_ROWS, planogram, shelf_photo

CJK = re.compile(r"[\u4e00-\u9fff]")
# A shelf with a missing SKU, one on the wrong shelf, a product not in the planogram, a gap and a brand
# below its target: most deduction codes at once.
ROWS = [[("A", 2), ("G900", 2)], [("G900", 2), ("X1", 1)], PLAN_ROWS[2]]


def chinese(text: str) -> bool:
    return bool(CJK.search(text))


@pytest.fixture
def stored():
    """A photo's report as stored, scored while the worker spoke English."""
    with translation.override("en"):
        return score_photo(planogram(brand_targets={"Gold": 0.9}), CATALOG, shelf_photo(ROWS)).to_dict()


def test_a_result_scored_in_english_reads_in_chinese(stored):
    missing = next(d for d in stored["deductions"] if d["code"] == "missing_sku")
    assert missing["params"]["name"] and missing["params"]["levels"]  # the facts, not only the sentence
    with translation.override("zh-hans"):
        text = messages.deduction_message(missing)
    assert text.startswith(missing["params"]["name"]) and "缺失" in text and "第1层" in text
    with translation.override("en"):
        assert messages.deduction_message(missing) == missing["message"]  # the stored English is the same


def test_a_result_scored_in_chinese_reads_in_english(stored):
    with translation.override("zh-hans"):
        report = score_photo(planogram(brand_targets={"Gold": 0.9}), CATALOG, shelf_photo(ROWS))
        data = report.to_dict()
    assert all(not chinese(d["message"]) for d in data["deductions"])  # stored: codes + English
    with translation.override("en"):
        english = [messages.deduction_message(d) for d in data["deductions"]]
    assert english == [d["message"] for d in stored["deductions"]]
    assert any("is missing: put 2 facings on shelf 1" in text for text in english)


def test_every_deduction_of_a_result_has_a_chinese_sentence(stored):
    codes = {d["code"] for d in stored["deductions"]}
    assert {"missing_sku", "wrong_shelf", "not_in_planogram", "share_below_target"} <= codes
    with translation.override("zh-hans"):
        for deduction in messages.deductions_for_reader(stored["deductions"]):
            assert chinese(deduction["message"]), deduction


def test_not_verified_reads_in_the_readers_language():
    spec = replace(planogram(), name="Infant formula")
    unknown = [[(UNKNOWN_SKU, 6)], [(UNKNOWN_SKU, 6)], [(UNKNOWN_SKU, 6)]]
    with translation.override("en"):
        data = score_photo(spec, CATALOG, shelf_photo(unknown)).to_dict()
    assert data["not_verified"] == {"code": "too_few_recognised",
                                    "params": {"shelf": "Infant formula", "recognised": 0, "total": 18}}
    with translation.override("zh-hans"):
        reason = messages.report_not_verified_reason(data)
    assert "识别出的商品太少" in reason and "Infant formula" in reason and "18" in reason


def test_rows_stored_before_codes_show_their_english():
    old = {"code": "missing_sku", "sku": "C", "points": 4.2, "message": "Gamma Oats is missing: put 2 facings."}
    old_report = {"verified": False, "not_verified_reason": "Too few products recognised (3 of 40)."}
    with translation.override("zh-hans"):
        assert messages.deduction_message(old) == "Gamma Oats is missing: put 2 facings."
        assert messages.deductions_for_reader([old])[0]["params"] == {}
        assert messages.report_not_verified_reason(old_report) == "Too few products recognised (3 of 40)."
        assert messages.reasons_text(["Executed in 3 of 4 weeks."], []) == ["Executed in 3 of 4 weeks."]
        flag = type("Flag", (), {"code": "exif_missing", "params": {}, "reason": "No EXIF.", "severity": "warning"})
        assert flag_messages.flag_reason(flag) == "No EXIF."


def test_lists_and_counts_follow_the_language():
    with translation.override("en"):
        assert messages.shelves([3, 1, 2]) == "shelves 1, 2 and 3"
        assert messages.shelves([2]) == "shelf 2"
        assert (messages.facings(1), messages.facings(4)) == ("1 facing", "4 facings")
    with translation.override("zh-hans"):
        assert messages.shelves([3, 1, 2]) == "第1、2和3层"
        assert messages.facings(4) == "4 个排面"


# One sample of each code's parameters: every code a stored result can carry.
DEDUCTION_SAMPLES = {
    "missing_sku": {"name": "Gold 900 g", "expected": 4, "levels": [1, 2]},
    "short_facings": {"name": "Gold 900 g", "observed": 2, "expected": 4, "levels": [2], "wrong_n": 1,
                      "placed_n": 2, "wrong_levels": [3], "doubt": 1, "short": 1},
    "wrong_shelf": {"name": "Gold 900 g", "wrong_n": 2, "wrong_levels": [1], "levels": [2]},
    "wrong_order": {"level": 1, "name": "Gold 900 g", "left": "A", "right": None},
    "not_in_planogram": {"name": "Rival", "brand": "Rival", "n": 1, "levels": [2]},
    "empty_gap": {"level": 2, "width": 2, "left": "A", "right": "B"},
    "share_below_target": {"brand": "Gold", "actual": 0.33, "target": 0.5, "more": 3, "basis": "width"},
}
NOT_VERIFIED_SAMPLES = {"shelf_not_shown": {"shelf": "Snacks"}, "too_few_recognised": {
    "shelf": "", "recognised": 3, "total": 40}, "no_planogram_recognised": {}}
REASON_SAMPLES = {
    "no_display_photo": {}, "photos_too_poor": {}, "low_evidence_weight": {"weight": 0.2, "needed": 0.5},
    "no_shelf_levels": {}, "pos_needs_reviewer": {}, "display_too_few_recognised": {"named": 3, "total": 40},
    "reviewer_confirmed": {}, "reviewer_found_none": {}, "all_required_displayed": {},
    "required_facings_short": {"name": "Gold", "seen": 1, "required": 4, "eye_level": True},
    "outside_period": {"visit": "v1", "date": "2025-03-01", "start": "2025-03-03", "end": "2025-03-30"},
    "coverage": {"executed": 3, "windows": 4, "window_days": 7, "partly": 1, "unverified": 0, "payable": "750.00",
                 "fee": "1000.00"},
    "no_week_verified": {}, "photos_support": {"cap": "750.00", "claimed": "1000.00"},
    "above_fee": {"claimed": "1200.00", "fee": "1000.00"},
    "above_fee_share": {"claimed": "400.00", "days": 7, "fee": "250.00", "contracted": "1000.00"},
    "part_of_period": {"days": 7, "fee": "250.00", "contracted": "1000.00"},
    "photo_flagged": {"day": "2025-03-04", "severity": "critical", "n": 2, "weight": 0.1},
    "line_reason": {"display_type": "end_cap", "store": "S1", "reason": {"code": "no_week_verified", "params": {}}},
}
FLAG_SAMPLES = {
    "capture_time_missing": {}, "gps_missing": {},
    "capture_in_future": {"captured": "2025-03-04T10:00+00:00", "seconds": 7200},
    "capture_too_old": {"captured": "2025-02-20T10:00+00:00", "seconds": 12 * 86400},
    "capture_before_visit": {"started": "2025-03-04T10:00+00:00", "seconds": 3600},
    "capture_after_visit": {"ended": "2025-03-04T10:00+00:00", "seconds": 3600},
    "gps_far_from_store": {"distance_m": 5200.0, "allowed_m": 150.0},
    "gps_outside_geofence": {"distance_m": 445.0, "allowed_m": 150.0},
    "checkin_far_from_store": {"distance_m": 5200.0, "allowed_m": 150.0},
    "checkin_outside_geofence": {"distance_m": 445.0, "allowed_m": 150.0},
    "exif_missing": {"checkin": False}, "edited": {"software": "Adobe Photoshop"},
    "duplicate_in_visit": {"original": {"photo": "8f2c01ab", "uploaded": "2025-03-03T09:00+00:00", "store": "S1"}},
    "exact_duplicate": {"original": {"photo": "8f2c01ab", "uploaded": "2025-03-03T09:00+00:00", "store": "S1"}},
    "near_duplicate": {"original": {"photo": "8f2c01ab", "uploaded": "2025-03-03T09:00+00:00", "store": "S1"},
                       "orientation": "rotated 180°", "distance": 6, "similarity": 0.93},
    "recaptured": {"score": 0.85},
}
QUALITY_SAMPLES = {"small": {"w": 320, "h": 240}, "panorama": {"w": 4000, "h": 600}, "tilted": {"degrees": 12}}


def test_every_code_has_a_chinese_sentence():
    assert set(DEDUCTION_SAMPLES) == set(messages.DEDUCTIONS)
    assert set(NOT_VERIFIED_SAMPLES) == set(messages.NOT_VERIFIED)
    assert set(REASON_SAMPLES) == set(messages.REASONS)
    assert set(FLAG_SAMPLES) == set(flag_messages.FLAGS) == set(flag_messages.CODE_LABELS)
    assert claim_messages.SEVERITY  # imported for its registrations
    for lang, expect_chinese in (("en", False), ("zh-hans", True)):
        with translation.override(lang):
            texts = [messages.deduction_text(code, p) for code, p in DEDUCTION_SAMPLES.items()]
            texts += [messages.not_verified_text(code, p) for code, p in NOT_VERIFIED_SAMPLES.items()]
            texts += [messages.reason_text({"code": code, "params": p}) for code, p in REASON_SAMPLES.items()]
            texts += [flag_messages.flag_text(code, p, "", "warning") for code, p in FLAG_SAMPLES.items()]
            texts += [flag_messages.code_label(code) for code in flag_messages.CODE_LABELS]
            texts += [quality_messages.quality_text({"code": code, "params": QUALITY_SAMPLES.get(code, {})})
                      for code in quality_messages.QUALITY]
            texts += list(pipeline_messages.all_failure_texts().values())
            for text in texts:
                assert text and chinese(text) == expect_chinese, (lang, text)


def test_a_packet_reads_in_the_readers_language():
    packet = {"coverage": {"text": "Executed in 1 of 2 weeks; EUR 1.00 of EUR 2.00 payable.",
                           "text_code": {"code": "coverage", "params": REASON_SAMPLES["coverage"]},
                           "windows": [{"status": "executed"}, {"status": "unverified"}]},
              "recommendation": {"reasons": ["English."], "reason_codes": [{"code": "no_week_verified", "params": {}}]},
              "visits": [{"verdict": "executed", "reasons": ["All required products are displayed with their facings."],
                          "reason_codes": [{"code": "all_required_displayed", "params": {}}],
                          "checklist": {"done": 1, "total": 3, "text": "1 of 3 photographed"},
                          "photos": [{"flags": [{"code": "edited", "severity": "warning", "reason": "Edited.",
                                                 "params": {"software": "Photoshop"}}]}]}]}
    with translation.override("zh-hans"):
        shown = claim_messages.packet_for_reader(packet)
    assert shown["coverage"]["text"].startswith("4 周中有 3 周已执行")
    assert [w["label"] for w in shown["coverage"]["windows"]] == ["已执行", "没有可用照片"]
    assert shown["recommendation"]["reasons"] == ["该期间没有任何一周经照片验证为已执行。"]
    visit = shown["visits"][0]
    assert visit["reasons"] == ["所有要求的商品均已按排面数陈列。"] and visit["checklist"]["text"] == "已拍 1 / 3"
    assert visit["verdict_label"] == "已执行"
    flag = visit["photos"][0]["flags"][0]
    assert "Photoshop" in flag["reason"] and chinese(flag["reason"]) and flag["label"] == "经过编辑"
    assert packet["visits"][0]["reasons"] == ["All required products are displayed with their facings."]  # a copy
