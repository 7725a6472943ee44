"""Alerts: evaluate the rules, record each fact once, tell the people who want it, send digests.

``alerts_evaluate`` runs from celery beat (``ALERTS_INTERVAL_SECONDS``): it asks ``selectors`` for the
facts, ``rules`` for what deserves an alert, records each new key in one short transaction with a
notification per recipient, then (after commit) e-mails the immediate ones and hands webhook
deliveries to the worker. ``digests_send`` sends each user's unsent digest alerts in one e-mail, at
most once per day. Every sending failure is recorded and tried again on a later run; none is raised.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shelfai import formats
from shelfai.accounts.models import Role, User
from shelfai.alerts import delivery, rules, selectors, texts
from shelfai.alerts.models import (
    Alert,
    AlertPreference,
    DigestSent,
    Frequency,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from shelfai.alerts.rules import Rule
from shelfai.celery import app
from shelfai.stores.zones import zone_named

log = logging.getLogger(__name__)
WEBHOOK_TASK = "shelfai.alerts.tasks.deliver_webhook"
# A pending delivery whose message has not run for this long was lost (broker restart): send it again.
LOST_DELIVERY_AFTER = timedelta(minutes=10)

# Who each rule is for; admins may choose every rule.
AUDIENCE = {
    Rule.DISPLAY_MISSING: Role.MARKETING, Rule.CLAIM_CRITICAL: Role.FINANCE,
    Rule.PHOTO_FAILED: Role.ADMIN, Rule.QUEUE_BACKLOG: Role.ADMIN,
}


# --- Preferences -----------------------------------------------------------------------------------

def is_admin(user: User) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


def rules_for(user: User) -> list[Rule]:
    """The rules a user may hear about: their role's, a manager's, and all of them for admins."""
    if is_admin(user):
        return list(Rule)
    chosen = [rule for rule, role in AUDIENCE.items() if role == user.role]
    if selectors.is_manager(user):
        chosen.append(Rule.STORE_UNVISITED)
    return [rule for rule in Rule if rule in chosen]


def default_frequency(user: User, rule: Rule) -> str:
    """Marketing: displays (daily); finance: claims (at once); admins: system alerts (at once); managers:
    their reps' stores (daily). Display weeks all end on the same days, so a chain's missing displays
    arrive in bursts (bench/alerts_sweep.py: 610 on a first sweep over 1,000 displays): one e-mail a day
    reads better than hundreds; a critical claim is one decision finance should not take unaware."""
    if rule == Rule.STORE_UNVISITED:
        return Frequency.DIGEST  # for managers, and for the admins who hear about reps with no manager
    if is_admin(user) and rule in (Rule.PHOTO_FAILED, Rule.QUEUE_BACKLOG):
        return Frequency.IMMEDIATE
    if AUDIENCE.get(rule) != user.role:
        return Frequency.OFF  # an admin may turn on marketing's and finance's alerts, but gets none unasked
    return Frequency.DIGEST if rule == Rule.DISPLAY_MISSING else Frequency.IMMEDIATE


def preferences_of(user: User) -> dict[Rule, str]:
    stored = dict(AlertPreference.objects.filter(user=user).values_list("rule", "frequency"))
    return {rule: stored.get(rule.value, default_frequency(user, rule)) for rule in rules_for(user)}


def preferences_set(*, user: User, choices: dict[str, str]) -> dict[Rule, str]:
    """Store a user's choices; a rule they may not hear about, or an unknown frequency, changes nothing."""
    allowed = {rule.value for rule in rules_for(user)}
    bad = [f"{rule}={freq}" for rule, freq in choices.items() if rule not in allowed or freq not in Frequency.values]
    if bad:
        raise ValueError(_("Not a choice you can make: %(choices)s.") % {"choices": ", ".join(bad)})
    with transaction.atomic():
        for rule, frequency in choices.items():
            AlertPreference.objects.update_or_create(user=user, rule=rule, defaults={"frequency": frequency})
    return preferences_of(user)


# --- Evaluation ------------------------------------------------------------------------------------

def facts_now(now: datetime) -> list[tuple[rules.AlertFact, list[User]]]:
    """Every fact the rules see now, each with the users it concerns (before preferences)."""
    today = timezone.localdate(now)
    since = today - timedelta(days=settings.ALERTS_LOOKBACK_DAYS)
    found: list[tuple[rules.AlertFact, list[User]]] = []
    marketing, finance, admins = (selectors.users_with_role(Role.MARKETING), selectors.users_with_role(Role.FINANCE),
                                  selectors.admins())
    for placement, checks in selectors.placements_to_judge(today=today, since=since):
        found += [(fact, marketing) for fact in rules.display_missing(placement, checks, today=today, since=since)]
    for claim in selectors.claims_to_judge():
        if fact := rules.claim_critical(claim):
            found.append((fact, finance))
    for assignment, rep_id, store_today in selectors.assignments_to_judge(now=now):
        # The first missed day is a day of the store's calendar, weekdays as the store's clock reads them.
        if fact := rules.store_unvisited(assignment, today=store_today,
                                         grace_days=settings.ALERTS_UNVISITED_GRACE_DAYS):
            found.append((fact, selectors.manager_of(rep_id)))
    for photo in selectors.failed_photos(since=now - timedelta(days=settings.ALERTS_LOOKBACK_DAYS)):
        found.append((rules.photo_failed(photo), admins))
    for queue in selectors.queues(now=now):
        fact = rules.queue_backlog(queue, now=now, max_depth=settings.ALERTS_QUEUE_MAX_DEPTH,
                                   max_wait=timedelta(minutes=settings.ALERTS_QUEUE_MAX_WAIT_MINUTES))
        if fact:
            found.append((fact, admins))
    return found


class Sweep:
    """What one sweep reads once and reuses for every fact: each user's choices, the active endpoints."""

    def __init__(self) -> None:
        self.endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
        self._choices: dict[int, dict[Rule, str]] = {}

    def frequency(self, user: User, rule: str) -> str:
        if user.pk not in self._choices:
            self._choices[user.pk] = preferences_of(user)
        return self._choices[user.pk].get(Rule(rule), Frequency.OFF)


def alert_record(fact: rules.AlertFact, users: list[User], *, sweep: Sweep | None = None) -> Alert | None:
    """Record a new fact with its notifications; None when its key was recorded before (by any worker)."""
    sweep = sweep or Sweep()
    try:
        with transaction.atomic():
            alert = Alert.objects.create(key=fact.key, rule=fact.rule, subject=fact.subject[:255], body=fact.body,
                                         link=fact.link, data=fact.data)
            Notification.objects.bulk_create([
                Notification(alert=alert, user=user, frequency=frequency) for user in users
                if (frequency := sweep.frequency(user, fact.rule)) != Frequency.OFF])
            WebhookDelivery.objects.bulk_create([
                WebhookDelivery(endpoint=endpoint, alert=alert, next_try_at=timezone.now())
                for endpoint in sweep.endpoints if endpoint.wants(fact.rule)])
    except IntegrityError:
        return None  # the key was recorded before, by an earlier sweep or one running now
    return alert


def alerts_evaluate(now: datetime | None = None) -> dict[str, int]:
    """The beat task's work: new alerts recorded and sent, failed sends tried again. Never raises on a send."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    found = facts_now(now)
    known = known_keys([fact.key for fact, _ in found])
    sweep = Sweep()
    for fact, users in found:
        if fact.key not in known and alert_record(fact, users, sweep=sweep) is not None:
            counts[f"new_{fact.rule}"] += 1
    counts["emailed"] = immediate_send(now)
    counts["webhooks_sent"] = webhooks_enqueue_due(timezone.now())  # the ones just recorded too
    log.info("Alerts: %s", {k: v for k, v in counts.items() if v})
    return dict(counts)


def known_keys(keys: list[str], chunk: int = 500) -> set[str]:
    """The keys recorded already, read in chunks (one query per 500 facts, not one per fact)."""
    known: set[str] = set()
    for i in range(0, len(keys), chunk):
        known.update(Alert.objects.filter(key__in=keys[i:i + chunk]).values_list("key", flat=True))
    return known


def immediate_send(now: datetime) -> int:
    """E-mail every immediate notification not sent yet (a failed one again, for a day), over one connection.

    The waiting ones are claimed first with a conditional update stamped with this sweep's own time, so
    two sweeps running at once never e-mail the same alert twice; a failed send hands its row back."""
    token = timezone.now()
    Notification.objects.filter(frequency=Frequency.IMMEDIATE, sent_at__isnull=True,
                                created_at__gte=now - timedelta(days=1)).exclude(error=delivery.NO_ADDRESS
                                                                                 ).update(sent_at=token)
    claimed = list(Notification.objects.filter(frequency=Frequency.IMMEDIATE, sent_at=token)
                   .select_related("alert", "user").order_by("pk"))
    if not claimed:
        return 0
    failed: dict[str, list[int]] = {}
    with delivery.connection() as (connection, down):
        for note in claimed:
            with translation.override(texts.language_of(note.user)):  # the recipient's language
                error = down or delivery.email_send(to=note.user.email, subject=texts.subject(note.alert),
                                                    body=delivery.alert_text(note.alert), connection=connection)
            if error:
                failed.setdefault(error, []).append(note.pk)
    for error, pks in failed.items():
        Notification.objects.filter(pk__in=pks).update(sent_at=None, error=error)  # the next sweep tries again
    retried = [n.pk for n in claimed if n.error and n.pk not in {pk for pks in failed.values() for pk in pks}]
    Notification.objects.filter(pk__in=retried).update(error="")
    return len(claimed) - sum(len(pks) for pks in failed.values())


# --- Webhooks --------------------------------------------------------------------------------------

def webhook_enqueue(item: WebhookDelivery) -> bool:
    """Hand one delivery to the worker, to run at its ``next_try_at``; a broker that is down is logged,
    and the row waits for the next evaluation to send it again."""
    countdown = max(0.0, (item.next_try_at - timezone.now()).total_seconds()) if item.next_try_at else 0.0
    try:
        app.tasks[WEBHOOK_TASK].apply_async(args=[item.pk], countdown=countdown)
    except Exception as exc:  # noqa: BLE001 - broker down: the row stays pending and is sent again later
        if settings.CELERY_TASK_ALWAYS_EAGER:
            log.exception("Webhook delivery %s failed in process", item.pk)
        else:
            log.warning("Could not send webhook delivery %s to the worker (%s); the next sweep sends it.", item.pk, exc)
        return False
    return True


def webhooks_enqueue_due(now: datetime) -> int:
    """Pending deliveries never handed over (just recorded), or whose message was lost."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, attempted_at__isnull=True,
                                         next_try_at__lte=now).order_by("pk")
    fresh = [d for d in due if d.attempt == 1 and d.created_at >= now - LOST_DELIVERY_AFTER]
    lost = [d for d in due if d not in fresh and d.next_try_at <= now - LOST_DELIVERY_AFTER]
    return sum(webhook_enqueue(d) for d in fresh + lost)


# --- Digests ---------------------------------------------------------------------------------------

def digests_send(now: datetime | None = None) -> int:
    """Each user's unsent digest alerts in one e-mail, once per (local) day, from ``ALERTS_DIGEST_HOUR`` on."""
    now = now or timezone.now()
    sent = 0
    user_ids = (Notification.objects.filter(frequency=Frequency.DIGEST, sent_at__isnull=True, created_at__lte=now)
                .values_list("user_id", flat=True).distinct())
    for user in User.objects.filter(pk__in=list(user_ids)).order_by("pk"):
        # The digest hour and its day are the recipient's (their profile's time zone, else the site's).
        local = now.astimezone(zone_named(getattr(user, "time_zone", "") or settings.TIME_ZONE))
        if local.hour >= settings.ALERTS_DIGEST_HOUR:
            sent += digest_send(user, day=local.date(), now=now)
    return sent


def digest_send(user: User, *, day, now: datetime) -> int:
    notes = list(Notification.objects.filter(user=user, frequency=Frequency.DIGEST, sent_at__isnull=True,
                                             created_at__lte=now).select_related("alert").order_by("alert__created_at"))
    if not notes:
        return 0
    with transaction.atomic():
        _, created = DigestSent.objects.get_or_create(user=user, day=day, defaults={"alerts": len(notes)})
        if not created:
            return 0  # today's digest went out already; these wait for tomorrow's
        with translation.override(texts.language_of(user)):  # the recipient's language
            subject = ngettext("%(n)s alert for %(day)s", "%(n)s alerts for %(day)s", len(notes)) % {
                "n": formats.number(len(notes)), "day": formats.day(day)}
            body = "\n\n".join(f"* {texts.subject(n.alert)}\n{delivery.alert_text(n.alert)}" for n in notes)
            error = delivery.email_send(to=user.email, subject=subject, body=body)
        failed = bool(error) and error != delivery.NO_ADDRESS
        if failed:
            transaction.set_rollback(True)  # not sent: the next hourly run tries again today
        else:
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(sent_at=now, error=error)
    if failed:
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(error=error)
    return 0 if error else 1
