"""Visits live on the server: a tap on a store resumes today's open visit, a rep ends a visit, beat closes
the ones left open, and an empty visit counts nowhere."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shelfai.visits import services
from shelfai.visits.models import Visit
from shelfai.visits.tasks import close_stale_visits


def check_in(client, client_id: str, store: str = "s1"):
    return client.post("/api/visits/", {"store": store, "client_visit_id": client_id}, format="json")


def send_photo(client, visit_id: str, make_jpeg, client_id: str = "p1"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("shelf.jpg", make_jpeg(seed=5), content_type="image/jpeg")
    return client.post(f"/api/visits/{visit_id}/photos/", {"photos": [photo], "client_upload_ids": [client_id]},
                       format="multipart")


def test_tapping_a_store_again_or_on_another_phone_resumes_todays_open_visit(rep_api, world, make_jpeg):
    first = check_in(rep_api, "phone-a")
    assert first.status_code == 201
    send_photo(rep_api, first.json()["id"], make_jpeg)
    again, other_phone = check_in(rep_api, "phone-a-second-tap"), check_in(rep_api, "phone-b")
    assert again.status_code == other_phone.status_code == 200
    assert again.json()["id"] == other_phone.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1
    photos = rep_api.get(f"/api/visits/{first.json()['id']}/photos/").json()
    assert [p["client_upload_id"] for p in photos] == ["p1"]  # the second phone sees today's photo


def test_another_store_or_another_rep_gets_a_visit_of_its_own(rep_api, world, api_for):
    from shelfai.stores.models import RepAssignment

    RepAssignment.objects.create(rep=world.users["rep"], store=world.other_store,
                                 starts_on=timezone.localdate() - timedelta(days=1))
    mine = check_in(rep_api, "a").json()["id"]
    assert check_in(rep_api, "b", store="s2").json()["id"] != mine
    assert check_in(api_for(world.users["other_rep"]), "c", store="s2").status_code == 201
    assert Visit.objects.count() == 3


def test_a_rep_ends_a_visit_and_the_next_tap_opens_a_new_one(rep_api, world):
    visit_id = check_in(rep_api, "a").json()["id"]
    ended = rep_api.post(f"/api/visits/{visit_id}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == "closed" and ended.json()["ended_at"]
    again = rep_api.post(f"/api/visits/{visit_id}/end/")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    assert check_in(rep_api, "b").json()["id"] != visit_id


def test_only_the_visits_rep_ends_it(rep_api, world, api_for):
    visit_id = check_in(rep_api, "a").json()["id"]
    assert api_for(world.users["other_rep"]).post(f"/api/visits/{visit_id}/end/").status_code == 404
    assert api_for(world.users["marketing"]).post(f"/api/visits/{visit_id}/end/").status_code == 404
    assert Visit.objects.get().status == Visit.Status.OPEN


def test_yesterdays_open_visit_is_not_resumed(rep_api, world):
    visit_id = check_in(rep_api, "a").json()["id"]
    Visit.objects.filter(public_id=visit_id).update(started_at=timezone.now() - timedelta(days=1, hours=1),
                                                    local_date=timezone.localdate() - timedelta(days=1))
    assert check_in(rep_api, "b").json()["id"] != visit_id


def test_beat_closes_visits_left_idle_at_their_last_photo(rep_api, world, make_jpeg, settings):
    settings.VISIT_IDLE_CLOSE_MINUTES = 120
    with_photo = check_in(rep_api, "a").json()["id"]
    send_photo(rep_api, with_photo, make_jpeg)
    long_ago = timezone.now() - timedelta(hours=3)
    last_photo = long_ago + timedelta(minutes=25)
    Visit.objects.filter(public_id=with_photo).update(started_at=long_ago, last_activity_at=last_photo)
    Visit.objects.get(public_id=with_photo).photos.update(uploaded_at=last_photo)
    fresh = world.users["other_rep"]
    recent, _ = services.visit_start(rep=fresh, store=world.other_store)

    assert close_stale_visits() == 1
    closed = Visit.objects.get(public_id=with_photo)
    assert closed.status == Visit.Status.CLOSED and closed.ended_at == last_photo
    assert Visit.objects.get(pk=recent.pk).status == Visit.Status.OPEN
    assert close_stale_visits() == 0  # nothing twice
    # A photo still on its way is accepted by the closed visit, which keeps its end time.
    assert send_photo(rep_api, with_photo, make_jpeg, client_id="late").status_code == 202
    assert Visit.objects.get(public_id=with_photo).ended_at == last_photo


def test_an_empty_visit_counts_in_no_dashboard(world, make_jpeg, rep_api):
    from analytics import summaries
    from analytics.filters import Filters
    from analytics.selectors import visits_in_scope

    empty = check_in(rep_api, "a").json()["id"]
    rep_api.post(f"/api/visits/{empty}/end/")
    with_photo = check_in(rep_api, "b").json()["id"]
    send_photo(rep_api, with_photo, make_jpeg)
    today = timezone.localdate()
    f = Filters(date_from=today - timedelta(days=1), date_to=today)
    assert [str(v.public_id) for v in visits_in_scope(f)] == [with_photo]
    summaries.rebuild_days([today])
    from analytics.models import StoreDay

    assert StoreDay.objects.get(day=today).visits == 1
