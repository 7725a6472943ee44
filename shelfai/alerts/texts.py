"""An alert's subject and body in the active language, written from its rule and ``data["params"]``.

An ``Alert`` is recorded once and may reach a Chinese finance user and an English one: the row keeps
the English text (webhooks and the admin show that) and the facts as plain values, and each e-mail is
written here, inside ``translation.override(recipient's language)`` (``language_of``). An alert recorded
before it had params, or whose params do not fit, reads as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shelfai import formats
from shelfai.alerts.models import Alert
from shelfai.alerts.rules import Rule
from shelfai.claims.messages import display_label
from shelfai.visits.flag_messages import flag_text


def language_of(user) -> str:
    """The language a user reads e-mail in: their profile's, else the site's default (English)."""
    return user.language or settings.LANGUAGE_CODE


def _day(iso: str) -> str:
    return formats.day(date.fromisoformat(iso[:10]))


def _label(p: Mapping[str, Any]) -> str:
    if not p.get("display_type"):
        return p["label"]
    # Translators: a paid display, e.g. "End-cap — Spring campaign at FreshCo Riverside".
    return _("%(display)s — %(campaign)s at %(store)s") % {
        "display": display_label(p["display_type"]), "campaign": p["campaign"], "store": p["store"]}


def _display_missing(p: Mapping[str, Any]) -> tuple[str, str]:
    label, week = _label(p), _day(p["week_start"])
    if p["absent"]:
        subject = _("Paid display absent for the week of %(week)s: %(display)s") % {"week": week, "display": label}
    else:
        subject = _("Paid display not verified for the week of %(week)s: %(display)s") % {
            "week": week, "display": label}
    why = {"not_set_up": _("the latest usable visit of the week found it not set up"),
           "no_usable_evidence": _("no visit of the week gave usable photo evidence of it"),
           "not_photographed": _("no visit of the week photographed it")}[p["why"]]
    said = {"display": label, "fee": formats.money(p["fee"]), "starts_on": _day(p["starts_on"]),
            "ends_on": _day(p["ends_on"]), "start": _day(p["week_start"]),
            "end": _day(p["week_end"]), "why": why}
    if p["absent"]:
        body = _("%(display)s (paid %(fee)s, %(starts_on)s to %(ends_on)s) was absent from %(start)s to %(end)s: "
                 "%(why)s.") % said
    else:
        body = _("%(display)s (paid %(fee)s, %(starts_on)s to %(ends_on)s) was not verified from %(start)s to "
                 "%(end)s: %(why)s.") % said
    return subject, body


def _claim_critical(p: Mapping[str, Any]) -> tuple[str, str]:
    subject = ngettext("Claim %(reference)s: evidence flagged critical (%(n)s photo)",
                       "Claim %(reference)s: evidence flagged critical (%(n)s photos)", p["photos"]) % {
        "reference": p["reference"], "n": formats.number(p["photos"])}
    reasons = [_("%(day)s: %(reason)s") % {"day": _day(r["date"]) if r.get("date") else "?",
                                           "reason": flag_text(r.get("code", ""), r.get("params"),
                                                               r.get("reason") or r.get("code", ""), "critical")}
               for r in p["reasons"]]
    body = _("Claim %(reference)s (%(amount)s) rests on photos the authenticity checks flagged critical:") % {
        "reference": p["reference"], "amount": formats.money(p["amount"])}
    return subject, body + "\n" + "\n".join(f"- {r}" for r in reasons)


def _store_unvisited(p: Mapping[str, Any]) -> tuple[str, str]:
    said = {"rep": p["rep"], "store": p["store"], "first": _day(p["first"]), "last": _day(p["last"]),
            "n": formats.number(p["missed"]), "grace": formats.number(p["grace_days"])}
    if p["last_visit"]:
        said["since"] = _day(p["last_visit"])
        subject = _("%(store)s not visited by %(rep)s since %(since)s") % said
        visited = _("has not visited since %(since)s") % said
    else:
        subject = _("%(store)s not visited by %(rep)s since the assignment began") % said
        visited = _("has not visited since the assignment began")
    scheduled = ngettext("%(rep)s was scheduled at %(store)s on %(n)s day from %(first)s to %(last)s",
                         "%(rep)s was scheduled at %(store)s on %(n)s days from %(first)s to %(last)s",
                         p["missed"]) % said
    grace = ngettext("the schedule allows %(grace)s day of grace", "the schedule allows %(grace)s days of grace",
                     p["grace_days"]) % said
    # Translators: "<who was scheduled where> and <has not visited since …> (<the grace>)."
    body = _("%(scheduled)s and %(visited)s (%(grace)s).") % {"scheduled": scheduled, "visited": visited,
                                                              "grace": grace}
    return subject, body


def _photo_failed(p: Mapping[str, Any]) -> tuple[str, str]:
    return (_("Photo failed at %(store)s") % {"store": p["store"]},
            _("Photo %(photo)s at %(store)s failed: %(reason)s") % {"photo": p["public_id"], "store": p["store"],
                                                                    "reason": p["reason"]})


def _queue_backlog(p: Mapping[str, Any]) -> tuple[str, str]:
    parts = []
    if p["depth"] is not None:
        parts.append(ngettext("%(n)s message ready on the broker (alert at %(max)s)",
                              "%(n)s messages ready on the broker (alert at %(max)s)", p["depth"])
                     % {"n": formats.number(p["depth"]), "max": formats.number(p["max_depth"])})
    if p["minutes"] is not None:
        parts.append(ngettext("%(n)s photo waiting, the oldest for %(minutes)s min (alert at %(max)s min)",
                              "%(n)s photos waiting, the oldest for %(minutes)s min (alert at %(max)s min)",
                              p["waiting"])
                     % {"n": formats.number(p["waiting"]), "minutes": formats.number(p["minutes"]),
                        "max": formats.number(p["max_minutes"])})
    subject = _("Queue %(queue)s is backed up") % {"queue": p["queue"]}
    body = _("Queue %(queue)s: %(facts)s. Check that its workers are running.") % {
        "queue": p["queue"], "facts": _("; ").join(parts)}
    return subject, body


WRITERS: dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    Rule.DISPLAY_MISSING: _display_missing, Rule.CLAIM_CRITICAL: _claim_critical,
    Rule.STORE_UNVISITED: _store_unvisited, Rule.PHOTO_FAILED: _photo_failed, Rule.QUEUE_BACKLOG: _queue_backlog,
}


def written(alert: Alert) -> tuple[str, str]:
    """(subject, body) in the active language; as stored when the alert has no usable params."""
    params, writer = (alert.data or {}).get("params"), WRITERS.get(alert.rule)
    if not params or writer is None:
        return alert.subject, alert.body
    try:
        return writer(params)
    except (KeyError, TypeError, ValueError, AttributeError):
        return alert.subject, alert.body


def subject(alert: Alert) -> str:
    return written(alert)[0]


def body(alert: Alert) -> str:
    return written(alert)[1]
