"""Errors are JSON everywhere under /api/ (unmatched paths and 500s too), with a readable ``detail``;
inputs that used to be 500s are answered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone


def test_an_unmatched_api_path_is_a_json_404(world, api_for):
    response = api_for(world.users["rep"]).get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "/api/schema/" in response.json()["detail"]
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and "text/html" in page["Content-Type"]  # pages keep their HTML 404


def test_a_server_error_under_api_is_json_and_a_page_error_is_html(world, settings):
    settings.ROOT_URLCONF = "tests.api.urls_boom"
    client = Client(raise_request_exception=False)
    client.force_login(world.users["rep"])
    response = client.get("/api/test-boom/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "nothing from this request was saved" in response.json()["detail"]
    assert "text/html" in client.get("/test-boom/")["Content-Type"]


def test_an_empty_lines_list_says_so_in_plain_words(world, api_for):
    response = api_for(world.users["rep"]).post("/api/claims/", {"lines": []}, format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "ErrorDetail" not in detail and "{" not in detail and "at least 1" in detail


def raw_multipart(file_name: str, data: bytes) -> tuple[bytes, str]:
    """Built by hand: Django's test client would shorten the name to 255 characters first."""
    boundary = "----shelfai-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"client_upload_ids\"\r\n\r\na\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{file_name}\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_file_name_of_a_thousand_bytes_gets_a_sentence_about_the_name(world, api_for, make_jpeg):
    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]
    body, content_type = raw_multipart("x" * 1000 + ".jpg", make_jpeg())
    response = client.generic("POST", f"/api/visits/{visit}/photos/", body, content_type=content_type)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert "Multipart form parse error" not in detail and "file name" in detail
    short, content_type = raw_multipart("shelf.jpg", make_jpeg())
    assert client.generic("POST", f"/api/visits/{visit}/photos/", short, content_type=content_type
                          ).status_code == 202


def test_a_huge_limit_or_offset_is_answered_not_a_500(world, api_for):
    client = api_for(world.users["finance"])
    huge = client.get("/api/claims/", {"limit": "9999999999999999999999"})
    assert huge.status_code == 200 and huge.json()["count"] == 0
    offset = client.get("/api/claims/", {"offset": "9999999999999999999999"})
    assert offset.status_code == 400 and "offset" in offset.json()["errors"]
    campaign = client.get("/api/claims/", {"campaign": "9999999999999999999999"})
    assert campaign.status_code == 400


def test_a_nul_in_a_text_filter_is_not_a_500(world, client):
    client.force_login(world.users["marketing"])
    assert client.get("/analytics/visits/", {"oos": "\x00"}).status_code == 200
    assert client.get("/analytics/", {"store": "s1\x00"}).status_code == 200


@pytest.fixture
def placements(world):
    from shelfai.claims.models import Campaign, PaidPlacement
    from shelfai.stores.models import Brand

    brand = Brand.objects.create(name="Gold", is_own=True)
    start = timezone.localdate() - timedelta(days=35)
    campaign = Campaign.objects.create(name="Spring", brand=brand, starts_on=start, ends_on=start + timedelta(27))
    # One end-cap at a store both reps serve this month (the second rep took the store over).
    from shelfai.stores.models import RepAssignment

    RepAssignment.objects.create(rep=world.users["other_rep"], store=world.store, starts_on=start)
    placement = PaidPlacement.objects.create(campaign=campaign, store=world.store, display_type="end_cap",
                                             starts_on=start, ends_on=start + timedelta(days=27),
                                             fee=Decimal("1000.00"))
    return placement


def claim_body(placement, amount="500.00"):
    return {"lines": [{"placement": placement.pk, "period_start": str(placement.starts_on),
                       "period_end": str(placement.ends_on), "amount": amount}]}


def test_a_rep_sees_their_claim_without_the_desks_assessment(world, api_for, placements):
    rep = api_for(world.users["rep"])
    submitted = rep.post("/api/claims/", claim_body(placements), format="json")
    assert submitted.status_code == 201
    hidden = {"risk_score", "recommendation", "recommended_amount", "recommendation_reasons"}
    listed = rep.get("/api/claims/").json()["results"][0]
    detail = rep.get(f"/api/claims/{submitted.json()['id']}/").json()
    for body in (submitted.json(), listed, detail):
        assert not hidden & set(body), body
        assert all("recommended_amount" not in line and "evidence" not in line for line in body.get("lines", []))
    assert detail["status"] == "submitted" and detail["total_amount"] == "500.00"
    desk = api_for(world.users["finance"]).get(f"/api/claims/{submitted.json()['id']}/").json()
    assert {"risk_score", "recommendation", "recommended_amount"} <= set(desk)


def test_another_reps_claim_is_never_named_to_a_rep(world, api_for, placements):
    first = api_for(world.users["rep"]).post("/api/claims/", claim_body(placements), format="json").json()
    again = api_for(world.users["other_rep"]).post("/api/claims/", claim_body(placements, "100.00"),
                                                   format="json")
    assert again.status_code == 400
    text = str(again.json())
    assert "already claimed" in text and "another claim" in text
    assert first["reference"] not in text and "submitted)" not in text
    own = api_for(world.users["rep"]).post("/api/claims/", claim_body(placements, "100.00"), format="json")
    assert first["reference"] in str(own.json())  # their own claim they may be told about


def test_a_rep_cannot_probe_claim_references(world, api_for, placements):
    body = {**claim_body(placements), "reference": "REP-2026-0001"}
    response = api_for(world.users["other_rep"]).post("/api/claims/", body, format="json")
    assert response.status_code == 400 and "reference" in response.json()["errors"]
