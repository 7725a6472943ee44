"""Every day is the store's day: a visit, today's stores, a claim week, a dashboard bucket and an
out-of-stock day are counted on the store's calendar, whatever day the server's clock (UTC) reads."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shelfai.stores.models import RepAssignment
from shelfai.stores.zones import local_date, local_day_bounds
from shelfai.visits import services
from shelfai.visits.models import Visit
from tests.visits.test_visit_lifecycle import check_in, send_photo

UTC = ZoneInfo("UTC")
SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 8)
# 07:30 on Monday in Shanghai is still Sunday 23:30 on the server.
MONDAY_0730_SHANGHAI = datetime(2026, 6, 8, 7, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def clock(monkeypatch):
    """Set the product's clock (``timezone.now``, which every product clock read goes through)."""

    class Clock:
        def set(self, moment: datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(UTC))

    return Clock()


@pytest.fixture
def shanghai(world):
    world.store.timezone = "Asia/Shanghai"
    world.store.save(update_fields=["timezone"])
    RepAssignment.objects.filter(rep=world.users["rep"]).update(starts_on=date(2026, 1, 1))
    return world


# --- The visit's day -------------------------------------------------------------------------------

def test_a_0730_visit_in_shanghai_on_monday_is_mondays(shanghai, rep_api, clock):
    assert MONDAY_0730_SHANGHAI.astimezone(UTC).date() == date(2026, 6, 7)  # the server's Sunday
    clock.set(MONDAY_0730_SHANGHAI)
    response = check_in(rep_api, "a")
    assert response.status_code == 201
    visit = Visit.objects.get(public_id=response.json()["id"])
    assert visit.local_date == MONDAY


def test_sundays_open_visit_is_not_resumed_on_monday_morning_though_the_server_still_reads_sunday(
        shanghai, rep_api, clock):
    clock.set(datetime(2026, 6, 7, 21, 0, tzinfo=SHANGHAI))  # Sunday evening in Shanghai, 13:00 UTC
    sunday = check_in(rep_api, "sun").json()["id"]
    clock.set(MONDAY_0730_SHANGHAI)  # 23:30 UTC, the same UTC day
    monday = check_in(rep_api, "mon").json()["id"]
    assert monday != sunday
    clock.set(datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI))
    assert check_in(rep_api, "mon-again").json()["id"] == monday  # Monday's visit resumed on Monday
    days = dict(Visit.objects.values_list("public_id", "local_date"))
    assert {str(k): v for k, v in days.items()} == {sunday: date(2026, 6, 7), monday: MONDAY}


# --- Today's stores and assignment weekdays --------------------------------------------------------

@pytest.fixture
def weekdays_only(shanghai):
    RepAssignment.objects.filter(rep=shanghai.users["rep"]).update(weekdays="1111100")  # Monday..Friday
    return shanghai


def todays_codes(client, **params) -> list[str]:
    return [s["code"] for s in client.get("/api/stores/", params).json()]


def test_a_weekdays_only_assignment_is_in_todays_stores_on_friday_in_the_stores_zone(weekdays_only, rep_api, clock):
    clock.set(datetime(2026, 6, 12, 4, 0, tzinfo=SHANGHAI))  # Friday 04:00 there, Thursday 20:00 UTC
    assert todays_codes(rep_api) == ["s1"]


def test_it_is_not_in_todays_stores_on_saturday_in_the_stores_zone(weekdays_only, rep_api, clock):
    clock.set(datetime(2026, 6, 13, 4, 0, tzinfo=SHANGHAI))  # Saturday 04:00 there, still Friday 20:00 UTC
    assert todays_codes(rep_api) == []
    # Off schedule the store is still the rep's: listed with all=1, and a check-in there is a visit.
    assert todays_codes(rep_api, all=1) == ["s1"]
    response = check_in(rep_api, "saturday")
    assert response.status_code == 201
    assert Visit.objects.get(public_id=response.json()["id"]).local_date == date(2026, 6, 13)


def test_an_outsider_store_is_never_in_todays_stores(weekdays_only, rep_api, clock):
    clock.set(datetime(2026, 6, 12, 4, 0, tzinfo=SHANGHAI))
    assert "s2" not in todays_codes(rep_api, all=1)
    assert check_in(rep_api, "x", store="s2").status_code == 404


# --- A claim week across a DST change ---------------------------------------------------------------

def test_a_claim_week_across_the_spring_dst_change_is_seven_local_days(world):
    """New York springs forward on Sunday 8 March 2026: that week's Sunday is 23 hours long."""
    from shelfai.claims.models import Campaign, PaidPlacement
    from shelfai.claims.selectors import visit_date, visits_for_placement
    from shelfai.compliance import placements as rules
    from shelfai.stores.models import Brand
    from shelfai.visits.models import Photo

    store = world.store
    store.timezone = "America/New_York"
    store.save(update_fields=["timezone"])
    hours = [(end - start) / timedelta(hours=1)
             for start, end in (local_day_bounds(store, date(2026, 3, 2) + timedelta(days=i)) for i in range(7))]
    assert hours == [24, 24, 24, 24, 24, 24, 23]  # seven days, none lost or doubled
    brand = Brand.objects.create(name="Gold", is_own=True)
    campaign = Campaign.objects.create(name="March", brand=brand, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 15))
    placement = PaidPlacement.objects.create(campaign=campaign, store=store, display_type="pos_material",
                                             starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 15),
                                             fee=Decimal("1400.00"))
    # Sunday 23:30 EDT is already Monday 03:30 in UTC: by the store's calendar it is the first week's.
    late_sunday = datetime(2026, 3, 8, 23, 30, tzinfo=NEW_YORK)
    visit = Visit.objects.create(rep=world.users["rep"], store=store, started_at=late_sunday)
    Photo.objects.create(visit=visit, uploaded_by=world.users["rep"], client_upload_id="p", original="x.jpg",
                         content_type="image/jpeg", file_ext="jpg", size_bytes=1, sha256="0" * 64, width=1, height=1)
    assert late_sunday.astimezone(UTC).date() == date(2026, 3, 9)
    assert visit_date(visit) == date(2026, 3, 8)

    first_week = list(visits_for_placement(placement=placement, start=date(2026, 3, 2), end=date(2026, 3, 8)))
    second_week = list(visits_for_placement(placement=placement, start=date(2026, 3, 9), end=date(2026, 3, 15)))
    assert [v.pk for v in first_week] == [visit.pk] and second_week == []

    spec = rules.PlacementSpec(display_type="pos_material", required=(), start=placement.starts_on,
                               end=placement.ends_on, fee=placement.fee)
    assessment = rules.assess_placement(spec, [rules.VisitEvidence(visit_date=visit_date(visit), confirmed=True,
                                                                   visit_id=visit.pk)])
    windows = [(w.start, w.end, str(w.status)) for w in assessment.windows]
    assert windows == [(date(2026, 3, 2), date(2026, 3, 8), "executed"),
                       (date(2026, 3, 9), date(2026, 3, 15), "unverified")]
    assert assessment.payable == Decimal("700.00")  # 7 of 14 local days, pro rata


def test_every_instant_of_the_autumn_dst_week_lands_on_one_of_its_seven_local_days(world):
    """Berlin falls back on Sunday 25 October 2026: the hour 02:00-03:00 happens twice, on one day."""
    world.store.timezone = "Europe/Berlin"
    start, _ = local_day_bounds(world.store, date(2026, 10, 19))  # Monday
    _, end = local_day_bounds(world.store, date(2026, 10, 25))  # Sunday
    half_hours = Counter()
    moment = start
    while moment < end:
        half_hours[local_date(world.store, moment)] += 1
        moment += timedelta(minutes=30)
    assert sorted(half_hours) == [date(2026, 10, 19) + timedelta(days=i) for i in range(7)]
    assert [half_hours[d] / 2 for d in sorted(half_hours)] == [24, 24, 24, 24, 24, 24, 25]


# --- Dashboard buckets and out-of-stock days ---------------------------------------------------------

def test_a_dashboard_bucket_and_an_out_of_stock_day_land_on_the_stores_day(shanghai, rep_api, clock, make_jpeg):
    from analytics import summaries
    from analytics.filters import Filters
    from analytics.models import StoreDay
    from analytics.selectors import visits_in_scope
    from shelfai.compliance.models import SkuObservation
    from shelfai.compliance.services import _record_observations
    from shelfai.stores.models import Brand, Category, Product

    clock.set(MONDAY_0730_SHANGHAI)
    visit_id = check_in(rep_api, "a").json()["id"]
    assert send_photo(rep_api, visit_id, make_jpeg).status_code == 202
    visit = Visit.objects.get(public_id=visit_id)

    summaries.rebuild_days([MONDAY - timedelta(days=1), MONDAY])
    assert list(StoreDay.objects.values_list("day", "visits")) == [(MONDAY, 1)]
    assert [v.pk for v in visits_in_scope(Filters(date_from=MONDAY, date_to=MONDAY))] == [visit.pk]
    assert list(visits_in_scope(Filters(date_from=MONDAY - timedelta(days=1), date_to=MONDAY - timedelta(days=1)))) \
        == []

    product = Product.objects.create(sku="gold-900", name="Gold", brand=Brand.objects.create(name="Gold"),
                                     category=Category.objects.create(name="Formula"))
    gone = SimpleNamespace(sku="gold-900", status="missing", observed_facings=0, expected_facings=2)
    _record_observations(visit, SimpleNamespace(skus=[gone]))
    observation = SkuObservation.objects.get(product=product)
    assert observation.out_of_stock and observation.observed_on == MONDAY  # forecasting's out-of-stock day


# --- Visits close ------------------------------------------------------------------------------------

def test_a_visit_closes_after_the_idle_minutes_and_not_before(shanghai, rep_api, clock, make_jpeg, settings):
    from shelfai.visits.tasks import close_stale_visits

    settings.VISIT_IDLE_CLOSE_MINUTES = 90
    clock.set(datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI))
    visit_id = check_in(rep_api, "a").json()["id"]
    last_photo = datetime(2026, 6, 8, 9, 20, tzinfo=SHANGHAI)
    clock.set(last_photo)
    send_photo(rep_api, visit_id, make_jpeg)

    clock.set(last_photo + timedelta(minutes=89))
    assert close_stale_visits() == 0
    assert Visit.objects.get(public_id=visit_id).status == Visit.Status.OPEN
    clock.set(last_photo + timedelta(minutes=91))
    assert close_stale_visits() == 1
    closed = Visit.objects.get(public_id=visit_id)
    assert closed.status == Visit.Status.CLOSED and closed.ended_at == last_photo  # at the last activity
    assert close_stale_visits() == 0


def test_checking_in_again_starts_the_idle_time_over(shanghai, rep_api, clock, settings):
    settings.VISIT_IDLE_CLOSE_MINUTES = 60
    clock.set(datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI))
    visit_id = check_in(rep_api, "a").json()["id"]
    clock.set(datetime(2026, 6, 8, 9, 50, tzinfo=SHANGHAI))
    assert check_in(rep_api, "b").json()["id"] == visit_id
    clock.set(datetime(2026, 6, 8, 10, 30, tzinfo=SHANGHAI))  # 90 minutes after the first check-in
    assert services.visits_close_idle(idle=timedelta(minutes=60)) == 0
    clock.set(datetime(2026, 6, 8, 10, 51, tzinfo=SHANGHAI))
    assert services.visits_close_idle(idle=timedelta(minutes=60)) == 1
    assert Visit.objects.get(public_id=visit_id).ended_at == datetime(2026, 6, 8, 9, 50, tzinfo=SHANGHAI)


def test_a_visit_still_open_when_its_stores_day_ends_is_closed_at_its_last_activity(shanghai, rep_api, clock):
    clock.set(datetime(2026, 6, 8, 23, 40, tzinfo=SHANGHAI))
    visit_id = check_in(rep_api, "a").json()["id"]
    clock.set(datetime(2026, 6, 8, 23, 59, tzinfo=SHANGHAI))
    assert services.visits_close_idle(idle=timedelta(hours=3)) == 0  # same day, not idle yet
    clock.set(datetime(2026, 6, 9, 0, 10, tzinfo=SHANGHAI))  # past midnight there; 16:10 UTC, same UTC day
    assert services.visits_close_idle(idle=timedelta(hours=3)) == 1
    closed = Visit.objects.get(public_id=visit_id)
    assert closed.status == Visit.Status.CLOSED
    assert closed.ended_at == datetime(2026, 6, 8, 23, 40, tzinfo=SHANGHAI)


def test_the_migration_fills_each_visits_day_from_its_stores_zone(shanghai):
    from importlib import import_module

    from django.apps import apps

    visit = Visit.objects.create(rep=shanghai.users["rep"], store=shanghai.store, started_at=MONDAY_0730_SHANGHAI)
    Visit.objects.filter(pk=visit.pk).update(local_date=date(2000, 1, 1))
    import_module("shelfai.visits.migrations.0007_visit_local_date_last_activity").fill(apps, None)
    visit.refresh_from_db()
    assert visit.local_date == MONDAY and visit.last_activity_at == MONDAY_0730_SHANGHAI


# --- Alerts: the store's missed day, the recipient's digest hour ------------------------------------

def test_store_unvisited_names_the_first_missed_local_day(shanghai, settings, clock):
    from shelfai.alerts import services as alerts

    settings.ALERTS_UNVISITED_GRACE_DAYS = 0
    settings.ALERTS_LOOKBACK_DAYS = 60
    RepAssignment.objects.filter(rep=shanghai.users["rep"]).update(starts_on=date(2026, 6, 1), weekdays="1000000")
    # Monday 1 June, 07:30 there (Sunday 31 May in UTC): that Monday was visited.
    Visit.objects.create(rep=shanghai.users["rep"], store=shanghai.store,
                         started_at=datetime(2026, 6, 1, 7, 30, tzinfo=SHANGHAI))
    now = datetime(2026, 6, 9, 0, 30, tzinfo=SHANGHAI)  # Tuesday there, still Monday 16:30 in UTC
    facts = [f for f, _ in alerts.facts_now(now.astimezone(UTC)) if f.rule == "store_unvisited"
             and f.data["assignment"] == RepAssignment.objects.get(rep=shanghai.users["rep"]).pk]
    assert [(f.data["first_missed"], f.data["missed_days"]) for f in facts] == [("2026-06-08", 1)]


def test_the_digest_goes_out_at_the_digest_hour_in_the_recipients_zone(world, settings, clock):
    from django.core import mail

    from shelfai.alerts import rules
    from shelfai.alerts import services as alerts
    from shelfai.alerts.models import AlertPreference

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALERTS_DIGEST_HOUR = 8
    from shelfai.accounts.models import Role, User

    in_shanghai = world.users["admin"]
    in_utc = User.objects.create_user("admin2", password="pw-admin2", role=Role.ADMIN)
    for user, zone in ((in_shanghai, "Asia/Shanghai"), (in_utc, "")):
        user.email, user.time_zone = f"{user.username}@example.com", zone
        user.save(update_fields=["email", "time_zone"])
        AlertPreference.objects.create(user=user, rule="photo_failed", frequency="digest")
    fact = rules.photo_failed(rules.FailedPhoto(id=1, public_id="photo-1", store="Riverside", reason="broken"))
    clock.set(datetime(2026, 6, 7, 12, 0, tzinfo=UTC))
    alerts.alert_record(fact, [in_shanghai, in_utc])

    at = datetime(2026, 6, 8, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    assert alerts.digests_send(at) == 1
    assert [m.to for m in mail.outbox] == [["admin@example.com"]]  # 00:30 is not 08:00 in UTC
    assert alerts.digests_send(datetime(2026, 6, 8, 8, 1, tzinfo=UTC)) == 1
    assert [m.to for m in mail.outbox][1:] == [["admin2@example.com"]]
