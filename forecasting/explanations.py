"""What a plan's explanation says, in the language active when it is read.

The planning maths (forecasting.planning, forecasting.measured) return the explanation's figures as a code
and parameters, plain numbers and amounts, never only the sentence: a reorder point saved by a planner
reading English reads in Chinese for a colleague who reads Chinese. This module turns a code and its
parameters into the sentence with gettext; each sentence is one translatable string, so word order is the
translator's. Numbers, percentages and money go through shelfai.formats, in the reader's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from shelfai import formats

INVENTORY = "inventory_plan"
UPLIFT = "campaign_uplift"
MEASURED = "campaign_measured"


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + formats.number(value)


def _signed_percent(value: float) -> str:
    return ("+" if value >= 0 else "") + formats.percent(value)


def inventory(p: Mapping[str, Any]) -> str:
    figures = {
        "lead_time": p["lead_time"],
        "demand": formats.number(p["lead_demand"]),
        "sigma": formats.number(p["lead_sigma"], 1),
        "service": formats.percent(p["service_level"]),
        "z": formats.number(p["z"], 2),
        "safety": formats.number(p["safety"]),
        "reorder": formats.number(p["reorder_point"]),
        "review": p["review_period"],
        "cover": formats.number(p["order_up_to"]),
        "on_hand": formats.number(p["on_hand"]),
        "on_order": formats.number(p["on_order"]),
        "quantity": p["quantity"],
        "cases": p["quantity"] // max(p["case_size"], 1),
        "case_size": p["case_size"],
    }
    sentences = [
        # Translators: sigma is the standard deviation of demand over the lead time.
        _("Expected demand over the %(lead_time)s-day lead time is %(demand)s units (sigma %(sigma)s).") % figures,
        _("A %(service)s service level needs z=%(z)s, so safety stock is %(safety)s units and the reorder point "
          "is %(reorder)s.") % figures,
    ]
    if p["case_size"] > 1:
        sentences.append(
            _("Covering lead time plus the %(review)s-day review period needs %(cover)s units; with %(on_hand)s "
              "on hand and %(on_order)s on order, order %(quantity)s units (%(cases)s cases of %(case_size)s).")
            % figures
        )
    else:
        sentences.append(
            _("Covering lead time plus the %(review)s-day review period needs %(cover)s units; with %(on_hand)s "
              "on hand and %(on_order)s on order, order %(quantity)s units.") % figures
        )
    return _join(sentences)


def _comparison_labels(comparison: str) -> tuple[str, str]:
    """The two situations an uplift compares, as the sentence names them."""
    if comparison == "planned":
        return _("Without the campaign"), _("as planned")
    if comparison == "execution":
        return _("With displays as verified"), _("fully executed")
    return _("Without the campaign"), _("with it")


def uplift(p: Mapping[str, Any]) -> str:
    reference, scenario = _comparison_labels(p.get("comparison", ""))
    currency = p.get("currency") or None
    figures = {
        "reference": reference,
        "scenario": scenario,
        "baseline": formats.number(p["baseline_units"]),
        "with": formats.number(p["scenario_units"]),
        "incremental": _signed(p["incremental_units"]),
        "width": formats.percent(p["interval_width"]),
        "low": _signed(p["incremental_low"]),
        "high": _signed(p["incremental_high"]),
        "revenue": formats.money(p["revenue"], currency),
        "discount": formats.money(p["discount_cost"], currency),
        "fee": formats.money(p["fee"], currency),
    }
    # Translators: e.g. "Without the campaign: 1,200 units; as planned: 1,450, so +250 units (80% interval
    # +180 to +320) and EUR 400.00 of revenue."
    sentences = [_("%(reference)s: %(baseline)s units; %(scenario)s: %(with)s, so %(incremental)s units "
                   "(%(width)s interval %(low)s to %(high)s) and %(revenue)s of revenue.") % figures]
    if float(p["discount_cost"]):
        sentences.append(_("The discount on units that sell anyway costs %(discount)s.") % figures)
    if float(p["fee"]):
        sentences.append(_("The fee is %(fee)s.") % figures)
    if p.get("roi") is None:
        sentences.append(_("No spend, so no ROI."))
    else:
        sentences.append(_("ROI on revenue %(roi)s.") % {"roi": _signed_percent(p["roi"])})
    return _join(sentences)


def measured(p: Mapping[str, Any]) -> str:
    figures = {
        "actual": formats.number(p["actual_units"]),
        "days": formats.number(p["days"]),
        "expected": formats.number(p["counterfactual_units"]),
        "width": formats.percent(p["interval_width"]),
        "low": formats.number(p["counterfactual_low"]),
        "high": formats.number(p["counterfactual_high"]),
        "incremental": _signed(p["incremental_units"]),
        "inc_low": _signed(p["incremental_low"]),
        "inc_high": _signed(p["incremental_high"]),
    }
    sentences = [
        _("Sold %(actual)s units on %(days)s store-SKU days; forecast without the campaign from the history "
          "before it: %(expected)s (%(width)s interval %(low)s to %(high)s).") % figures,
        _("Incremental %(incremental)s units (%(inc_low)s to %(inc_high)s).") % figures,
    ]
    if p.get("control_ratio") is not None:
        n = p["control_series"]
        sentences.append(
            ngettext(
                "The forecast without the campaign is scaled by %(ratio)s: on the same days, %(n)s store-SKU "
                "series the campaign did not reach sold %(share)s of its own forecast.",
                "The forecast without the campaign is scaled by %(ratio)s: on the same days, %(n)s store-SKU "
                "series the campaign did not reach sold %(share)s of their own forecast.",
                n,
            )
            % {"ratio": formats.number(p["control_ratio"], 2), "n": n, "share": formats.percent(p["control_ratio"])}
        )
    if p["incremental_low"] < 0 < p["incremental_high"]:
        sentences.append(_("The interval includes no effect at all: these days at these stores cannot tell the "
                           "campaign's effect from the usual ups and downs of sales."))
    return _join(sentences)


RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {INVENTORY: inventory, UPLIFT: uplift, MEASURED: measured}


def render(code: str, params: Mapping[str, Any], fallback: str = "") -> str:
    """The explanation in the active language; ``fallback`` (the stored English text) for a code this
    version does not know or a row saved before explanations had parameters."""
    renderer = RENDERERS.get(code)
    if renderer is None or not params:
        return fallback
    try:
        return renderer(params)
    except (KeyError, TypeError, ValueError):
        return fallback


def _join(sentences: list[str]) -> str:
    """Sentences one after the other: with a space between them, except in Chinese, which uses none."""
    return ("" if (get_language() or "").startswith("zh") else " ").join(sentences)
