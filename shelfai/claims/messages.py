"""Claim recommendations, their reasons and evidence packets, read in the reader's language.

A packet and a claim's recommendation keep each reason as a code and its parameters next to the
English text (``reasons`` + ``reason_codes``, ``text`` + ``text_code``); the English is for readers
that do not render codes (the ERP export, old API clients) and for rows stored before codes. The
placement reasons are ``shelfai.compliance.messages``'; the claim-level ones are registered here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from shelfai import formats
from shelfai.claims.models import PaidPlacement, PlacementCheck
from shelfai.compliance.messages import day_text, reason, reason_text, reasons_text, register_reasons
from shelfai.visits import flag_messages

SEVERITY = {"info": gettext_lazy("info"), "warning": gettext_lazy("warning"), "critical": gettext_lazy("critical")}
OUTCOMES = {"approve": gettext_lazy("approve"), "partial": gettext_lazy("partially approve"),
            "reject": gettext_lazy("reject")}


def _part_of_period(p: Mapping[str, Any]) -> str:
    return _("The claimed %(days)s days are part of the placement period, so at most %(fee)s of the %(contracted)s "
             "contracted fee applies.") % {"days": p["days"], "fee": formats.money(p["fee"]),
                                           "contracted": formats.money(p["contracted"])}


def _photo_flagged(p: Mapping[str, Any]) -> str:
    weight = p.get("weight")
    values = {"day": day_text(p["day"]), "severity": SEVERITY.get(p["severity"], p["severity"]), "n": p["n"],
              "weight": formats.number(weight, 2) if weight is not None else ""}
    if weight is not None and weight < 1:
        return ngettext(
            "Photo of %(day)s flagged (%(severity)s): %(n)s authenticity flag, evidence weight %(weight)s; see it "
            "under that visit.",
            "Photo of %(day)s flagged (%(severity)s): %(n)s authenticity flags, evidence weight %(weight)s; see "
            "them under that visit.", p["n"]) % values
    return ngettext(
        "Photo of %(day)s flagged (%(severity)s): %(n)s authenticity flag; see it under that visit.",
        "Photo of %(day)s flagged (%(severity)s): %(n)s authenticity flags; see them under that visit.",
        p["n"]) % values


def display_label(display_type: str) -> str:
    return str(dict(PaidPlacement.DisplayType.choices).get(display_type, display_type))


def _line_reason(p: Mapping[str, Any]) -> str:
    # Translators: a claim with several lines: "End-cap at S001: Executed in 3 of 4 weeks; ..."
    return _("%(display)s at %(store)s: %(reason)s") % {
        "display": display_label(p["display_type"]), "store": p["store"], "reason": reason_text(p["reason"])}


register_reasons({"part_of_period": _part_of_period, "photo_flagged": _photo_flagged, "line_reason": _line_reason})


def recommendation_reasons(claim) -> list[str]:
    """An ``ExpenseClaim``'s recommendation reasons in the active language."""
    return reasons_text(claim.recommendation_reasons, getattr(claim, "recommendation_reason_codes", None))


def check_reasons(check) -> list[str]:
    """A ``PlacementCheck``'s reasons in the active language."""
    return reasons_text(check.reasons, getattr(check, "reason_codes", None))


def week_label(status: str) -> str:
    """A coverage window's status in words: a verdict, or "no usable photos" for an unverified week."""
    if status == "unverified":
        return _("no usable photos")
    return str(dict(PlacementCheck.Verdict.choices).get(status, status))


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


def packet_for_reader(packet: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored evidence packet with every sentence in the active language (a copy; codes kept)."""
    out = copy.deepcopy(dict(packet or {}))
    recommendation = out.get("recommendation")
    if isinstance(recommendation, dict):
        recommendation["reasons"] = reasons_text(recommendation.get("reasons"), recommendation.get("reason_codes"))
    coverage = out.get("coverage")
    if isinstance(coverage, dict) and coverage.get("text_code"):
        coverage["text"] = reason_text(coverage["text_code"])
    if isinstance(coverage, dict):
        for window in coverage.get("windows") or []:  # a week's status, said in words ("label")
            window["label"] = week_label(window.get("status", ""))
    payable = out.get("payable")
    if isinstance(payable, dict) and "rule" in payable:
        payable["rule"] = pro_rata_rule()
    for visit in out.get("visits") or []:
        visit["reasons"] = reasons_text(visit.get("reasons"), visit.get("reason_codes"))
        checklist = visit.get("checklist")
        if isinstance(checklist, dict) and "done" in checklist and "total" in checklist:
            checklist["text"] = ngettext("%(done)s of %(total)s photographed", "%(done)s of %(total)s photographed",
                                         checklist["total"]) % {"done": checklist["done"], "total": checklist["total"]}
        if visit.get("verdict"):
            labels = dict(PlacementCheck.Verdict.choices)
            visit["verdict_label"] = str(labels.get(visit["verdict"], visit.get("verdict_label", "")))
        for photo in visit.get("photos") or []:
            for flag in photo.get("flags") or []:
                flag["reason"] = flag_messages.flag_text(flag.get("code", ""), flag.get("params"),
                                                         flag.get("reason", ""), flag.get("severity", ""))
                flag["label"] = flag_messages.code_label(flag.get("code", ""))  # the check's name
    return out


def pro_rata_rule() -> str:
    return _("The claimed period is cut into weeks; each week takes the verdict of its latest usable visit. Payable "
             "= fee share x (days of executed weeks + half the days of partly executed weeks) / days claimed, "
             "rounded down to the cent. Weeks without usable photos are not paid; a visit whose photos' "
             "authenticity weight is below 0.5 is not usable.")


__all__ = ["reason", "reason_text", "reasons_text", "recommendation_reasons", "check_reasons", "packet_for_reader",
           "pro_rata_rule", "outcome_label", "display_label"]
