"""The dashboard's summaries follow the source rows: new visits, rescoring, late commits, deletions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import selectors, summaries
from analytics.filters import Filters
from analytics.models import SkuDay, StoreDay, SummaryMark
from shelfai.compliance.models import ComplianceResult, SkuObservation
from tests.analytics.factories import photo_with_boxes, scored_visit

TODAY = timezone.localdate()
WEEK = Filters(date_from=TODAY - timedelta(days=6), date_to=TODAY)


@pytest.fixture
def visit(world, products):
    v = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=50,
                     observations={products["gold900"]: (0, 4, True)}, photos=0)
    photo_with_boxes(v, boxes=[])
    return v


def test_a_refresh_summarises_new_visits_photos_and_observations(visit, world, products):
    assert summaries.refresh_pending() == 1
    day = StoreDay.objects.get()
    assert (day.store, day.day, day.visits, day.scored_visits, day.score_sum, day.photos) == (
        world.store, TODAY - timedelta(days=1), 1, 1, 50.0, 1)
    by_region = {(r.region, r.product): (r.seen, r.oos, r.facings) for r in SkuDay.objects.all()}
    assert by_region == {(world.region, products["gold900"]): (1, 1, 0), (None, products["gold900"]): (1, 1, 0)}
    assert summaries.refresh_pending() == 0  # nothing new


def test_rescoring_replaces_a_visit_s_score_instead_of_adding_to_it(visit, products):
    summaries.refresh_pending()
    ComplianceResult.objects.filter(visit=visit).update(is_current=False)
    ComplianceResult.objects.create(scope="visit", visit=visit, score=Decimal("80"), confidence=0.9)
    SkuObservation.objects.filter(visit=visit).update(out_of_stock=False, facings=4)
    SkuObservation.objects.create(store=visit.store, product=products["baby"], visit=visit,
                                  observed_on=visit.started_at.date(), facings=2)
    summaries.refresh_pending()
    assert selectors.headline(WEEK).average_score == pytest.approx(80.0)
    everywhere = SkuDay.objects.filter(region__isnull=True).select_related("product")
    assert {r.product.sku: (r.seen, r.oos) for r in everywhere} == {"gold-900": (1, 0), "baby-900": (1, 0)}


def test_a_row_committed_late_below_the_mark_is_still_counted(visit, world):
    late = scored_visit(store=world.other_store, rep=world.users["rep"], day=TODAY, score=30)
    summaries.refresh_pending()
    # As if ``late`` had committed just after that refresh read past its id: marks beyond it, no summary.
    StoreDay.objects.filter(day=TODAY).delete()
    assert SummaryMark.objects.get(source="visit").last_id >= late.pk
    assert selectors.headline(WEEK).visits == 1
    scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=3), score=70)
    summaries.refresh_pending()  # the next refresh looks a little below its marks again
    assert selectors.headline(WEEK).visits == 3


def test_a_full_rebuild_forgets_deleted_visits(visit):
    summaries.refresh_pending()
    visit.photos.all().delete()
    visit.delete()
    assert selectors.headline(WEEK).visits == 1  # the summary still has it…
    summaries.refresh_all()
    assert selectors.headline(WEEK).visits == 0  # …until the nightly rebuild


def test_the_dashboard_refreshes_before_it_reads(marketing_client, visit):
    assert marketing_client.get("/analytics/").context["headline"].visits == 1
