"""Exports are for people in a spreadsheet: headers and sheet names in the user's language, the same columns
in the same order, and values that stay numbers whatever the language."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook

from tests.analytics.factories import scored_visit
from tests.analytics.test_exports import read_csv

TODAY = timezone.localdate()


def test_a_chinese_users_export_has_chinese_headers_in_the_english_order(marketing_client, world, products):
    scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=64.5,
                 observations={products["gold900"]: (1, 2, False)})
    english = read_csv(marketing_client.get("/analytics/", {"export": "worst_stores", "format": "csv"}))
    world.users["marketing"].language = "zh-hans"
    world.users["marketing"].save(update_fields=["language"])

    chinese = read_csv(marketing_client.get("/analytics/", {"export": "worst_stores", "format": "csv"}))
    assert english[0][:5] == ["Store", "Code", "Region", "Retailer", "Average score"]
    assert chinese[0][:5] == ["门店", "编码", "区域", "零售商", "平均得分"]
    assert len(chinese[0]) == len(english[0]) and chinese[1] == english[1]  # same columns, same machine values
    assert float(chinese[1][4]) == 64.5

    workbook = load_workbook(io.BytesIO(marketing_client.get(
        "/analytics/", {"export": "worst_stores", "format": "xlsx"}).content))
    assert workbook.sheetnames == ["得分最低的门店", "筛选条件"]
    assert workbook.active["A1"].value == "门店" and workbook.active["E2"].value == 64.5
