"""Throttles: API use per token (per user) and per address before sign-in, and failed sign-ins.

Counters live in the ``throttle`` cache (Redis in production, so every web process shares them). Rates
are read from settings at each request, so a deployment (or a test) can change them without a restart
of the class attributes DRF would otherwise freeze at import.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]


class PerUserApiThrottle(_SettingsRate, UserRateThrottle):
    """One budget per signed-in user, whichever token or session they use."""


class AnonymousApiThrottle(_SettingsRate, AnonRateThrottle):
    """Callers not signed in, per address (what is left to them: the token endpoint and errors)."""


def client_address(request) -> str:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies the X-Forwarded-For entry they vouch for."""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


class SignInThrottle:
    """Failed sign-ins per user name and per address in a sliding-start window.

    A lock-out by user name lets a stranger lock a real user out for the window; that is the price of
    stopping a password guesser who rotates addresses, and the window is short (SIGNIN_WINDOW_SECONDS).
    """

    def __init__(self, *, username: str, address: str):
        self.keys = {
            f"signin:user:{username.strip().lower()}": settings.SIGNIN_MAX_FAILURES_PER_USER,
            f"signin:addr:{address}": settings.SIGNIN_MAX_FAILURES_PER_ADDRESS,
        }
        self.user_key = next(iter(self.keys))

    @property
    def cache(self):
        return caches["throttle"]

    def wait_seconds(self) -> int:
        """Seconds until a sign-in may be tried again; 0 when it may be tried now."""
        now = time.time()
        wait = 0.0
        for key, limit in self.keys.items():
            entry = self.cache.get(key)
            if entry and entry["failures"] >= limit:
                wait = max(wait, entry["until"] - now)
        return max(int(wait + 0.999), 0)

    def failed(self) -> None:
        now = time.time()
        window = settings.SIGNIN_WINDOW_SECONDS
        for key in self.keys:
            entry = self.cache.get(key) or {"failures": 0, "until": now + window}
            entry["failures"] += 1
            self.cache.set(key, entry, timeout=max(int(entry["until"] - now), 1))

    def succeeded(self) -> None:
        # The user's own count starts again; the address's does not (one address, many accounts tried).
        self.cache.delete(self.user_key)
