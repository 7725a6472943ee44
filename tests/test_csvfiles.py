"""One way of reading uploaded CSVs for claims and sales: what a sender notices when their file is read,
or refused, whichever importer it goes to."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecasting.csv_import import parse_sales_csv
from shelfai import csvfiles

# Chinese Excel's plain "CSV" is GBK/GB18030; "CSV UTF-8" adds a BOM; "Unicode text" is UTF-16 with tabs.
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16"]
SALES = (
    "date,store,sku,units\n"
    "2025-03-01,上海徐汇店,奶粉-900,12\n"
    "2025-03-01,北京朝阳店,奶粉-900,7\n"
    "2025-03-02,上海徐汇店,奶粉-900,3\n"
)


def encoded(text: str, encoding: str) -> bytes:
    return (text.replace(",", "\t") if encoding == "utf-16" else text).encode(encoding)


# --- decoding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_accepted_encoding_gives_the_same_text(encoding):
    assert csvfiles.decode("门店,金额\n华润万家,1250.00\n".encode(encoding)) == "门店,金额\n华润万家,1250.00\n"


def test_a_western_file_is_refused_naming_the_line_the_byte_and_the_encodings_tried():
    # GB18030 would decode these bytes (ü followed by a letter is a valid GBK pair); we refuse instead of
    # turning "Müller" into an ideograph.
    with pytest.raises(csvfiles.EncodingError) as refused:
        csvfiles.decode("store,name\ns1,Müller\n".encode("cp1252"))
    message = str(refused.value)
    assert message.startswith("The file is not UTF-8: line 2 has byte 0xfc")
    assert "UTF-8, UTF-16 (with a byte-order mark) and GB18030" in message and "CSV UTF-8" in message


def test_a_chinese_file_with_a_rare_character_is_still_read():
    names = "喆" + "华润万家上海徐汇店" * 3  # one character outside GB2312 among common ones
    assert csvfiles.decode(f"store\n{names}\n".encode("gb18030")) == f"store\n{names}\n"


@pytest.mark.parametrize("raw, words", [
    ("store,units\n".encode("utf-16-le"), "NUL bytes"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook (.xlsx), not a CSV"),
    (b"\xef\xbb\xbfstore\n\xd6\xd0\xce\xc4\n", "not UTF-8"),  # a UTF-8 BOM promises UTF-8: no second guess
])
def test_files_that_are_not_csv_text_are_refused_saying_what_they_look_like(raw, words):
    with pytest.raises(csvfiles.CsvFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        csvfiles.decode(raw)


# --- delimiters and header ------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_files_read_alike(delimiter):
    header = delimiter.join([" Date ", "STORE", f'"a{delimiter}b"'])
    table = csvfiles.read_table(f"\ufeff{header}\n\n" + delimiter.join(["2025-03-01", "s1", "x"]) + "\n")
    assert table.header == ["date", "store", f"a{delimiter}b"]
    assert list(table.rows) == [(3, ["2025-03-01", "s1", "x"])]  # the blank line is skipped, numbering is not


def test_broken_csv_names_the_line():
    table = csvfiles.read_table("a,b\n" + "1,2\n" * 3 + '3,"' + "x" * 200_000 + "\n")
    with pytest.raises(csvfiles.CsvFileError, match="near line 5"):
        list(table.rows)


# --- dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, label", [
    (["2025-03-01", "2025-03-02"], "YYYY-MM-DD"),
    (["25.03.2025"], "DD.MM.YYYY"),
    (["03/04/2025", "13/04/2025"], "DD/MM/YYYY"),  # the 13th settles the order for the whole file
    (["04/03/2025", "04/13/2025"], "MM/DD/YYYY"),
    (["2025/3/1"], "YYYY/MM/DD"),  # Chinese Excel's short date
])
def test_each_accepted_date_format_is_recognised(values, label):
    fmt, problem = csvfiles.choose_date_format(values)
    assert problem is None and csvfiles.FORMAT_LABELS[fmt] == label


def test_day_month_order_is_never_guessed():
    fmt, problem = csvfiles.choose_date_format(["03/04/2025", "05/06/2025"])
    assert fmt is None and "'03/04/2025' could be day/month or month/day" in problem and "YYYY-MM-DD" in problem


@pytest.mark.parametrize("text, words", [
    ("", "is empty."),
    ("2025-02-30", "'2025-02-30' is not a real calendar date (YYYY-MM-DD)."),
    ("01.03.2025", "is not in the file's format (YYYY-MM-DD); use one date format for the whole file."),
    ("tomorrow", "'tomorrow' is not a date: write it as YYYY-MM-DD"),
    ("2025-W09-6", "is not a date"),  # an ISO week date, which date.fromisoformat would take
])
def test_a_bad_date_says_what_is_wrong(text, words):
    with pytest.raises(csvfiles.DateValueError) as refused:
        csvfiles.date_parser("%Y-%m-%d")(text)
    assert words in str(refused.value)


# --- the sales import -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_chinese_sales_file_parses_the_same_in_every_encoding(encoding):
    parsed = parse_sales_csv(encoded(SALES, encoding))
    twin = parse_sales_csv(SALES.encode())
    assert parsed.ok, parsed.report()
    assert parsed.rows == twin.rows and parsed.rows[1].store == "北京朝阳店"


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_a_chinese_sales_file_imports_like_its_utf8_twin(encoding):
    from forecasting.models import SalesRecord
    from forecasting.services import sales_import

    def imported():
        rows = SalesRecord.objects.order_by("date", "store__code").values_list("date", "store__name", "units")
        return list(rows)

    assert sales_import(raw=SALES.encode(), create_missing=True).ok
    twin = imported()
    SalesRecord.objects.all().delete()
    result = sales_import(raw=encoded(SALES, encoding), create_missing=True)
    assert result.ok, result.errors
    assert imported() == twin and (date(2025, 3, 1), "北京朝阳店", Decimal(7)) in twin


def test_a_bad_sales_date_names_its_line():
    parsed = parse_sales_csv(SALES.replace("2025-03-02", "2025-02-30").encode("gb18030"))
    assert parsed.errors == ["line 4: date '2025-02-30' is not a real calendar date (YYYY-MM-DD)."]


# --- the claims import ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # world creates five users; the default hasher would make that most of these tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def placement(world):
    from shelfai.claims.models import Campaign, PaidPlacement
    from shelfai.stores.models import Brand

    start = date.today() - timedelta(days=35)
    campaign = Campaign.objects.create(name="春节堆头", brand=Brand.objects.create(name="金装", is_own=True),
                                       starts_on=start, ends_on=start + timedelta(days=27))
    return PaidPlacement.objects.create(campaign=campaign, store=world.store, display_type="end_cap",
                                        starts_on=start, ends_on=start + timedelta(days=27), fee=Decimal("1000"))


def claims_file(placement, start: str | None = None, end: str | None = None) -> str:
    start = start or placement.starts_on.isoformat()
    end = end or (placement.starts_on + timedelta(days=13)).isoformat()
    return ("reference,store,campaign,display_type,period_start,period_end,amount,claimant\n"
            f"华润-001,s1,春节堆头,End-cap,{start},{end},400.00,华润万家 上海分公司\n")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_chinese_claims_file_imports_the_same_in_every_encoding(world, placement, encoding):
    from shelfai.claims.csv_import import claims_import_csv

    report = claims_import_csv(file=encoded(claims_file(placement), encoding),
                               submitted_by=world.users["finance"], source="retailer")
    assert report.ok, report.as_dict()
    [claim] = report.claims
    assert (claim.reference, claim.claimant_name, claim.total_amount) == ("华润-001", "华润万家 上海分公司",
                                                                          Decimal("400.00"))
    assert claim.lines.get().placement == placement


def test_claims_read_the_same_date_formats_as_sales(world, placement):
    from shelfai.claims.csv_import import claims_import_csv

    start, end = placement.starts_on, placement.starts_on + timedelta(days=13)
    text = claims_file(placement, start.strftime("%d.%m.%Y"), end.strftime("%d.%m.%Y"))
    report = claims_import_csv(file=text.encode("gb18030"), submitted_by=world.users["finance"], source="retailer")
    assert report.ok, report.as_dict()
    assert (report.claims[0].lines.get().period_start, report.claims[0].lines.get().period_end) == (start, end)


def test_a_bad_claims_date_names_its_line(world, placement):
    from shelfai.claims.csv_import import claims_import_csv

    report = claims_import_csv(file=claims_file(placement, start="2026-02-30").encode("gb18030"),
                               submitted_by=world.users["finance"], source="retailer")
    assert report.as_dict()["lines"] == [{"line": 2, "reference": "华润-001", "ok": False, "errors": [
        "period_start '2026-02-30' is not a real calendar date (YYYY-MM-DD)."]}]


def test_an_ambiguous_claims_file_is_refused_whole(world, placement):
    from shelfai.claims.csv_import import claims_import_csv

    text = ("reference,store,campaign,display_type,period_start,period_end,amount\n"
            "R-1,s1,春节堆头,End-cap,03/04/2026,05/04/2026,100\n")
    report = claims_import_csv(file=text.encode(), submitted_by=world.users["finance"], source="retailer")
    assert not report.ok and "could be day/month or month/day" in report.file_errors[0]
