"""What a deduction or a "not verified" reason says, in the language active when it is read.

Stored results keep a code and its parameters (``{"code": "missing_sku", "params": {"name": ..,
"expected": 4, "levels": [1]}}``), never the sentence: a result scored while the worker spoke English
reads in Chinese on a Chinese rep's phone, and the other way round. This module turns a code and its
parameters into the sentence, with gettext, at read time. Rows stored before codes had parameters
carry only their English ``message``: that text is shown as it is.

Sentence pieces are rendered per language too: "shelves 1, 2 and 3" / "第1、2和3层", "1 facing" /
"4 facings" (ngettext), so word order and plurals are the translator's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from shelfai import formats
from shelfai.formats import money, percent


def join_list(items: Iterable[Any]) -> str:
    """["1", "2", "3"] -> "1, 2 and 3" (en) / "1、2和3" (zh-hans)."""
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    # Translators: the separator between the items of a list, before the last one ("1, 2 and 3": ", ").
    head = pgettext("list separator", ", ").join(items[:-1])
    # Translators: the last two items of a list, e.g. "1, 2 and 3". Chinese: "%(items)s和%(last)s".
    return _("%(items)s and %(last)s") % {"items": head, "last": items[-1]}


def facings(n: Any) -> str:
    n = int(n)
    return ngettext("%(n)s facing", "%(n)s facings", n) % {"n": n}


def shelves(levels: Iterable[int]) -> str:
    """{3} -> "shelf 3", {1, 2} -> "shelves 1 and 2"; shelf 1 is the top shelf."""
    levels = sorted(levels)
    return ngettext("shelf %(levels)s", "shelves %(levels)s", len(levels)) % {"levels": join_list(levels)}


def levels_only(levels: Iterable[int]) -> str:
    """The shelf numbers alone ("2 and 3"), for "on shelf 1 instead of 2 and 3"."""
    return join_list(sorted(levels))


def _between(left: str | None, right: str | None) -> str:
    if left and right:
        return _("between %(left)s and %(right)s") % {"left": left, "right": right}
    if left:
        return _("right of %(name)s") % {"name": left}
    if right:
        return _("left of %(name)s") % {"name": right}
    return ""


def _missing_sku(p: Mapping[str, Any]) -> str:
    return _("%(name)s is missing: put %(facings)s on %(shelves)s (out of stock, or never placed).") % {
        "name": p["name"], "facings": facings(p["expected"]), "shelves": shelves(p["levels"])}


def _short_facings(p: Mapping[str, Any]) -> str:
    where = shelves(p["levels"])
    wrong_n, misplaced = p.get("wrong_n", 0), ""
    if wrong_n:
        pieces = {"wrong": shelves(p["wrong_levels"]), "planned": levels_only(p["levels"]), "n": wrong_n}
        if wrong_n == p.get("placed_n"):
            # Translators: follows "Gold 900 g: 2 of 4 facings"; the facings seen stand on another shelf.
            misplaced = _(", on %(wrong)s instead of %(planned)s") % pieces
        else:
            misplaced = _(", %(n)s of them on %(wrong)s instead of %(planned)s") % pieces
    hidden = ""
    if p.get("doubt"):
        hidden = ngettext(" (%(n)s more may stand among unrecognised packs)",
                          " (%(n)s more may stand among unrecognised packs)", p["doubt"]) % {"n": p["doubt"]}
    if wrong_n:
        todo = _("move them to %(shelves)s and add %(n)s more") % {"shelves": where, "n": p["short"]}
    else:
        todo = _("add %(n)s on %(shelves)s") % {"shelves": where, "n": p["short"]}
    # Translators: "Gold 900 g: 2 of 4 facings, on shelf 3 instead of 2 — move them to shelf 2 and add 2 more."
    return _("%(name)s: %(observed)s of %(expected)s%(misplaced)s%(hidden)s — %(todo)s.") % {
        "name": p["name"], "observed": p["observed"], "expected": facings(p["expected"]),
        "misplaced": misplaced, "hidden": hidden, "todo": todo}


def _wrong_shelf(p: Mapping[str, Any]) -> str:
    return _("%(name)s: %(facings)s on %(wrong)s instead of %(planned)s — move them to %(shelves)s.") % {
        "name": p["name"], "facings": facings(p["wrong_n"]), "wrong": shelves(p["wrong_levels"]),
        "planned": levels_only(p["levels"]), "shelves": shelves(p["levels"])}


def _wrong_order(p: Mapping[str, Any]) -> str:
    where = _between(p.get("left"), p.get("right")) or _("in planogram order")
    return _("Shelf %(level)s: %(name)s is out of order — it belongs %(where)s.") % {
        "level": p["level"], "name": p["name"], "where": where}


def _not_in_planogram(p: Mapping[str, Any]) -> str:
    label = (_("%(name)s (%(brand)s)") % {"name": p["name"], "brand": p["brand"]}) if p.get("brand") else p["name"]
    values = {"label": label, "facings": facings(p["n"])}
    if p.get("levels"):
        values["shelves"] = shelves(p["levels"])
        return _("%(label)s: %(facings)s on %(shelves)s — not in the planogram; remove it to free the space for "
                 "planned products.") % values
    return _("%(label)s: %(facings)s — not in the planogram; remove it to free the space for planned "
             "products.") % values


def _empty_gap(p: Mapping[str, Any]) -> str:
    values = {"level": p["level"], "facings": facings(p["width"]),
              "where": _between(p.get("left"), p.get("right"))}
    if values["where"]:
        return _("Shelf %(level)s: empty space for about %(facings)s %(where)s — restock it with the planned "
                 "products.") % values
    return _("Shelf %(level)s: empty space for about %(facings)s — restock it with the planned products.") % values


def _share_below_target(p: Mapping[str, Any]) -> str:
    values = {"brand": p["brand"], "actual": percent(p["actual"]), "target": percent(p["target"])}
    if p.get("more") is not None:
        values["more"] = _("add about %(facings)s of %(brand)s") % {"facings": facings(p["more"]), "brand": p["brand"]}
    else:
        values["more"] = _("only %(brand)s may stand here") % {"brand": p["brand"]}
    if p.get("basis") == "width":
        return _("%(brand)s: %(actual)s of shelf width, target %(target)s — %(more)s.") % values
    return _("%(brand)s: %(actual)s of facings, target %(target)s — %(more)s.") % values


DEDUCTIONS = {
    "missing_sku": _missing_sku,
    "short_facings": _short_facings,
    "wrong_shelf": _wrong_shelf,
    "wrong_order": _wrong_order,
    "not_in_planogram": _not_in_planogram,
    "empty_gap": _empty_gap,
    "share_below_target": _share_below_target,
}


def deduction_text(code: str, params: Mapping[str, Any] | None, stored: str = "") -> str:
    """The sentence for one deduction in the active language; ``stored`` (an old row's English) without params."""
    render = DEDUCTIONS.get(code)
    if params is None or render is None:
        return stored or code
    try:
        return render(params)
    except (KeyError, TypeError, ValueError):  # parameters of an older shape: its stored text is still right
        return stored or code


def deduction_message(deduction: Mapping[str, Any]) -> str:
    """A stored deduction (a dict of ``ComplianceResult.deductions``) as the sentence to read."""
    return deduction_text(deduction.get("code", ""), deduction.get("params"), deduction.get("message", ""))


def deductions_for_reader(deductions: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Stored deductions with ``message`` rendered in the active language and ``params`` always present."""
    return [dict(d) | {"message": deduction_message(d), "params": d.get("params") or {}} for d in deductions or []]


def _shelf_name(p: Mapping[str, Any]) -> str:
    if p.get("shelf"):
        return _("the %(name)s shelf") % {"name": p["shelf"]}
    return _("the planned shelf")


def _shelf_not_shown(p: Mapping[str, Any]) -> str:
    return _("The photo does not show %(shelf)s: none of its planned shelf levels was found. Photograph the "
             "whole bay, top to bottom.") % {"shelf": _shelf_name(p)}


def _too_few_recognised(p: Mapping[str, Any]) -> str:
    return _("Too few products recognised (%(recognised)s of %(total)s) to say what is missing. Is this "
             "%(shelf)s? If it is, retake it square-on and close enough to read the packs; if its products "
             "are not in the catalog, add their pack shots.") % {
        "recognised": p["recognised"], "total": p["total"], "shelf": _shelf_name(p)}


def _no_planogram_recognised(p: Mapping[str, Any]) -> str:
    return _("Sent without a task, and no product of any planogram here was recognised, so it is not known "
             "which shelf this is. Send it again for its task on the checklist.")


NOT_VERIFIED = {"shelf_not_shown": _shelf_not_shown, "too_few_recognised": _too_few_recognised,
                "no_planogram_recognised": _no_planogram_recognised}


def not_verified_text(code: str, params: Mapping[str, Any] | None, stored: str = "") -> str:
    render = NOT_VERIFIED.get(code)
    if params is None or render is None:
        return stored
    try:
        return render(params)
    except (KeyError, TypeError, ValueError):
        return stored


def report_not_verified_reason(report: Mapping[str, Any] | None) -> str:
    """Why a stored report (``ComplianceResult.report``) is not verified, in the active language ("" if it is)."""
    report = report or {}
    why = report.get("not_verified") or {}
    return not_verified_text(why.get("code", ""), why.get("params"), report.get("not_verified_reason", ""))


# --- Reasons: paid-placement verdicts, coverage and claim recommendations ---------------------------
# A reason is {"code": .., "params": {..}}; lists of them are stored beside their English text.

def reason(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def day_text(value: str) -> str:
    try:
        return formats.day(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def _coverage(p: Mapping[str, Any]) -> str:
    n, executed = p["windows"], p["executed"]
    if p["window_days"] == 7:
        # Translators: "Executed in 3 of 4 weeks" (the weeks of a paid display's period).
        head = ngettext("Executed in %(executed)s of %(n)s week", "Executed in %(executed)s of %(n)s weeks", n)
    else:
        head = ngettext("Executed in %(executed)s of %(n)s %(days)s-day period",
                        "Executed in %(executed)s of %(n)s %(days)s-day periods", n)
    parts = [head % {"executed": executed, "n": n, "days": p["window_days"]}]
    if p.get("partly"):
        parts.append(_("partly in %(n)s") % {"n": p["partly"]})
    if p.get("unverified"):
        parts.append(_("no usable photos in %(n)s") % {"n": p["unverified"]})
    # Translators: "Executed in 3 of 4 weeks, partly in 1; EUR 750.00 of EUR 1,000.00 payable."
    return _("%(coverage)s; %(payable)s of %(fee)s payable.") % {
        "coverage": pgettext("list separator", ", ").join(parts), "payable": money(p["payable"]),
        "fee": money(p["fee"])}


def _required_facings_short(p: Mapping[str, Any]) -> str:
    values = {"name": p["name"], "seen": p["seen"], "required": p["required"]}
    if p.get("eye_level"):
        return _("%(name)s: %(seen)s of %(required)s required facings at eye level.") % values
    return _("%(name)s: %(seen)s of %(required)s required facings.") % values


def _outside_period(p: Mapping[str, Any]) -> str:
    values = {"visit": p.get("visit"), "date": day_text(p["date"]), "start": day_text(p["start"]),
              "end": day_text(p["end"])}
    if p.get("visit") is None:
        return _("A visit on %(date)s is outside the placement period %(start)s to %(end)s.") % values
    return _("Visit %(visit)s on %(date)s is outside the placement period %(start)s to %(end)s.") % values


REASONS: dict[str, Any] = {
    "no_display_photo": lambda p: _("No photo of the display was taken on this visit."),
    "photos_too_poor": lambda p: _("The photos are too poor to judge (blurred, dark or cut off); a retake is needed."),
    "low_evidence_weight": lambda p: _(
        "Authenticity checks lowered the evidence weight to %(weight)s (at least %(needed)s is needed); see the "
        "photo flags.") % {"weight": formats.number(p["weight"], 2), "needed": formats.number(p["needed"], 2)},
    "no_shelf_levels": lambda p: _(
        "The photos do not show which shelf the products stand on, so eye level cannot be checked."),
    "pos_needs_reviewer": lambda p: _(
        "Point-of-sale material is not recognised automatically; a reviewer must confirm it on the photo."),
    "display_too_few_recognised": lambda p: _(
        "Only %(named)s of %(total)s products on the display's photos were recognised: too few to tell a missing "
        "product from an unrecognised one. A reviewer can confirm the display on the photo.") % {
        "named": p["named"], "total": p["total"]},
    "reviewer_confirmed": lambda p: _("A reviewer confirmed the material on the photo."),
    "reviewer_found_none": lambda p: _("A reviewer found no material."),
    "required_facings_short": _required_facings_short,
    "all_required_displayed": lambda p: _("All required products are displayed with their facings."),
    "outside_period": _outside_period,
    "coverage": _coverage,
    "no_week_verified": lambda p: _("No week of the period is verified as executed by photos."),
    "photos_support": lambda p: _("Photos support %(cap)s of the %(claimed)s claimed.") % {
        "cap": money(p["cap"]), "claimed": money(p["claimed"])},
    "above_fee": lambda p: _("The claim (%(claimed)s) is above the contracted fee (%(fee)s).") % {
        "claimed": money(p["claimed"]), "fee": money(p["fee"])},
    "above_fee_share": lambda p: _(
        "The claim (%(claimed)s) is more than the %(days)s days claimed can cost: they are part of the placement "
        "period, so at most %(fee)s of the %(contracted)s contracted fee applies.") % {
        "claimed": money(p["claimed"]), "days": p["days"], "fee": money(p["fee"]),
        "contracted": money(p["contracted"])},
}


def register_reasons(renderers: Mapping[str, Any]) -> None:
    """Later packages (claims) add their own reason codes; a code is never registered twice."""
    clash = set(renderers) & set(REASONS)
    if clash:
        raise ValueError(f"Reason codes registered twice: {sorted(clash)}")
    REASONS.update(renderers)


def reason_text(reason_: Mapping[str, Any] | str | None) -> str:
    """One reason in the active language. A plain string (a row stored before codes) is shown as it is."""
    if reason_ is None:
        return ""
    if isinstance(reason_, str):
        return reason_
    render = REASONS.get(reason_.get("code", ""))
    if render is None:
        return reason_.get("text", "") or reason_.get("code", "")
    try:
        return render(reason_.get("params") or {})
    except (KeyError, TypeError, ValueError):
        return reason_.get("text", "") or reason_.get("code", "")


def reasons_text(texts: Iterable[str] | None, codes: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """A stored list of reasons: rendered from its codes when they were stored (same length), else its text."""
    texts, codes = list(texts or []), list(codes or [])
    if codes and (len(codes) == len(texts) or not texts):
        return [reason_text(c) for c in codes]
    return [reason_text(t) for t in texts]
