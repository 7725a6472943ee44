"""Getting an alert out: e-mail through Django's backend, and signed webhooks with retries.

Nothing here raises into its caller: a mail server or a receiver that is down is an error string on
the notification or a row in the delivery log, never an exception in the alert sweep (and the photo
pipeline never calls this at all).

Webhook signature (README "## Alerts"): the body is the alert as JSON; the header
``X-ShelfAI-Signature: t=<unix seconds>,v1=<hex>`` carries ``hex = HMAC-SHA256(secret, "<t>." + body)``.
A receiver recomputes it over the raw body, compares in constant time, and refuses a ``t`` far from its
clock (``verify`` does both), so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from shelfai.alerts import texts
from shelfai.alerts.models import Alert, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ShelfAI-Signature"
TOLERANCE_S = 300
NO_ADDRESS = "The user has no e-mail address."


# --- E-mail ----------------------------------------------------------------------------------------

@contextmanager
def connection():
    """One connection to the mail server for a batch of e-mails (SMTP would otherwise log in for each).
    Yields (connection, error): when the server cannot be reached the error says why, and the caller
    sends nothing rather than waiting out the timeout once per e-mail."""
    conn = get_connection()
    try:
        conn.open()
    except Exception as exc:  # noqa: BLE001 - any failure to connect or log in: recorded on each row
        log.warning("Could not open the e-mail connection: %s", exc)
        yield conn, f"{type(exc).__name__}: {exc}"[:2000]
        return
    try:
        yield conn, ""
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide what was sent
            log.warning("Could not close the e-mail connection cleanly.")


def email_send(*, to: str, subject: str, body: str, connection=None) -> str:
    """Send one e-mail; the error in words, or "" when the backend took it."""
    if not to:
        return NO_ADDRESS
    try:
        EmailMessage(subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", body=body,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[to], connection=connection).send()
    except Exception as exc:  # noqa: BLE001 - any backend failure (SMTP down, refused): recorded, retried later
        log.warning("Could not e-mail %s about %r: %s", to, subject, exc)
        return f"{type(exc).__name__}: {exc}"[:2000]
    return ""


def alert_text(alert: Alert) -> str:
    """The e-mail body of ``alert`` in the active language (the recipient's: see ``services``), with its link."""
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{alert.link}" if alert.link else ""
    return f"{texts.body(alert)}{link}"


# --- Webhooks --------------------------------------------------------------------------------------

def payload(alert: Alert) -> bytes:
    return json.dumps({
        "key": alert.key, "rule": alert.rule, "subject": alert.subject, "body": alert.body,
        "url": f"{settings.SITE_URL.rstrip('/')}{alert.link}" if alert.link else None,
        "created_at": alert.created_at.isoformat(timespec="seconds"), "data": alert.data,
    }, sort_keys=True).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver does: the header's MAC matches the raw body and its time is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempt: int) -> timedelta:
    """Wait before try ``attempt + 1``: base, 2 x base, 4 x base, ... (attempt counts from 1)."""
    return timedelta(seconds=settings.ALERTS_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(HTTP status or None, error text); a 2xx is success."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=settings.ALERTS_WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # noqa: BLE001 - refused, timed out, DNS, TLS: all a failed attempt
        return None, f"{type(exc).__name__}: {exc}"[:2000]


def webhook_attempt(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Try one pending delivery once; on failure record when the next try is, and return the next row.

    The pending row is claimed with a conditional update, so a re-sent message never posts twice."""
    now = now or timezone.now()
    if WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING,
                                      attempted_at__isnull=True).update(attempted_at=now) != 1:
        return None  # another worker got there first, or it was tried already
    delivery = WebhookDelivery.objects.select_related("endpoint", "alert").get(pk=delivery_id)
    body = payload(delivery.alert)
    code, error = post(delivery.endpoint.url, body, {
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, body, int(now.timestamp())),
        "X-ShelfAI-Delivery": str(delivery.pk), "X-ShelfAI-Alert": delivery.alert.key})
    delivery.response_code = code
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.error = WebhookDelivery.Status.SENT, ""
        delivery.save(update_fields=["status", "response_code", "error"])
        return None
    delivery.error = error or f"HTTP {code}"
    if delivery.attempt >= settings.ALERTS_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.GAVE_UP
        delivery.save(update_fields=["status", "response_code", "error"])
        log.warning("Webhook %s gave up on alert %s after %s tries: %s", delivery.endpoint.url, delivery.alert.key,
                    delivery.attempt, delivery.error)
        return None
    delivery.status = WebhookDelivery.Status.RETRYING
    delivery.next_try_at = now + backoff(delivery.attempt)
    delivery.save(update_fields=["status", "response_code", "error", "next_try_at"])
    return WebhookDelivery.objects.create(endpoint=delivery.endpoint, alert=delivery.alert,
                                          attempt=delivery.attempt + 1, next_try_at=delivery.next_try_at)
