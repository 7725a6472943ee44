"""What every task treats as transient: worth retrying with backoff, never anything else."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
