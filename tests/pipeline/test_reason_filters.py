"""The template filters render stored codes in the viewer's language."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation


def test_the_filters_render_codes_in_the_active_language():
    page = Template("{% load shelfai_reasons %}{{ d|deduction_text }}|{{ r|not_verified_text }}|"
                    "{{ reasons|reason_list|join:' ' }}")
    context = Context({
        "d": {"code": "empty_gap", "params": {"level": 2, "width": 1, "left": None, "right": None}},
        "r": {"not_verified": {"code": "shelf_not_shown", "params": {"shelf": ""}}},
        "reasons": [{"code": "no_display_photo", "params": {}}, "An old English reason."],
    })
    with translation.override("zh-hans"):
        text = page.render(context)
    assert text.startswith("第2层：有约 1 个排面的空位") and "照片中没有陈列图中的货架" in text
    assert "本次拜访没有拍摄该陈列的照片。 An old English reason." in text
    with translation.override("en"):
        assert page.render(context).startswith("Shelf 2: empty space for about 1 facing — restock")
