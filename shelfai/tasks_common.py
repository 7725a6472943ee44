"""What every task treats as transient: worth retrying with backoff, never anything else."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

# How the photo pipeline's tasks run: acknowledged after the work (a killed worker's task is
# redelivered), retried with exponential backoff and jitter on transient errors only.
PIPELINE_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}
