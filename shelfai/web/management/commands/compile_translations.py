"""Compile every ``locale/*/LC_MESSAGES/*.po`` to its ``.mo`` with Babel: pure Python, so a newcomer's
machine needs no GNU gettext (``msgfmt``). ``make run`` and ``make test`` run it; only stale files are
rewritten. Fuzzy entries are left out, as ``msgfmt`` does: a guessed translation is never shown.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def po_files() -> list[Path]:
    return sorted(p for folder in settings.LOCALE_PATHS for p in Path(folder).glob("*/LC_MESSAGES/*.po"))


def compile_po(po: Path) -> Path:
    mo = po.with_suffix(".mo")
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    # Babel reads "10% lower" as a placeholder; a msgid flagged no-python-format is never %-formatted.
    errors = [(message.id, error) for message, errs in catalog.check() for error in errs
              if "no-python-format" not in message.flags]
    if errors:
        raise CommandError(f"{po}: " + "; ".join(f"{msgid!r}: {error}" for msgid, error in errors[:10]))
    with mo.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=False)
    return mo


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo (Babel; no GNU gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rewrite every .mo, stale or not.")

    def handle(self, *args, force: bool = False, **options):
        compiled = 0
        for po in po_files():
            mo = po.with_suffix(".mo")
            if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            compile_po(po)
            compiled += 1
            self.stdout.write(f"compiled {mo}")
        if not compiled:
            self.stdout.write("translations up to date")
