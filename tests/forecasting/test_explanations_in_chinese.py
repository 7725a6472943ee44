"""A plan's explanation reads in the reader's language, whichever language it was made in."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.utils import translation

from forecasting import explanations
from forecasting.models import InventoryPlan
from forecasting.notes import model_note
from forecasting.planning import EffectEstimate, SeriesScenario, campaign_uplift, inventory_plan
from tests.forecasting.test_api import fitted, planner  # noqa: F401  (fixtures)


def plan(**kwargs):
    args = {"yhat": np.full(10, 10.0), "yhat_lower": np.full(10, 10.0 - 2 * 1.2816),
            "yhat_upper": np.full(10, 10.0 + 2 * 1.2816), "lead_time": 4, "review_period": 3,
            "service_level": 0.95}
    return inventory_plan(**{**args, **kwargs})


def test_a_reorder_point_made_in_english_reads_in_chinese():
    with translation.override("en"):
        result = plan(case_size=6)
    saved = InventoryPlan(explanation=result.explanation, explanation_params=result.explanation_params)

    with translation.override("zh-hans"):
        text = saved.explanation_text
    assert "补货点为 47" in text and "每箱 6 件" in text
    assert not any(word in text for word in ("lead time", "reorder", "units"))
    assert "reorder point is 47" in saved.explanation


def test_a_plan_saved_before_explanations_had_parameters_keeps_its_text():
    old = InventoryPlan(explanation="Expected demand over the 4-day lead time is 40 units.")
    with translation.override("zh-hans"):
        assert old.explanation_text == "Expected demand over the 4-day lead time is 40 units."


def test_an_uplift_in_yuan_reads_in_chinese_with_the_yuan_sign():
    series = [SeriesScenario(base=np.log1p(np.full(14, 20.0)), scenario={"promo": np.ones(14)}, reference={},
                             effects={"promo": EffectEstimate(coef=0.3, se=0.05)}, unit_price=Decimal("6.50"))]
    with translation.override("zh-hans"):
        result = campaign_uplift(series=series, discount_pct=None, fee=Decimal("3000"), comparison="planned",
                                 currency="CNY")
    assert result.explanation.startswith("不做活动：280 件；按计划执行：")
    assert "费用为 ¥3,000.00。" in result.explanation and "投资回报率" in result.explanation
    with translation.override("en"):
        english = explanations.render(explanations.UPLIFT, result.explanation_params)
    assert english.startswith("Without the campaign: 280 units; as planned:") and "CNY 3,000.00" in english


def test_a_forecast_note_reads_in_chinese_sentence_by_sentence():
    note = ("prophet chosen: lowest WAPE over 3 validation origin(s) of 14 periods in the training data "
            "(prophet 0.210, seasonal_naive 0.300). 80% interval calibrated on its errors over the last 42 "
            "validation periods. Something a library said.")
    with translation.override("zh-hans"):
        text = model_note(note)
    assert text.startswith("选用 prophet：在训练数据的 3 个验证起点、每次 14 期上 WAPE 最低（prophet 0.210, ")
    assert "80% 区间已按其在最近 42 个验证期上的误差校准。" in text
    assert text.endswith("Something a library said.")  # an unknown sentence stays as it was
    with translation.override("en"):
        assert model_note(note) == note


def test_why_a_model_was_passed_over_reads_in_chinese_too():
    note = ("prophet chosen: lowest WAPE over 3 validation origin(s) of 14 periods in the training data "
            "(prophet 0.210). Passed over now: pooled (no in-stock sales to set a level). Prophet's forecast not "
            "used (level jump: mean forecast 12.5 is 3.4x the recent median 3.6): seasonal naive.")
    with translation.override("zh-hans"):
        text = model_note(note)
    assert "本次未采用：pooled（没有有货时的销量可用来确定水平）。" in text
    assert "水平跳升：平均预测 12.5 是近期中位数 3.6 的 3.4 倍" in text


def test_a_sales_file_problem_reads_in_chinese():
    from forecasting.csv_import import parse_sales_csv

    with translation.override("zh-hans"):
        parsed = parse_sales_csv(b"date,store,sku,units\n2026-01-05,s1,nuts-200,-3\n")
    assert parsed.errors == ["第 2 行：units 为负数（-3）；销量文件记录的是售出数量，不是退货。"]


@pytest.mark.django_db
def test_the_api_explains_a_plan_in_the_requests_language_and_stores_english(fitted, api_for):  # noqa: F811
    payload = {"store": "s1", "sku": "nuts-200", "lead_time_days": 3, "service_level": 0.95, "case_size": 12}
    client = api_for(fitted.users["admin"])
    # LocaleMiddleware leaves the request's language active in this thread: override restores English after.
    with translation.override("en"):
        response = client.post("/api/forecasting/inventory-plans/", payload, format="json",
                               HTTP_ACCEPT_LANGUAGE="zh-hans")

    body = response.json()
    assert response.status_code == 201
    assert "3 天补货周期内的预计需求" in body["explanation"]
    assert body["explanation_code"] == "inventory_plan" and body["explanation_params"]["case_size"] == 12
    assert "3-day lead time" in InventoryPlan.objects.get(pk=body["id"]).explanation
