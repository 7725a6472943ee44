"""`seed_demo --region cn`: a Chinese dairy brand's world, and the default world's stores in their real zones."""

import io
from datetime import date, timedelta

import pandas as pd
import pytest
from django.core.management import call_command
from django.db.models import Sum

from forecasting.model import lunar_new_years, spring_festival_calendar
from forecasting.models import SalesRecord
from shelfai.accounts.models import Role, User
from shelfai.claims.models import Campaign, PaidPlacement
from shelfai.stores.models import Product, Store

pytestmark = pytest.mark.django_db


def last_new_year() -> date:
    today = date.today()
    days = lunar_new_years(spring_festival_calendar(today.year - 1, today.year))
    return max(day.date() for day in days if day.date() < today - timedelta(days=7))


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", no_history=True, no_forecast=True, stdout=out, **options)
    return out.getvalue()


def test_the_default_world_stores_stand_in_their_citys_time_zone():
    seed(stores=3, sales_days=1)

    assert set(Store.objects.values_list("timezone", flat=True)) == {"Europe/Berlin"}
    assert Store.objects.filter(name="FreshCo North 1").exists()  # the world it always was


def test_the_chinese_world_has_chinese_stores_in_chinese_time():
    output = seed(region="cn", stores=9, sales_days=1)

    shanghai = Store.objects.get(code="cn001")
    assert shanghai.name == "惠邻超市上海徐汇店"
    assert shanghai.address.startswith("上海市徐汇区")
    assert shanghai.region.name == "华东" and shanghai.timezone == "Asia/Shanghai"
    assert 31.0 < shanghai.latitude < 31.5 and 121.2 < shanghai.longitude < 121.7
    urumqi = Store.objects.get(code="cn009")
    assert "乌鲁木齐" in urumqi.name and urumqi.timezone == "Asia/Urumqi" and urumqi.region.name == "西北"
    assert {"华东", "华北", "华南"} <= set(Store.objects.values_list("region__name", flat=True))
    assert Product.objects.filter(brand__name="云岭牧场", brand__is_own=True, unit_price__gt=100).exists()
    assert "FORECAST_COUNTRY=CN" in output  # the test settings forecast with the US calendar
    if "currency" in {f.name for f in Campaign._meta.get_fields()}:
        assert set(Campaign.objects.values_list("currency", flat=True)) == {"CNY"}
    else:  # every amount reads in settings.CURRENCY (EUR in the tests): the command says what to set
        assert "CURRENCY=CNY" in output


def test_the_brands_people_read_chinese_and_the_administrator_keeps_the_browsers_language():
    seed(region="cn", stores=2, sales_days=1)

    for username in ("rep1", "marketing", "finance", "planning"):
        user = User.objects.get(username=username)
        assert (user.language, user.time_zone) == ("zh-hans", "Asia/Shanghai")
    assert User.objects.get(role=Role.ADMIN).language == ""


def test_a_campaign_runs_over_the_next_spring_festival_and_one_ran_over_the_last():
    seed(region="cn", stores=2, sales_days=1)

    coming = Campaign.objects.get(name="云岭牧场 春节礼盒端架")
    calendar = spring_festival_calendar(date.today().year, date.today().year + 1)
    new_years = [day.date() for day in lunar_new_years(calendar)]
    assert any(coming.starts_on < day <= coming.ends_on for day in new_years if day >= date.today())
    past = Campaign.objects.get(name="晨露 春节地堆")
    assert past.starts_on < last_new_year() <= past.ends_on
    assert PaidPlacement.objects.filter(campaign=coming, fee=3500).count() == 2


def test_sales_rise_in_the_spring_festival_week_and_the_week_before():
    new_year = last_new_year()
    seed(region="cn", stores=2, sales_days=(date.today() - new_year).days + 60)

    festival_monday = pd.Timestamp(new_year).to_period("W-SUN").start_time.date()
    weeks = {}
    for offset in range(-5, 4):
        monday = festival_monday + timedelta(weeks=offset)
        # A competitor's sales: no campaign of ours moves them.
        rows = SalesRecord.objects.filter(
            date__gte=monday, date__lt=monday + timedelta(days=7), product__brand__name="牧歌"
        )
        weeks[offset] = float(rows.aggregate(total=Sum("units"))["total"])
    usual = sum(weeks[k] for k in (-5, -4, -3, 2, 3)) / 5
    assert weeks[-1] > 1.3 * usual, weeks  # the stock-up (+50% in truth)
    assert weeks[0] > 1.15 * usual, weeks  # the festival week (+30%)


def test_seeding_the_chinese_world_twice_changes_nothing():
    seed(region="cn", stores=2, sales_days=3)
    counts = (Store.objects.count(), Product.objects.count(), Campaign.objects.count(), SalesRecord.objects.count())

    seed(region="cn", stores=2, sales_days=3)

    assert (Store.objects.count(), Product.objects.count(), Campaign.objects.count(),
            SalesRecord.objects.count()) == counts
