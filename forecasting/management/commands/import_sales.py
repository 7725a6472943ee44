"""python manage.py import_sales FILE.csv [--create-missing] [--encoding cp1252]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forecasting.services import sales_import


class Command(BaseCommand):
    help = (
        "Import daily sales from a CSV (date, store, sku, units; optional price, promo, display, revenue). "
        "The whole file is validated first: any problem and nothing is imported. Re-importing updates rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create placeholder stores and SKUs for unknown codes.",
        )
        parser.add_argument("--encoding", help="Read a non-UTF-8 file in this encoding, e.g. cp1252.")

    def handle(self, *args, file: Path, create_missing: bool, encoding: str | None, **options):
        if not file.is_file():
            raise CommandError(f"{file} does not exist or is not a file.")
        raw = file.read_bytes()
        self.stdout.write(f"Validating {file} ({len(raw) / 1e6:.1f} MB)...")
        last_shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total
            if percent // 10 != last_shown[0] // 10 or done == total:
                last_shown[0] = percent
                self.stdout.write(f"  imported {done:,} of {total:,} rows ({percent}%)")

        result = sales_import(raw=raw, create_missing=create_missing, encoding=encoding, progress=progress)
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            raise CommandError(f"{file}: {len(result.errors)} problem(s) listed above; nothing was imported.")
        for label, codes in (("stores", result.created_stores), ("SKUs", result.created_products)):
            if codes:
                self.stdout.write(
                    f"Created placeholder {label} (complete them in the admin): {', '.join(codes)}"
                )
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.rows:,} rows (dates read as {result.date_format}).")
        )
