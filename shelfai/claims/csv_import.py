"""Bulk claims from retailers and distributors: a CSV in, a line-by-line report out.

A file is all or nothing: every line is validated first, and only a file without a single bad line
is written, in one transaction. The report names each line by its number in the file (the header
is line 1) and says what is wrong with it in words the sender can fix.

Columns (header names are case-insensitive, order is free):
    reference     the sender's claim number; lines sharing one become one claim with several lines
    store         store code
    placement     placement id — or, instead, the two columns below
    campaign      campaign id or exact name
    display_type  end_cap, floor_stand, extra_facings, eye_level, shelf_strip, pos_material, other
                  (or their labels, e.g. "End-cap")
    period_start  YYYY-MM-DD (or one of the other date formats of shelfai.csvfiles, the same in the whole
    period_end    file; day/month order that no date settles is refused, never guessed)
    amount        e.g. 1250.00 — a dot for decimals, no thousands separator, no currency sign
    claimant      optional: the retailer or distributor's name

Encodings (UTF-8, UTF-16 with a BOM, GB18030), delimiters (comma, semicolon, tab) and dates are read by
``shelfai.csvfiles``, as for sales files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shelfai import csvfiles
from shelfai.accounts.models import User
from shelfai.claims import services
from shelfai.claims.models import Campaign, ExpenseClaim, PaidPlacement
from shelfai.stores.models import Store

REQUIRED_COLUMNS = ("reference", "store", "period_start", "period_end", "amount")
OPTIONAL_COLUMNS = ("placement", "campaign", "display_type", "claimant")


@dataclass
class LineReport:
    line: int
    reference: str
    errors: list[str] = field(default_factory=list)
    placement_id: int | None = None
    amount: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    """What happened to a file. ``ok`` is true only when every line was valid and the file was stored."""

    file_errors: list[str] = field(default_factory=list)
    lines: list[LineReport] = field(default_factory=list)
    claims: list[ExpenseClaim] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(line.ok for line in self.lines) and bool(self.claims)

    @property
    def bad_lines(self) -> list[LineReport]:
        return [line for line in self.lines if not line.ok]

    def summary(self) -> str:
        if self.ok:
            count = sum(claim.lines.count() for claim in self.claims)
            return _("Imported %(claims)s with %(lines)s.") % {
                "claims": ngettext("%(n)s claim", "%(n)s claims", len(self.claims)) % {"n": len(self.claims)},
                "lines": ngettext("%(n)s line", "%(n)s lines", count) % {"n": count}}
        if self.file_errors:
            return _("Nothing was imported: %(errors)s") % {"errors": " ".join(self.file_errors)}
        return _("Nothing was imported: %(bad)s of %(total)s lines have problems. Fix them and upload the whole "
                 "file again.") % {"bad": len(self.bad_lines), "total": len(self.lines)}

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "detail": self.summary(),
            "file_errors": self.file_errors,
            "lines": [
                {"line": ln.line, "reference": ln.reference, "ok": ln.ok, "errors": ln.errors}
                for ln in self.lines
            ],
            "claims": [claim.reference for claim in self.claims],
        }


def claims_import_csv(*, file, submitted_by: User, source: str) -> ImportReport:
    """Validate a claims CSV and, when every line is good, store its claims in one transaction."""
    report = ImportReport()
    if source not in (ExpenseClaim.Source.RETAILER, ExpenseClaim.Source.DISTRIBUTOR):
        report.file_errors.append(_("Choose the source of the file: retailer or distributor."))
        return report
    rows = _read_rows(file, report)
    if rows is None:
        return report
    parsed = _validate_rows(rows, report)
    if report.file_errors or report.bad_lines:
        return report
    try:
        report.claims = services.claims_create(
            submitted_by=submitted_by, source=source, claims=parsed, audit_action="claims.imported"
        )
    except services.ClaimLinesRefused as exc:
        # Another import or submission got there between validation and writing: report it per line.
        by_number = {line.line: line for line in report.lines}
        for line_no, problems in exc.problems.items():
            by_number[line_no].errors.extend(problems)
    return report


def _read_rows(file, report: ImportReport) -> list[tuple[int, dict[str, str]]] | None:
    max_bytes, max_lines = settings.CLAIMS_CSV_MAX_BYTES, settings.CLAIMS_CSV_MAX_LINES
    data = file.read(max_bytes + 1) if hasattr(file, "read") else file
    if isinstance(data, str):
        data = data.encode()
    if len(data) > max_bytes:
        limit = (_("%(n)s MB") % {"n": f"{max_bytes / 1e6:.0f}"} if max_bytes >= 1e6
                 else _("%(n)s bytes") % {"n": max_bytes})
        report.file_errors.append(_("The file is larger than %(limit)s, the limit; split it into smaller files.") % {
            "limit": limit})
        return None
    try:
        table = csvfiles.read_table(data)
        header = table.header
        if not header:
            report.file_errors.append(_("The file is empty."))
            return None
        if not _header_ok(header, report):
            return None
        rows = []
        for line_no, values in table.rows:
            if len(rows) >= max_lines:
                report.file_errors.append(_("The file has more than %(n)s lines; split it into smaller files.") % {
                    "n": max_lines})
                return None
            if len(values) != len(header):
                report.lines.append(LineReport(line_no, "", [
                    _("Has %(values)s values but the header has %(columns)s columns.") % {
                        "values": len(values), "columns": len(header)}]))
                continue
            rows.append((line_no, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    except csvfiles.CsvFileError as exc:
        report.file_errors.append(str(exc))
        return None
    if not rows and not report.lines:
        report.file_errors.append(_("The file has a header but no claim lines."))
    return rows


def _header_ok(header: list[str], report: ImportReport) -> bool:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    expected = _("%(columns)s and placement (or campaign and display_type)") % {"columns": ", ".join(REQUIRED_COLUMNS)}
    unknown = [name for name in header if name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if unknown:
        report.file_errors.append(_("Unknown columns: %(columns)s.") % {
            "columns": ", ".join(unknown) or _("(empty name)")})
    if missing:
        report.file_errors.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if duplicated:
        report.file_errors.append(_("Columns appear twice: %(columns)s.") % {"columns": ", ".join(duplicated)})
    if "placement" not in header and not {"campaign", "display_type"} <= set(header):
        report.file_errors.append(_("Give a placement column, or both campaign and display_type columns."))
    if report.file_errors:
        report.file_errors.append(_("Expected columns: %(columns)s.") % {"columns": expected})
        return False
    return True


def _validate_rows(rows, report: ImportReport) -> list[services.ClaimInput]:
    # One date format for the whole file, as for sales; a file with no readable date falls back to ISO
    # so that each line says what to write.
    fmt, problem = csvfiles.choose_date_format(
        row[column] for _, row in rows for column in ("period_start", "period_end"))
    if problem:
        report.file_errors.append(problem)
        return []
    parse_date = csvfiles.date_parser(fmt or csvfiles.ISO_FORMAT)
    codes = {r["store"] for _, r in rows} | {r["store"].lower() for _, r in rows}
    stores = {s.code.lower(): s for s in Store.objects.filter(code__in=codes)}
    taken = set(ExpenseClaim.objects.filter(reference__in={r["reference"] for _, r in rows})
                .values_list("reference", flat=True))
    claims: dict[str, services.ClaimInput] = {}
    accepted: list[services.LineInput] = []
    for line_no, row in rows:
        line = LineReport(line_no, row["reference"], amount=row["amount"])
        report.lines.append(line)
        claim_line = _parse_line(row, stores, taken, line, parse_date)
        if claim_line is None:
            continue
        line.errors.extend(services.claim_line_problems(line=claim_line, earlier=accepted))
        claim = claims.setdefault(row["reference"], services.ClaimInput(
            reference=row["reference"], claimant_name=row.get("claimant", ""), lines=[]))
        if row.get("claimant") and claim.claimant_name != row["claimant"]:
            line.errors.append(
                _("Claimant '%(claimant)s' differs from '%(earlier)s' on an earlier line of claim %(reference)s.") % {
                    "claimant": row["claimant"], "earlier": claim.claimant_name, "reference": row["reference"]})
        if line.ok:
            accepted.append(claim_line)
            claim.lines.append(claim_line)
    report.lines.sort(key=lambda ln: ln.line)
    return list(claims.values())


def _parse_line(row: dict[str, str], stores: dict[str, Store], taken: set[str], line: LineReport,
                parse_date: Callable[[str], date]) -> services.LineInput | None:
    errors = line.errors
    reference = row["reference"]
    if not reference:
        errors.append(_("reference is empty."))
    elif len(reference) > 64:
        errors.append(_("reference is longer than 64 characters."))
    elif reference in taken:
        errors.append(_("Claim reference %(reference)s was already imported; a claim is imported once.") % {
            "reference": reference})
    store = stores.get(row["store"].lower())
    if store is None:
        errors.append(_("Unknown store '%(store)s'. Use the store code from your contract.") % {"store": row["store"]}
                      if row["store"] else _("store is empty."))
    start = _parse_date(row["period_start"], "period_start", errors, parse_date)
    end = _parse_date(row["period_end"], "period_end", errors, parse_date)
    if start and end and end < start:
        errors.append(_("period_end %(end)s is before period_start %(start)s.") % {"end": end, "start": start})
    amount = parse_amount(row["amount"], errors)
    placement = _resolve_placement(row, store, start, end, errors) if store else None
    if errors or placement is None:
        return None
    line.placement_id = placement.pk
    return services.LineInput(placement=placement, period_start=start, period_end=end, amount=amount,
                              line_no=line.line)


def _parse_date(value: str, column: str, errors: list[str], parse: Callable[[str], date]) -> date | None:
    try:
        return parse(value)
    except csvfiles.DateValueError as exc:
        # Translators: a column name and what is wrong with its value, e.g. "period_start is empty."
        errors.append(_("%(column)s %(problem)s") % {"column": column, "problem": exc})
        return None


AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def parse_amount(value: str, errors: list[str], column: str = "amount") -> Decimal | None:
    """Parse a money amount strictly: ``1250`` or ``1250.50``; anything else says what is wrong."""
    value = value.strip()
    if not value:
        errors.append(_("%(column)s is empty.") % {"column": column})
    elif value.startswith("-") and AMOUNT.match(value[1:]):
        errors.append(_("%(column)s %(value)s is negative; claim a positive amount.") % {"column": column,
                                                                                          "value": value})
    elif re.match(r"^\d+\.\d{3,}$", value):
        errors.append(_("%(column)s %(value)s has more than 2 decimals.") % {"column": column, "value": value})
    elif not AMOUNT.match(value):
        errors.append(_(
            "%(column)s '%(value)s' is not a number: use digits with a dot for decimals, e.g. 1250.50, without "
            "currency signs or thousands separators.") % {"column": column, "value": value})
    elif Decimal(value) <= 0:
        errors.append(_("%(column)s must be more than 0.") % {"column": column})
    else:
        return Decimal(value).quantize(Decimal("0.01"))
    return None


def _resolve_placement(row, store: Store, start: date | None, end: date | None, errors: list[str]
                       ) -> PaidPlacement | None:
    if row.get("placement"):
        if not row["placement"].isdigit():
            errors.append(_("placement '%(value)s' is not a placement id (a whole number).") % {
                "value": row["placement"]})
            return None
        placement = PaidPlacement.objects.select_related("store").filter(pk=int(row["placement"])).first()
        if placement is None:
            errors.append(_("No placement with id %(id)s.") % {"id": row["placement"]})
        elif placement.store_id != store.pk:
            errors.append(_("Placement %(id)s is at store %(store)s, not %(other)s.") % {
                "id": placement.pk, "store": placement.store.code, "other": store.code})
            return None
        return placement
    campaign_value, type_value = row.get("campaign", ""), row.get("display_type", "")
    if not campaign_value or not type_value:
        errors.append(_("Give a placement id, or both campaign and display_type."))
        return None
    campaigns = Campaign.objects.filter(pk=int(campaign_value)) if campaign_value.isdigit() else (
        Campaign.objects.filter(name__iexact=campaign_value))
    display_type = _display_type(type_value)
    if display_type is None:
        choices = ", ".join(PaidPlacement.DisplayType.values)
        errors.append(_("display_type '%(value)s' is not one of: %(choices)s.") % {"value": type_value,
                                                                                    "choices": choices})
        return None
    if not campaigns.exists():
        errors.append(_("Unknown campaign '%(campaign)s'.") % {"campaign": campaign_value})
        return None
    placements = PaidPlacement.objects.filter(campaign__in=campaigns, store=store, display_type=display_type)
    if start and end and placements.count() > 1:
        placements = placements.filter(starts_on__lte=end, ends_on__gte=start)
    found = list(placements.select_related("store")[:2])
    if not found:
        errors.append(_("No %(type)s placement of campaign '%(campaign)s' at store %(store)s.") % {
            "type": type_value, "campaign": campaign_value, "store": store.code})
    elif len(found) > 1:
        errors.append(_("Several %(type)s placements of campaign '%(campaign)s' at store %(store)s match; give the "
                        "placement id instead.") % {"type": type_value, "campaign": campaign_value,
                                                    "store": store.code})
    return found[0] if len(found) == 1 else None


def _display_type(value: str) -> str | None:
    value = value.strip().lower()
    for choice, label in PaidPlacement.DisplayType.choices:
        if value in (choice, label.lower(), choice.replace("_", " "), choice.replace("_", "-")):
            return choice
    return None
