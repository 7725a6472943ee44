"""Rules over stored facts, one alert per fact however many sweeps see it, e-mailed through Django's backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shelfai.alerts import services
from shelfai.alerts.models import Alert, AlertPreference, Notification
from shelfai.claims.models import PlacementCheck

pytestmark = pytest.mark.django_db


def check(placement, visit, verdict):
    return PlacementCheck.objects.create(placement=placement, visit=visit, verdict=verdict,
                                         checked_on=timezone.localdate(visit.started_at))


def test_marketing_hears_once_about_each_week_a_paid_display_was_missing(people, shop, executed_visit):
    from tests.claims.conftest import visit_on

    # Week 1 executed, week 2 found absent, weeks 3 and 4 nobody photographed it.
    v1, _ = executed_visit(shop.start + timedelta(days=2))
    check(shop.placement, v1, "executed")
    check(shop.placement, visit_on(shop, shop.start + timedelta(days=9)), "not_executed")
    for placement in (shop.other_placement,):  # the other store's stand was seen every week
        for week in range(4):
            check(placement, visit_on(shop, shop.start + timedelta(days=7 * week + 1), store=shop.other_store,
                                      rep=shop.users["other_rep"]), "executed")
    services.alerts_evaluate()
    alerts = Alert.objects.filter(rule="display_missing").order_by("key")
    assert [a.data["state"] for a in alerts] == ["absent", "not verified", "not verified"]
    assert all(a.data["placement"] == shop.placement.pk for a in alerts)
    notes = Notification.objects.filter(user=people.users["marketing"], alert__rule="display_missing")
    assert notes.count() == 3 and {n.frequency for n in notes} == {"digest"}  # marketing's default: daily
    assert not [m for m in mail.outbox if m.to == ["marketing@example.com"]]

    services.alerts_evaluate()  # the next sweep sees the same facts: nothing new
    assert Alert.objects.filter(rule="display_missing").count() == 3 and notes.count() == 3
    services.digests_send()
    to_marketing = [m for m in mail.outbox if m.to == ["marketing@example.com"]]
    assert len(to_marketing) == 1 and "3 alerts" in to_marketing[0].subject
    assert to_marketing[0].body.count("Paid display") == 3 and "absent for the week of" in to_marketing[0].body
    assert "/analytics/placements/" in to_marketing[0].body


def test_a_marketer_who_wants_display_alerts_at_once_gets_each_week_once(people, shop):
    AlertPreference.objects.create(user=people.users["marketing"], rule="display_missing", frequency="immediate")
    services.alerts_evaluate()
    services.alerts_evaluate()
    to_marketing = [m.subject for m in mail.outbox if m.to == ["marketing@example.com"]]
    # Nobody photographed either display: 2 displays x 4 whole weeks, each e-mailed once.
    assert len(to_marketing) == len(set(to_marketing)) == 8
    assert all("not verified for the week of" in s for s in to_marketing)


def test_finance_is_told_when_a_claims_evidence_is_flagged_critical(people, shop, executed_visit, claim_for):
    from shelfai.claims.evidence import claim_evidence_refresh
    from shelfai.visits.models import AuthenticityFlag

    _, photo = executed_visit(shop.start + timedelta(days=2))
    AuthenticityFlag.objects.create(photo=photo, code="near_duplicate", severity="critical", weight=0.0,
                                    reason="This photo is a copy of one taken at another store.")
    claim = claim_evidence_refresh(claim=claim_for())
    services.alerts_evaluate()
    alert = Alert.objects.get(rule="claim_critical")
    assert alert.data["claim"] == claim.pk and claim.reference in alert.subject
    finance = [m for m in mail.outbox if m.to == ["finance@example.com"]]
    assert len(finance) == 1 and "copy of one taken at another store" in finance[0].body
    assert f"/claims/{claim.pk}/" in finance[0].body
    assert not [m for m in mail.outbox if m.to == ["marketing@example.com"] and "Claim" in m.subject]


def test_a_reps_manager_hears_when_the_reps_store_goes_unvisited(people, settings):
    from shelfai.stores.models import RepAssignment

    settings.ALERTS_UNVISITED_GRACE_DAYS = 1
    RepAssignment.objects.filter(rep=people.users["rep"]).update(starts_on=timezone.localdate() - timedelta(days=10))
    services.alerts_evaluate()
    alert = Alert.objects.get(rule="store_unvisited", data__assignment=RepAssignment.objects.get(
        rep=people.users["rep"]).pk)
    note = Notification.objects.get(alert=alert)
    assert note.user == people.users["boss"] and note.frequency == "digest"  # managers: a daily digest by default
    # other_rep has no manager: the admins hear about their store instead.
    other = Alert.objects.get(rule="store_unvisited", subject__contains="other_rep")
    assert list(other.notifications.values_list("user__username", flat=True)) == ["admin"]


def test_admins_are_emailed_at_once_about_a_failed_photo_and_its_reason(people, shop, executed_visit):
    from shelfai.visits.models import Photo

    _, photo = executed_visit(shop.start)
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.FAILED, finished_at=timezone.now(),
                                             status_reason="Analysis failed unexpectedly (ValueError).")
    services.alerts_evaluate()
    to_admin = [m for m in mail.outbox if m.to == ["admin@example.com"] and "Photo failed" in m.subject]
    assert len(to_admin) == 1 and "Analysis failed unexpectedly" in to_admin[0].body


def test_a_backed_up_queue_alerts_the_admins_once_a_day(people, monkeypatch, settings):
    settings.ALERTS_QUEUE_MAX_DEPTH = 50
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: 80 if queue == "gpu" else 0)
    services.alerts_evaluate()
    services.alerts_evaluate()
    alert = Alert.objects.get(rule="queue_backlog")
    assert "80 messages ready" in alert.body
    assert [m.to for m in mail.outbox if "backed up" in m.subject] == [["admin@example.com"]]


def test_a_user_who_turned_a_rule_off_gets_nothing_and_one_without_an_address_is_told_why(people, monkeypatch,
                                                                                           settings):
    settings.ALERTS_QUEUE_MAX_DEPTH = 1
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: 5)
    admin = people.users["admin"]
    AlertPreference.objects.create(user=admin, rule="queue_backlog", frequency="off")
    from shelfai.accounts.models import Role, User

    User.objects.create_user("admin2", password="x", role=Role.ADMIN)  # no e-mail address
    services.alerts_evaluate()
    assert not Notification.objects.filter(user=admin, alert__rule="queue_backlog").exists()
    note = Notification.objects.get(user__username="admin2", alert__key__startswith="queue_backlog:gpu")
    assert note.sent_at is None and "no e-mail address" in note.error
    assert not [m for m in mail.outbox if "backed up" in m.subject]


def test_a_mail_server_that_is_down_is_recorded_and_tried_again_on_the_next_sweep(people, monkeypatch, settings):
    settings.ALERTS_QUEUE_MAX_DEPTH = 1
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: 5 if queue == "gpu" else 0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nobody listens on 9
    services.alerts_evaluate()  # does not raise
    note = Notification.objects.get(user=people.users["admin"], alert__rule="queue_backlog")
    assert note.sent_at is None and "ConnectionRefusedError" in note.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.alerts_evaluate()
    note.refresh_from_db()
    assert note.sent_at is not None and note.error == ""
    assert [m.to for m in mail.outbox] == [["admin@example.com"]]


def test_a_visit_on_schedule_means_no_unvisited_alert_for_that_store(people, settings):
    from shelfai.stores.models import RepAssignment
    from shelfai.visits.models import Visit

    settings.ALERTS_UNVISITED_GRACE_DAYS = 1
    Visit.objects.create(rep=people.users["other_rep"], store=people.other_store)  # today
    services.alerts_evaluate()
    unvisited = Alert.objects.filter(rule="store_unvisited")
    assert [a.data["assignment"] for a in unvisited] == [RepAssignment.objects.get(rep=people.users["rep"]).pk]
